"""Who will buy, on a real shop: learn from the Online Retail orders up to 2011-09-09, score
every customer known then, and compare with who ordered from 2011-09-10 to 2011-12-09.

    uv run --frozen --no-sync python bench/retail_propensity.py PATH/online_retail.csv.gz

Orders come from bench/online_retail.py (cleaning rules there; customer-level, so invoices with
no CustomerID are left out). Nothing after the cut-off is read for training: the model's
snapshots have their labels inside the history. Prints ROC AUC and precision in the top decile
for the gradient boosting the job runs, recency alone, and an RFM logistic regression, all in
this run, and the ratio of the model's AUC to each baseline's. Target: AUC >= 0.80.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CUTOFF = datetime(2011, 9, 10)  # orders placed before this moment are history
HORIZON = 91  # 2011-09-10 .. 2011-12-09, both days whole


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    from analytics.propensity import validate
    from bench.online_retail import load

    frames = load(args.csv)
    t = time.perf_counter()
    with threadpool_limits(1):
        v = validate(frames.customers, frames.known_orders(), CUTOFF, HORIZON)
    took = time.perf_counter() - t
    print(
        f"{v.customers:,} customers with an order before {CUTOFF:%Y-%m-%d}; {v.buyers:,} ({v.buyers / v.customers:.0%}) "
        f"ordered between 2011-09-10 and 2011-12-09"
    )
    print(f"{'model':<26} {'ROC AUC':>8} {'precision, top decile':>22}")
    for name in v.auc:
        print(f"{name:<26} {v.auc[name]:>8.3f} {v.precision_top_decile[name]:>22.1%}")
    gb = v.auc["gradient boosting"]
    print(
        f"\nAUC ratio: {gb / v.auc['recency alone']:.3f} x recency alone, "
        f"{gb / v.auc['RFM logistic regression']:.3f} x RFM logistic regression; "
        f"target AUC >= 0.80: {'PASS' if gb >= 0.80 else 'MISSED'}; {took:.1f}s for all three"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
