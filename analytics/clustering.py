"""Pure clustering: k by silhouette, a Gaussian mixture for comparison, readable names from
centroids, and matching new centroids to the previous run's so names persist."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from analytics.features import FEATURES

SAMPLE = 5000  # rows used to choose k and to compare models; the final fit sees every row
MINIBATCH_ABOVE = 50_000
MATCH_DISTANCE = 1.5  # in standard deviations: farther than this, a new cluster is a new segment
SEED = 7


@dataclass(frozen=True)
class Clustering:
    k: int
    labels: np.ndarray  # cluster per row
    centroids: np.ndarray  # k x features, scaled space
    distances: np.ndarray  # each row's distance to its centroid
    silhouettes: dict[int, float]  # k -> silhouette on the sample
    comparison: dict[str, float]  # the Gaussian mixture against k-means on the sample


def cluster(scaled: np.ndarray, k_range: range) -> Clustering:
    # One BLAS/OpenMP thread: the job shares two cores with Rasa and the action server, and
    # oversubscribed OpenMP threads spin (measured 9x slower on a busy machine).
    with threadpool_limits(1):
        return _cluster(scaled, k_range)


def _cluster(scaled: np.ndarray, k_range: range) -> Clustering:
    rng = np.random.default_rng(SEED)
    n = len(scaled)
    sample = scaled[rng.choice(n, size=min(n, SAMPLE), replace=False)]
    silhouettes: dict[int, float] = {}
    for k in k_range:
        if k >= len(sample):
            break
        labels = KMeans(n_clusters=k, n_init=4, random_state=SEED).fit_predict(sample)
        if len(set(labels)) > 1:
            silhouettes[k] = float(silhouette_score(sample, labels, random_state=SEED))
    best = max(silhouettes, key=lambda k: silhouettes[k])
    if n > MINIBATCH_ABOVE:
        model = MiniBatchKMeans(n_clusters=best, batch_size=4096, n_init=3, random_state=SEED).fit(scaled)
    else:
        model = KMeans(n_clusters=best, n_init=4, random_state=SEED).fit(scaled)
    labels = model.predict(scaled)
    centroids = model.cluster_centers_
    distances = np.linalg.norm(scaled - centroids[labels], axis=1)
    return Clustering(best, labels, centroids, distances, silhouettes, compare_gmm(sample, model, best))


def compare_gmm(sample: np.ndarray, kmeans: KMeans, k: int) -> dict[str, float]:
    """A Gaussian mixture with the same k on the same sample: its silhouette and agreement with k-means."""
    km = kmeans.predict(sample)
    gmm = GaussianMixture(n_components=k, covariance_type="full", random_state=SEED).fit(sample)
    gm = gmm.predict(sample)
    out = {"kmeans_silhouette": float(silhouette_score(sample, km, random_state=SEED)),
           "adjusted_rand_kmeans_vs_gmm": float(adjusted_rand_score(km, gm))}
    out["gmm_silhouette"] = float(silhouette_score(sample, gm, random_state=SEED)) if len(set(gm)) > 1 else float("nan")
    return out


# A name describes a centroid: each archetype weighs the features' z-scores (scaled centroid),
# and fits only a centroid that stands out on its key feature (feature, lowest z, or highest z).
ARCHETYPES: dict[str, tuple[dict[str, float], tuple[str, float, float]] | tuple[dict[str, float], None]] = {
    "loyal high spenders": ({"frequency": 1.0, "monetary": 1.0, "recency_days": -0.6}, ("monetary", 0.4, np.inf)),
    "lapsed buyers": ({"recency_days": 1.0, "frequency": 0.3}, ("recency_days", 0.4, np.inf)),
    "support-heavy": ({"ticket_rate": 1.0, "handoffs": 1.0, "fallbacks": 0.5, "conversations": 0.3}, ("ticket_rate", 0.4, np.inf)),
    "frequent returners": ({"return_rate": 1.5, "frequency": 0.2}, ("return_rate", 0.4, np.inf)),
    "new customers": ({"tenure_days": -1.0, "frequency": -0.2}, ("tenure_days", -np.inf, -0.4)),
    "chatty browsers": ({"conversations": 1.0, "frequency": -0.8}, ("conversations", 0.4, np.inf)),
    "unhappy customers": ({"csat": -1.5}, ("csat", -np.inf, -0.4)),
    "no orders yet": ({"frequency": -1.0, "monetary": -1.0}, ("frequency", -np.inf, -0.8)),
    "occasional buyers": ({"frequency": -0.6, "monetary": -0.6, "recency_days": -0.2}, ("frequency", -np.inf, 0.0)),
    "telegram regulars": ({"telegram_share": 1.0, "conversations": 0.4}, ("telegram_share", 0.4, np.inf)),
    "steady regulars": ({}, None),
}
UNFIT = -10.0


def archetype_scores(centroids: np.ndarray) -> np.ndarray:
    """clusters x archetypes; "steady regulars" fits a centroid near the average profile."""
    scores = np.zeros((len(centroids), len(ARCHETYPES)))
    for j, (weights, key) in enumerate(ARCHETYPES.values()):
        if not weights:
            scores[:, j] = 0.5 - np.abs(centroids).mean(axis=1)
            continue
        w = np.array([weights.get(f, 0.0) for f in FEATURES])
        scores[:, j] = centroids @ w / np.linalg.norm(w)
        if key is not None:
            z = centroids[:, FEATURES.index(key[0])]
            scores[(z < key[1]) | (z > key[2]), j] = UNFIT
    return scores


def name_clusters(centroids: np.ndarray, taken: set[str] | None = None) -> list[str]:
    """One distinct archetype name per centroid (best total fit), skipping names already taken."""
    taken = taken or set()
    names = [n for n in ARCHETYPES if n not in taken]
    scores = archetype_scores(centroids)[:, [list(ARCHETYPES).index(n) for n in names]]
    result = [""] * len(centroids)
    rows, cols = linear_sum_assignment(-scores)
    for r, c in zip(rows, cols):
        result[r] = names[c]
    for i, name in enumerate(result):  # more clusters than archetypes
        if not name:
            result[i] = f"segment {i + 1}"
    return result


def match_previous(new: np.ndarray, previous: np.ndarray) -> dict[int, int]:
    """new cluster index -> previous segment index, for pairs closer than MATCH_DISTANCE."""
    if len(new) == 0 or len(previous) == 0:
        return {}
    distance = np.linalg.norm(new[:, None, :] - previous[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(distance)
    return {int(r): int(c) for r, c in zip(rows, cols) if distance[r, c] <= MATCH_DISTANCE}
