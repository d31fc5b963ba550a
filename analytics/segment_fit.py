"""Segmentation as one pure step over a features frame: clean, scale, cluster, name.

The scheduled job feeds it features aggregated by SQL; the benchmark feeds it the same
features built from a CSV. Previous segments (name and raw centroid) let names persist: a new
cluster close to a previous one keeps its name while the members still bear it out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.clustering import Clustering, cluster, match_previous
from analytics.features import Cleaning, Scaler, clean
from analytics.naming import Profile, name_segments


@dataclass(frozen=True)
class SegmentFit:
    customer_ids: np.ndarray
    clustering: Clustering
    names: list[str]
    profiles: list[Profile]
    centroids: list[dict[str, float]]  # raw feature values per segment, for the next run's matching
    cleaning: Cleaning
    matched: dict[int, int]  # new segment -> index into `previous`

    @property
    def sizes(self) -> dict[str, int]:
        return {n: p.size for n, p in zip(self.names, self.profiles)}


def fit_segments(
    raw: pd.DataFrame, k_range: range, previous: list[tuple[str, dict[str, float]]] | None = None
) -> SegmentFit:
    data, cleaning = clean(raw)
    if data.shape[1] == 0:
        raise ValueError("every customer feature is flat: nothing to segment on")
    scaler = Scaler.fit(data)
    scaled = scaler.transform(data.to_numpy(dtype=float))
    result = cluster(scaled, k_range)
    previous = previous or []
    matches: dict[int, int] = {}
    if previous:
        prev_raw = np.array([[float(c.get(f, np.nan)) for f in scaler.columns] for _, c in previous])
        matches = match_previous(result.centroids, scaler.transform(prev_raw))
    keep = {i: previous[j][0] for i, j in matches.items()}
    names, found = name_segments(raw, result.labels, result.k, keep)
    raw_centroids = scaler.inverse(result.centroids)
    centroids = [{f: round(float(v), 4) for f, v in zip(scaler.columns, row)} for row in raw_centroids]
    kept = {i: j for i, j in matches.items() if names[i] == previous[j][0]}
    return SegmentFit(raw.index.to_numpy(dtype=np.int64), result, names, found, centroids, cleaning, kept)
