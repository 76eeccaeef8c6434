"""Before and after the program's launch: an interrupted time series of monthly rates.

Segmented regression (ordinary least squares, statsmodels) of a monthly rate on time, a
step at the launch month and a change of slope after it:

    rate_t = b0 + b1 * t + b2 * after_t + b3 * (t - t_launch) * after_t + error

b2 is the change in level at launch, b3 the change in the monthly trend. Assumptions, stated
wherever the result is shown: months are independent (no autocorrelation correction), the
pre-launch trend would have continued unchanged, nothing else changed at the same time, and
the rate is measured the same way before and after. At least three months on each side are
required; the figures come with 95% confidence intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from corespond.outcomes import dashboard, metrics

MIN_MONTHS = 3
ASSUMPTIONS = (
    "Ordinary least squares on monthly rates: months are treated as independent (no "
    "correction for autocorrelation or seasonality); the trend before launch is assumed to "
    "have continued without the program; nothing else is assumed to have changed at launch; "
    "the rate is measured the same way before and after. 95% confidence intervals."
)
# Rates the analysis is offered for, with the Month attribute that holds each.
SERIES = {
    "outcome.diversion_rate": "diversion_rate",
    "contact.engaged_rate": "engaged_rate",
    "care.followup_connected_rate": "connected_rate",
}


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Result:
    metric_id: str
    months_before: int
    months_after: int
    level_change: Estimate
    slope_change: Estimate
    baseline_slope: Estimate
    points: list[tuple[date, float, bool]]  # month, rate, after launch
    fitted: list[float]
    counterfactual: list[float | None]  # the pre-launch trend carried on, after launch


class NotEnoughData(ValueError):
    pass


def fit(months: list[dashboard.Month], launch: date, metric_id: str) -> Result:
    import numpy as np
    from statsmodels.regression.linear_model import OLS

    attribute = SERIES[metric_id]
    launch_month = launch.replace(day=1)
    points = [
        (m.start, float(getattr(m, attribute)), m.start >= launch_month)
        for m in months
        if getattr(m, attribute) is not None
    ]
    before = sum(1 for p in points if not p[2])
    after = len(points) - before
    if before < MIN_MONTHS or after < MIN_MONTHS:
        raise NotEnoughData(
            f"The analysis needs at least {MIN_MONTHS} months with data on each side of the "
            f"launch ({before} before, {after} after)."
        )
    t = np.array([_month_index(p[0]) for p in points], dtype=float)
    t0 = float(_month_index(launch_month))
    post = np.array([1.0 if p[2] else 0.0 for p in points])
    y = np.array([p[1] for p in points])
    design = np.column_stack([np.ones_like(t), t, post, (t - t0) * post])
    model = OLS(y, design).fit()
    intervals = model.conf_int(alpha=0.05)

    def estimate(i: int) -> Estimate:
        return Estimate(float(model.params[i]), float(intervals[i][0]), float(intervals[i][1]))

    fitted = [float(v) for v in model.fittedvalues]
    b0, b1 = float(model.params[0]), float(model.params[1])
    counterfactual = [b0 + b1 * ti if p[2] else None for ti, p in zip(t, points, strict=True)]
    return Result(
        metric_id=metric_id,
        months_before=before,
        months_after=after,
        level_change=estimate(2),
        slope_change=estimate(3),
        baseline_slope=estimate(1),
        points=points,
        fitted=fitted,
        counterfactual=counterfactual,
    )


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def analyse(
    filters: metrics.Filters, launch: date, *, user: Any = None, system_reason: str = ""
) -> list[Result | str]:
    """One result (or the reason there is none) per offered rate."""
    months = dashboard.monthly(filters, user=user, system_reason=system_reason)
    out: list[Result | str] = []
    for metric_id in SERIES:
        try:
            out.append(fit(months, launch, metric_id))
        except NotEnoughData as exc:
            out.append(f"{metrics.LABELS.get(metric_id, metric_id)}: {exc}")
    return out


def rows(results: list[Result | str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Display rows (label, months before/after, level and trend changes in percentage
    points with their intervals), and the reasons for the rates without a result."""
    from corespond.outcomes.metrics import LABELS

    def points(e: Estimate) -> str:
        return f"{e.value * 100:+.1f} points (95% CI {e.low * 100:+.1f} to {e.high * 100:+.1f})"

    found = [
        {
            "metric_id": r.metric_id,
            "label": LABELS.get(r.metric_id, r.metric_id),
            "months": f"{r.months_before} / {r.months_after}",
            "level": points(r.level_change),
            "slope": points(r.slope_change),
            "result": r,
        }
        for r in results
        if isinstance(r, Result)
    ]
    return found, [r for r in results if isinstance(r, str)]
