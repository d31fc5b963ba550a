"""Pure clustering: k by silhouette (without collapsing into a few huge groups), a Gaussian
mixture for comparison, and matching new centroids to the previous run's so names persist.
Names come from the members (analytics/naming.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

SAMPLE = 5000  # rows used to choose k and to compare models; the final fit sees every row
MINIBATCH_ABOVE = 50_000
MATCH_DISTANCE = 1.5  # in standard deviations: farther than this, a new cluster is a new segment
SEED = 7
# On real customer data the silhouette is often flat across k, and its maximum at k = 2 or 3
# lumps champions with mid-value regulars: any k this close to the best is as good a partition,
# and the finer one is the one a manager can act on.
SILHOUETTE_MARGIN = 0.03
MAX_SHARE = 0.35  # no segment above this share of customers, unless the data has no structure
NO_STRUCTURE = 0.15  # a best silhouette below this: nothing to find, the best k stands
CLEAR_STRUCTURE = 0.6  # a best silhouette above this: the data says which k, and it stands


@dataclass(frozen=True)
class Clustering:
    k: int
    labels: np.ndarray  # cluster per row
    centroids: np.ndarray  # k x features, scaled space
    distances: np.ndarray  # each row's distance to its centroid
    silhouettes: dict[int, float]  # k -> silhouette on the sample
    comparison: dict[str, float]  # the Gaussian mixture against k-means on the sample
    largest_share: dict[int, float]  # k -> share of the sample in its largest cluster
    why: str  # how k was chosen, in words


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
    largest: dict[int, float] = {}
    for k in k_range:
        if k >= len(sample):
            break
        labels = KMeans(n_clusters=k, n_init=4, random_state=SEED).fit_predict(sample)
        if len(set(labels)) > 1:
            silhouettes[k] = float(silhouette_score(sample, labels, random_state=SEED))
            largest[k] = float(np.bincount(labels).max() / len(labels))
    best, why = choose_k(silhouettes, largest)
    if n > MINIBATCH_ABOVE:
        model = MiniBatchKMeans(n_clusters=best, batch_size=4096, n_init=3, random_state=SEED).fit(scaled)
    else:
        model = KMeans(n_clusters=best, n_init=4, random_state=SEED).fit(scaled)
    labels = model.predict(scaled)
    centroids = model.cluster_centers_
    distances = np.linalg.norm(scaled - centroids[labels], axis=1)
    return Clustering(best, labels, centroids, distances, silhouettes, compare_gmm(sample, model, best), largest, why)


def choose_k(silhouettes: dict[int, float], largest: dict[int, float]) -> tuple[int, str]:
    """With clear structure, the best k. Otherwise the largest k within SILHOUETTE_MARGIN of the best silhouette whose largest segment holds
    at most MAX_SHARE; failing that, the balanced k with the best silhouette within three
    margins; failing that, the k with the smallest largest segment among those with at least half
    the best silhouette. With no structure at all, the largest k within the margin."""
    top = max(silhouettes, key=lambda k: silhouettes[k])
    best = silhouettes[top]
    if best >= CLEAR_STRUCTURE:
        return top, f"clear structure: the best silhouette ({best:.2f})"
    near = [k for k in silhouettes if silhouettes[k] >= best - SILHOUETTE_MARGIN]
    if best < NO_STRUCTURE:
        return max(near), f"little structure (best silhouette {best:.2f}): largest k within {SILHOUETTE_MARGIN} of it"
    balanced = [k for k in near if largest[k] <= MAX_SHARE]
    if balanced:
        return (
            max(balanced),
            f"largest k within {SILHOUETTE_MARGIN} of the best silhouette ({best:.2f} at k={top}) with no segment above {MAX_SHARE:.0%}",
        )
    wider = [k for k in silhouettes if silhouettes[k] >= best - 3 * SILHOUETTE_MARGIN and largest[k] <= MAX_SHARE]
    if wider:
        pick = max(wider, key=lambda k: silhouettes[k])
        return pick, (
            f"no k near the best silhouette ({best:.2f} at k={top}) keeps segments under {MAX_SHARE:.0%}: "
            f"the best balanced k, silhouette {silhouettes[pick]:.2f}"
        )
    # Still one dominant group at every k near the best: of the k that keep real structure, the
    # one whose largest segment is smallest (a 60 %+ "everyone else" segment helps nobody).
    usable = [k for k in silhouettes if silhouettes[k] >= max(NO_STRUCTURE, best / 2)]
    pick = min(usable, key=lambda k: (round(largest[k], 2), -silhouettes[k]))
    return pick, (
        f"every k near the best silhouette ({best:.2f} at k={top}) leaves a segment above {MAX_SHARE:.0%}: "
        f"the k with the smallest largest segment ({largest[pick]:.0%}), silhouette {silhouettes[pick]:.2f}"
    )


def compare_gmm(sample: np.ndarray, kmeans: KMeans, k: int) -> dict[str, float]:
    """A Gaussian mixture with the same k on the same sample: its silhouette and agreement with k-means."""
    km = kmeans.predict(sample)
    gmm = GaussianMixture(n_components=k, covariance_type="full", random_state=SEED).fit(sample)
    gm = gmm.predict(sample)
    out = {
        "kmeans_silhouette": float(silhouette_score(sample, km, random_state=SEED)),
        "adjusted_rand_kmeans_vs_gmm": float(adjusted_rand_score(km, gm)),
    }
    out["gmm_silhouette"] = float(silhouette_score(sample, gm, random_state=SEED)) if len(set(gm)) > 1 else float("nan")
    return out


def match_previous(new: np.ndarray, previous: np.ndarray) -> dict[int, int]:
    """new cluster index -> previous segment index, for pairs closer than MATCH_DISTANCE."""
    if len(new) == 0 or len(previous) == 0:
        return {}
    distance = np.linalg.norm(new[:, None, :] - previous[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(distance)
    return {int(r): int(c) for r, c in zip(rows, cols) if distance[r, c] <= MATCH_DISTANCE}
