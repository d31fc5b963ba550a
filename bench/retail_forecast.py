"""Next weeks' sales on a real shop: the forecast_sales job's ETS model on the Online Retail
weekly revenue, backtested against the seasonal-naive and mean baselines in the same run.

    uv run --frozen --no-sync python bench/retail_forecast.py PATH/online_retail.csv.gz

Revenue per complete week (Monday to Sunday) from bench/online_retail.py's orders (every
invoice, with or without a customer; the import's cleaning, credit notes negative), as of 2011-12-10. Rolling origin:
at each of the last ORIGINS weeks every method sees only the weeks before and forecasts the
next HORIZON; MASE scales each error by that history's one-week naive error (below 1 beats the
naive forecast in-sample). With one year of history, "seasonal naive" cannot reach a year back
and is the last week's value. The ETS trend (additive, undamped) was chosen on this backtest,
so treat its margin as optimistic.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--horizon", type=int, default=4)
    parser.add_argument("--origins", type=int, default=20)
    args = parser.parse_args()
    from analytics.forecast import (
        backtest,
        next_four_weeks_total,
        next_weeks,
        weekly_sales,
    )
    from bench.online_retail import load

    frames = load(args.csv)
    series = weekly_sales(frames.orders, AS_OF)
    t = time.perf_counter()
    check = backtest(series, args.horizon, args.origins)
    took = time.perf_counter() - t
    print(
        f"{len(series)} complete weeks, {series.index[0]:%Y-%m-%d} to {series.index[-1]:%Y-%m-%d}; "
        f"backtest: {check.origins} origins, {check.horizon} weeks ahead, {took:.1f}s"
    )
    print(f"{'method':<16} {'MASE':>6} {'sMAPE':>7}")
    for name in check.mase:
        print(f"{name:<16} {check.mase[name]:>6.3f} {check.smape[name]:>7.1%}")
    ets = check.mase["ETS"]
    print(
        f"\nMASE ratio: ETS / seasonal naive = {ets / check.mase['seasonal naive']:.2f}, ETS / mean = {ets / check.mase['mean']:.2f}"
    )
    ahead = next_weeks(series, 4)
    print("\nthe next four weeks as of 2011-12-10 (80 % interval):")
    for r in ahead.itertuples():
        print(f"  week of {r.period_start:%Y-%m-%d}: {r.revenue:>10,.0f}  ({r.lower:,.0f} – {r.upper:,.0f})")
    total, lo, hi = next_four_weeks_total(series)
    print(
        f"  together: {total:,.0f} ({lo:,.0f} – {hi:,.0f}); a year before, the shop shut over Christmas, "
        "which one year of weeks cannot teach a model"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
