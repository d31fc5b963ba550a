"""Who will buy, on a real shop: learn from the Online Retail orders up to 2011-09-09, score
every customer known then, and compare with who ordered from 2011-09-10 to 2011-12-09.

    uv run --frozen --no-sync python bench/retail_propensity.py PATH/online_retail.csv.gz
    uv run --frozen --no-sync python bench/retail_propensity.py --db DATABASE_URL

Orders come from bench/online_retail.py (the import's cleaning; customer-level, so invoices with
no CustomerID are left out), or with --db from a CRM the file was imported into
(`crmbot import orders`), read as the job reads it (analytics/frames.py: credit notes kept as
such, spend net of them); features, training snapshots and models are the product's
(analytics/propensity.py, what the score_propensity job runs). Nothing after a cut-off is read
for training: the model's snapshots have their labels inside the history.

Two cut-offs, the same 91-day window length:
  validation  history to 2011-06-10, scored on 2011-06-11 .. 2011-09-09: the model's settings
              were chosen here;
  test        history to 2011-09-09, scored on 2011-09-10 .. 2011-12-09: reported, not tuned on.
For each: ROC AUC and precision in the top decile for the gradient boosting the job runs, recency
alone and an RFM logistic regression, all in this run; the buyers the model expected (sum of its
scores) against the real count; and, as a diagnostic of what the features can say at all, the
AUC of the same gradient boosting fitted by 5-fold cross-validation on the window's own labels
(no time shift: not a model that could be run, an upper reference). Target: AUC >= 0.80.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HORIZON = 91  # days, both ends whole: 2011-09-10 .. 2011-12-09
CUTOFFS = {
    "validation": datetime(2011, 6, 11),  # orders placed before this moment are history
    "test": datetime(2011, 9, 10),
}


def in_window_ceiling(customers, orders, cutoff: datetime) -> float:  # type: ignore[no-untyped-def]
    """5-fold cross-validated AUC of the job's gradient boosting on the window's own labels."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from analytics.propensity import MONOTONE, SEED, behaviour_features, bought_within

    feats = behaviour_features(customers, orders[orders["placed_at"] <= cutoff], cutoff)
    truth = feats.index.isin(list(bought_within(orders, cutoff, HORIZON)))
    model = HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.05,
        max_depth=3,
        min_samples_leaf=50,
        monotonic_cst=[MONOTONE.get(c, 0) for c in feats.columns],
        random_state=SEED,
    )
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    scores = cross_val_predict(model, feats.to_numpy(), truth, cv=folds, method="predict_proba")[:, 1]
    return float(roc_auc_score(truth, scores))


def _from_csv(path: str):  # type: ignore[no-untyped-def]
    from bench.online_retail import load

    frames = load(path)
    return frames.customers, frames.known_orders()


def _from_db(url: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    from analytics.frames import customer_orders, load_customers, load_orders

    end = CUTOFFS["test"] + timedelta(days=HORIZON)
    with create_engine(url).connect() as conn:
        return load_customers(conn, end), customer_orders(load_orders(conn, end))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", nargs="?", help="online_retail.csv.gz")
    parser.add_argument("--db", help="read the orders from this CRM database instead (imported from the file)")
    args = parser.parse_args()
    if not args.csv and not args.db:
        parser.error("give the CSV file or --db")
    from threadpoolctl import threadpool_limits

    from analytics.propensity import validate

    customers, orders = _from_db(args.db) if args.db else _from_csv(args.csv)
    gb = float("nan")
    for name, cutoff in CUTOFFS.items():
        t = time.perf_counter()
        with threadpool_limits(1):
            v = validate(customers, orders, cutoff, HORIZON)
            ceiling = in_window_ceiling(customers, orders, cutoff)
        took = time.perf_counter() - t
        end = cutoff + timedelta(days=HORIZON - 1)
        print(
            f"\n{name}: {v.customers:,} customers with an order before {cutoff:%Y-%m-%d}; {v.buyers:,} "
            f"({v.buyers / v.customers:.0%}) ordered between {cutoff:%Y-%m-%d} and {end:%Y-%m-%d}; "
            f"{v.training_rows:,} training rows"
        )
        print(f"{'model':<26} {'ROC AUC':>8} {'precision, top decile':>22}")
        for model in v.auc:
            print(f"{model:<26} {v.auc[model]:>8.3f} {v.precision_top_decile[model]:>22.1%}")
        gb = v.auc["gradient boosting"]
        print(
            f"AUC ratio: {gb / v.auc['recency alone']:.3f} x recency alone, "
            f"{gb / v.auc['RFM logistic regression']:.3f} x RFM logistic regression; "
            f"buyers expected by the model {v.expected_buyers:,.0f}, real {v.buyers:,}; "
            f"5-fold CV on the window's own labels (diagnostic): AUC {ceiling:.3f}; {took:.1f}s"
        )
    print(f"\ntarget AUC >= 0.80 on the test cut-off: {'PASS' if gb >= 0.80 else 'MISSED'} ({gb:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
