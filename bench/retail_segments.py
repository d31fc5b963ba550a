"""Segments on a real shop: the job's pure step on the Online Retail data, against a textbook
RFM k-means in the same run.

    uv run --frozen --no-sync python bench/retail_segments.py PATH/online_retail.csv.gz

Customers and orders are built from the CSV by bench/online_retail.py (the import's cleaning, its rules
stated there); features count as of 2011-12-10, the day after the last invoice. Reference:
k-means (n_init=10) on standardised log recency, log order count and log spend, with the same k.
Prints k and how it was chosen, segment sizes and names, the adjusted Rand index against the
reference, the cross-tab, time and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = datetime(2011, 12, 10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv")
    parser.add_argument("--max-k", type=int, default=8)
    args = parser.parse_args()
    import numpy as np
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from analytics.features import features_from_frames
    from analytics.segment_fit import fit_segments
    from bench.online_retail import load

    frames = load(args.csv)
    print(f"loaded in {frames.load_s:.1f}s: {frames.counts}")
    t = time.perf_counter()
    raw = features_from_frames(frames.customers, frames.known_orders(), AS_OF)
    fit = fit_segments(raw, range(2, args.max_k + 1))
    took = time.perf_counter() - t
    c = fit.clustering
    top = max(c.silhouettes, key=lambda k: c.silhouettes[k])
    print(f"\n{len(raw):,} customers as of {AS_OF:%Y-%m-%d}; features left out: {fit.cleaning.dropped}")
    print(
        "silhouette by k: "
        + ", ".join(f"{k}: {v:.3f} (largest {c.largest_share[k]:.0%})" for k, v in c.silhouettes.items())
    )
    print(f"k = {c.k}: {c.why}")
    print(f"(the best silhouette alone would pick k = {top}, largest segment {c.largest_share[top]:.0%})")
    from analytics.naming import describe

    for name, p in sorted(zip(fit.names, fit.profiles), key=lambda x: -x[1].size):
        print(f"  {name:<28} {p.size:>5} ({p.size / len(raw):.0%})  {describe(p)}")

    t = time.perf_counter()
    # A customer whose only rows are credit notes (the purchase is older than the file) has no recency:
    # for the textbook reference, as long ago as the longest one.
    rfm_raw = raw[["recency_days", "frequency", "monetary"]].fillna({"recency_days": raw["recency_days"].max()})
    rfm = np.log1p(rfm_raw.clip(lower=0).fillna(0).to_numpy())
    rfm = (rfm - rfm.mean(axis=0)) / rfm.std(axis=0)
    ref = KMeans(n_clusters=c.k, n_init=10, random_state=0).fit_predict(rfm)
    ref_s = time.perf_counter() - t
    ari = adjusted_rand_score(ref, c.labels)
    print(f"\nadjusted Rand index against the textbook RFM k-means (k={c.k}): {ari:.3f}")
    names = np.array(fit.names)[c.labels]
    print(pd.crosstab(pd.Series(names, name="ours"), pd.Series(ref, name="reference cluster")).to_string())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nsegmentation {took:.1f}s (reference k-means {ref_s:.1f}s, ratio {took / max(ref_s, 1e-9):.1f}x); "
        f"peak memory {peak:.0f} MiB (load included)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
