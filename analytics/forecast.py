"""Next weeks' sales: weekly revenue forecast with an 80 % interval (statsmodels ETS), and a
rolling backtest against the seasonal-naive and mean baselines (MASE).

Pure pandas over the orders frame (analytics/frames.py). Weeks start on Monday; only weeks that
have ended by the as-of count, so a run is the same whenever in the week it happens.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

SEASON = 52  # weeks in a year: used once there are two years of history
INTERVAL = 0.8
MIN_WEEKS = 8


def weekly_sales(orders: pd.DataFrame, as_of: datetime) -> pd.Series:
    """Revenue per complete week (index: the Monday it starts), empty weeks as 0."""
    monday = pd.Timestamp(as_of).normalize() - pd.Timedelta(days=pd.Timestamp(as_of).weekday())
    done = orders[orders["placed_at"] < monday]
    if done.empty:
        return pd.Series(dtype=float)
    start = done["placed_at"].dt.normalize() - pd.to_timedelta(done["placed_at"].dt.weekday, unit="D")
    series = done.groupby(start)["total"].sum().astype(float)
    if done["placed_at"].min().normalize() > series.index.min():
        series = series.iloc[1:]  # the history starts mid-week: that first week is not a whole one
    full = pd.date_range(series.index.min(), monday - pd.Timedelta(days=7), freq="7D")
    return series.reindex(full, fill_value=0.0)


def _model(history: np.ndarray):  # type: ignore[no-untyped-def]
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = len(history) >= 2 * SEASON
    # Additive trend, undamped: on the one real year we have (bench/retail_forecast.py) the damped
    # trend lagged the autumn ramp and lost to the seasonal-naive baseline; undamped beat it.
    model = ETSModel(
        pd.Series(history, dtype=float),
        error="add",
        trend="add",
        seasonal="add" if seasonal else None,
        seasonal_periods=SEASON if seasonal else None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short series; the backtest judges the result
        return model.fit(disp=False)


def ets_forecast(history: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point forecast and the 80 % interval for the next `horizon` weeks (never below zero)."""
    fitted = _model(history)
    frame = fitted.get_prediction(start=len(history), end=len(history) + horizon - 1).summary_frame(alpha=1 - INTERVAL)
    clip = lambda a: np.clip(np.asarray(a, dtype=float), 0, None)  # noqa: E731
    return clip(frame["mean"]), clip(frame["pi_lower"]), clip(frame["pi_upper"])


def seasonal_naive(history: np.ndarray, horizon: int) -> np.ndarray:
    """The same week a year before when the history reaches back that far, else the last week."""
    if len(history) >= SEASON:
        return np.array([history[len(history) - SEASON + (h % SEASON)] for h in range(horizon)])
    return np.repeat(history[-1], horizon)


def mean_forecast(history: np.ndarray, horizon: int) -> np.ndarray:
    return np.repeat(history.mean(), horizon)


@dataclass(frozen=True)
class Backtest:
    origins: int
    horizon: int
    mase: dict[str, float]  # method -> mean absolute scaled error (scale: in-sample one-week naive)
    smape: dict[str, float]


def backtest(series: pd.Series, horizon: int = 4, origins: int = 20) -> Backtest:
    """Rolling origin over the last weeks: at each origin every method sees only the weeks before
    it and forecasts the next `horizon`; errors are scaled by that history's naive error."""
    values = series.to_numpy(dtype=float)
    methods = {"ETS": lambda h, n: ets_forecast(h, n)[0], "seasonal naive": seasonal_naive, "mean": mean_forecast}
    scaled: dict[str, list[float]] = {m: [] for m in methods}
    smape: dict[str, list[float]] = {m: [] for m in methods}
    starts = range(len(values) - horizon - origins + 1, len(values) - horizon + 1)
    used = 0
    for origin in starts:
        history, actual = values[:origin], values[origin : origin + horizon]
        if len(history) < MIN_WEEKS:
            continue
        scale = np.mean(np.abs(np.diff(history))) or 1.0
        used += 1
        for name, method in methods.items():
            predicted = method(history, horizon)
            scaled[name].append(float(np.mean(np.abs(actual - predicted)) / scale))
            denom = np.abs(actual) + np.abs(predicted)
            smape[name].append(
                float(np.mean(np.where(denom > 0, 2 * np.abs(actual - predicted) / np.where(denom > 0, denom, 1), 0)))
            )
    return Backtest(
        used,
        horizon,
        {m: float(np.mean(v)) if v else float("nan") for m, v in scaled.items()},
        {m: float(np.mean(v)) if v else float("nan") for m, v in smape.items()},
    )


def next_weeks(series: pd.Series, horizon: int = 8) -> pd.DataFrame:
    """period_start, revenue, lower, upper for the weeks after the series."""
    point, lower, upper = ets_forecast(series.to_numpy(dtype=float), horizon)
    start = series.index[-1] + timedelta(days=7)
    return pd.DataFrame(
        {
            "period_start": pd.date_range(start, periods=horizon, freq="7D"),
            "revenue": point,
            "lower": lower,
            "upper": upper,
        }
    )


def next_four_weeks_total(series: pd.Series, repetitions: int = 1000, seed: int = 7) -> tuple[float, float, float]:
    """The next four weeks' revenue together, with an 80 % interval from simulated paths (the
    weekly intervals cannot simply be added)."""
    fitted = _model(series.to_numpy(dtype=float))
    paths = np.clip(
        fitted.simulate(
            nsimulations=4, repetitions=repetitions, anchor="end", random_state=np.random.RandomState(seed)
        ),
        0,
        None,
    )
    totals = np.asarray(paths).reshape(4, -1).sum(axis=0)
    point = float(np.clip(fitted.forecast(4), 0, None).sum())
    lo, hi = np.quantile(totals, [(1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2])
    return point, float(lo), float(hi)
