"""Which products sell together: association rules over order lines (FP-growth, mlxtend).

Pure: order lines in, a frame of rules out (antecedent, consequent, support, confidence, lift,
orders). An order is a basket; quantities do not matter, only which products are in it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

RULE_COLUMNS = ["antecedent", "consequent", "support", "confidence", "lift", "orders"]


@dataclass(frozen=True)
class BasketSettings:
    min_support: float = 0.01  # share of orders: rarer itemsets are noise for a manager
    min_confidence: float = 0.3
    min_lift: float = 1.5  # only pairings clearly above chance
    max_len: int = 3  # rules over at most three products
    min_orders: int = 10  # never a rule from fewer orders than this, whatever the share
    min_basket: int = 2  # one-product orders say nothing about what sells together


def baskets(lines: pd.DataFrame, min_basket: int = 2, min_support: float = 0.0) -> pd.DataFrame:
    """Orders x products, True where the order has the product. Orders with fewer than
    `min_basket` distinct products are left out, and so are products in fewer than
    `min_support` of the orders (no frequent itemset can hold them), which keeps it small."""
    pairs = lines[["order_id", "product_id"]].drop_duplicates()
    pairs = pairs[pairs.groupby("order_id")["product_id"].transform("size") >= min_basket]
    n = pairs["order_id"].nunique()
    share = pairs["product_id"].value_counts() / max(n, 1)
    pairs = pairs[pairs["product_id"].isin(share.index[share >= min_support])]
    # Orders whose every product was too rare keep an empty row: they still count in the
    # denominator of support. (Built as an array: pd.crosstab took 20 s on 500 k lines.)
    orders = pd.Categorical(pairs["order_id"])
    products = pd.Categorical(pairs["product_id"])
    table = np.zeros((max(n, len(orders.categories)), len(products.categories)), dtype=bool)
    table[orders.codes, products.codes] = True
    return pd.DataFrame(table, columns=products.categories.astype(np.int64))


def association_rules(lines: pd.DataFrame, settings: BasketSettings = BasketSettings()) -> pd.DataFrame:
    """Rules sorted by lift, then confidence; support is over the orders with >= min_basket products."""
    from mlxtend.frequent_patterns import association_rules as mine_rules
    from mlxtend.frequent_patterns import fpgrowth

    n = int(lines.groupby("order_id")["product_id"].nunique().ge(settings.min_basket).sum())
    if n == 0:
        return pd.DataFrame(columns=RULE_COLUMNS)
    support = max(settings.min_support, settings.min_orders / n)
    onehot = baskets(lines, settings.min_basket, support)
    if onehot.shape[1] < 2:
        return pd.DataFrame(columns=RULE_COLUMNS)
    itemsets = fpgrowth(onehot, min_support=support, use_colnames=True, max_len=settings.max_len)
    if itemsets.empty or itemsets["itemsets"].map(len).max() < 2:
        return pd.DataFrame(columns=RULE_COLUMNS)
    rules = mine_rules(itemsets, metric="confidence", min_threshold=settings.min_confidence)
    rules = rules[rules["lift"] >= settings.min_lift]
    out = pd.DataFrame(
        {
            "antecedent": rules["antecedents"].map(lambda s: sorted(int(x) for x in s)),
            "consequent": rules["consequents"].map(lambda s: sorted(int(x) for x in s)),
            "support": rules["support"].astype(float),
            "confidence": rules["confidence"].astype(float),
            "lift": rules["lift"].astype(float),
            "orders": np.rint(rules["support"] * n).astype(int),
        }
    )
    out = out.sort_values(["lift", "confidence", "orders"], ascending=False, kind="mergesort").reset_index(drop=True)
    log.info("basket rules mined", extra={"orders": n, "itemsets": len(itemsets), "rules": len(out)})
    return out


def key(items: list[int]) -> str:
    return ",".join(str(i) for i in sorted(items))


def often_bought_with(rules: pd.DataFrame, product_id: int, limit: int = 5) -> list[tuple[int, float, float]]:
    """(product, confidence, lift) for the products that come with `product_id` alone, best first."""
    single = rules[rules["antecedent"].map(lambda a: a == [product_id]) & (rules["consequent"].map(len) == 1)]
    return [(int(r.consequent[0]), float(r.confidence), float(r.lift)) for r in single.head(limit).itertuples()]
