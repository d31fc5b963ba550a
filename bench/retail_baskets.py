"""Basket rules on a real shop: FP-growth (what the job runs) on the Online Retail order lines,
against mlxtend's apriori on the same baskets in the same run.

    uv run --frozen --no-sync python bench/retail_baskets.py PATH/online_retail.csv.gz

Order lines come from bench/online_retail.py (the import's own cleaning), the year before
2011-12-10 as the job takes it; every invoice counts, with or without a customer. Prints the
number of rules, the top ten by lift with their support, confidence and order count, FP-growth's
time and its ratio to apriori's (same itemsets expected).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv")
    parser.add_argument("--no-apriori", action="store_true", help="skip the baseline")
    args = parser.parse_args()
    from mlxtend.frequent_patterns import apriori, fpgrowth

    from analytics.baskets import BasketSettings, association_rules, baskets
    from bench.online_retail import load

    frames = load(args.csv)
    settings = BasketSettings()
    t = time.perf_counter()
    rules = association_rules(frames.lines, settings)
    took = time.perf_counter() - t
    n = int(frames.lines.groupby("order_id")["product_id"].nunique().ge(settings.min_basket).sum())
    print(f"{n:,} orders with two or more products, {frames.lines['product_id'].nunique():,} products")
    print(
        f"FP-growth + rules: {len(rules):,} rules (support >= {settings.min_support:.0%}, confidence >= "
        f"{settings.min_confidence:.0%}, lift >= {settings.min_lift}) in {took:.1f}s"
    )
    names = dict(zip(frames.products["id"], frames.products["name"]))
    pairs = rules[(rules["antecedent"].map(len) == 1) & (rules["consequent"].map(len) == 1)]
    print(f"{len(pairs):,} of them pair one product with one product; the top ten pairs:")
    for r in pairs.head(10).itertuples():
        print(
            f"  {names[r.antecedent[0]]} -> {names[r.consequent[0]]}: lift {r.lift:.1f}, "
            f"confidence {r.confidence:.0%}, support {r.support:.2%} ({r.orders} orders)"
        )
    if not args.no_apriori:
        onehot = baskets(frames.lines, settings.min_basket, settings.min_support)
        t = time.perf_counter()
        fp = fpgrowth(onehot, min_support=settings.min_support, use_colnames=True, max_len=settings.max_len)
        fp_s = time.perf_counter() - t
        t = time.perf_counter()
        ap = apriori(
            onehot, min_support=settings.min_support, use_colnames=True, max_len=settings.max_len, low_memory=True
        )
        ap_s = time.perf_counter() - t
        same = set(map(frozenset, fp["itemsets"])) == set(map(frozenset, ap["itemsets"]))
        print(
            f"\nfrequent itemsets: FP-growth {len(fp):,} in {fp_s:.1f}s, apriori {len(ap):,} in {ap_s:.1f}s "
            f"(FP-growth time / apriori time = {fp_s / ap_s:.2f}; same itemsets: {same})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
