"""The cost-offset model of ``spec/metrics.md``: what the program's outcomes avoided, priced
with assumptions a program can see and change (``CostAssumption``).

"Avoided" = (baseline rate - program rate) x encounters with a disposition, where the baseline
is the program's pre-launch rate or a cited published one. Each component is computed with
the assumptions' values and again with their lows and highs; a component whose inputs are not
set is left out of the total and names what it needs. A negative figure (the program did
worse than its baseline) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction

from corespond.core.models import Program
from corespond.outcomes.models import CostAssumption

K = CostAssumption.Key
NOT_SET = "not set: needs a local figure (your agency's budget office or pre-launch data)"

# Defaults cite the figures in PRODUCT.md (as programs and studies report them; not verified
# by us). Where no range is published, low and high equal the value: set your own.
DEFAULTS: dict[str, tuple[float | None, float | None, float | None, str]] = {
    K.ED_VISIT_COST: (
        630,
        630,
        2264,
        "Mental-health ED visit about $630 (AHRQ HCUP, 2017); high: psychiatric ED boarding "
        "about $2,264",
    ),
    K.JAIL_BED_DAY_COST: (88, 50, 126, "Jail bed-day $50-$126 by county; value: the midpoint"),
    K.OFFICER_HOUR_COST: (
        58,
        58,
        58,
        "Officer about $58/hour fully loaded (one California city); no range published",
    ),
    K.BOOKING_COST: (None, None, None, NOT_SET),
    K.JAIL_DAYS_PER_BOOKING: (None, None, None, NOT_SET),
    K.AMBULANCE_TRANSPORT_COST: (None, None, None, NOT_SET),
    K.BASELINE_ARREST_RATE: (None, None, None, NOT_SET),
    K.BASELINE_ED_RATE: (None, None, None, NOT_SET),
    K.BASELINE_AMBULANCE_RATE: (None, None, None, NOT_SET),
    K.TEAM_FTE_YEARS: (None, None, None, NOT_SET),
}


@transaction.atomic
def assumptions_install_defaults(*, program: Program) -> list[CostAssumption]:
    """Give the program every assumption it lacks, with the cited defaults. Existing values
    are never overwritten."""
    existing = set(CostAssumption.objects.filter(program=program).values_list("key", flat=True))
    created = [
        CostAssumption(program=program, key=key, value=v, low=lo, high=hi, source=source)
        for key, (v, lo, hi, source) in DEFAULTS.items()
        if key not in existing
    ]
    # Two first visits at once both find the rows missing: the second's are already there.
    CostAssumption.objects.bulk_create(created, ignore_conflicts=True)
    return created


def assumptions(program: Program) -> dict[str, CostAssumption]:
    found = {a.key: a for a in CostAssumption.objects.filter(program=program)}
    for key, (v, lo, hi, source) in DEFAULTS.items():
        found.setdefault(
            key,
            CostAssumption(program=program, key=key, value=v, low=lo, high=hi, source=source),
        )
    return found


def _component(
    inputs: dict[str, CostAssumption],
    needs: list[str],
    price: Callable[[dict[str, float]], float],
    optional: tuple[str, ...] = (),
) -> dict[str, Any]:
    missing = [k for k in needs if inputs[k].value is None]
    if missing:
        return {"value": None, "needs": missing}

    def figures(which: str) -> dict[str, float]:
        out = {}
        for key in (*needs, *optional):
            a = inputs[key]
            chosen = getattr(a, which) if getattr(a, which) is not None else a.value
            out[key] = chosen if chosen is not None else 0.0
        return out

    return {
        "value": round(price(figures("value"))),
        "low": round(price(figures("low"))),
        "high": round(price(figures("high"))),
        "assumptions": {k: inputs[k].value for k in (*needs, *optional)},
    }


def offsets(
    program: Program, counted: Mapping[str, int], computed: dict[str, Any]
) -> dict[str, Any]:
    """The ``cost.*`` metrics for one program, from the counts of the encounters in scope
    (``disposed``: with a known disposition; ``arrests``; ``ed``: taken to an emergency
    department; ``ems``: known disposition and transported by EMS) and the metrics already
    computed for them."""
    inputs = assumptions(program)
    e = counted
    n = e["disposed"]

    def avoided(baseline: float, count: int) -> float:
        return (baseline - (count / n if n else 0.0)) * n

    hours_returned = computed.get("police.officer_hours_returned", {}).get("value") or 0.0
    components = {
        "cost.arrests_avoided": _component(
            inputs,
            [K.BASELINE_ARREST_RATE, K.JAIL_BED_DAY_COST, K.JAIL_DAYS_PER_BOOKING],
            lambda f: (
                avoided(f[K.BASELINE_ARREST_RATE], e["arrests"])
                * (f[K.BOOKING_COST] + f[K.JAIL_DAYS_PER_BOOKING] * f[K.JAIL_BED_DAY_COST])
            ),
            optional=(K.BOOKING_COST,),
        ),
        "cost.ed_visits_avoided": _component(
            inputs,
            [K.BASELINE_ED_RATE, K.ED_VISIT_COST],
            lambda f: avoided(f[K.BASELINE_ED_RATE], e["ed"]) * f[K.ED_VISIT_COST],
        ),
        "cost.officer_hours_returned": _component(
            inputs, [K.OFFICER_HOUR_COST], lambda f: hours_returned * f[K.OFFICER_HOUR_COST]
        ),
        "cost.ambulance_transports_avoided": _component(
            inputs,
            [K.BASELINE_AMBULANCE_RATE, K.AMBULANCE_TRANSPORT_COST],
            lambda f: (
                avoided(f[K.BASELINE_AMBULANCE_RATE], e["ems"]) * f[K.AMBULANCE_TRANSPORT_COST]
            ),
        ),
    }
    priced = [c for c in components.values() if c["value"] is not None]
    total: dict[str, Any] = {
        "value": sum(c["value"] for c in priced) if priced else None,
        "low": sum(c["low"] for c in priced) if priced else None,
        "high": sum(c["high"] for c in priced) if priced else None,
        "left_out": [name for name, c in components.items() if c["value"] is None],
    }
    fte = inputs[K.TEAM_FTE_YEARS].value
    per_fte: dict[str, Any] = (
        {
            "value": round(total["value"] / fte),
            "low": round(total["low"] / fte),
            "high": round(total["high"] / fte),
        }
        if total["value"] is not None and fte
        else {"value": None, "needs": [K.TEAM_FTE_YEARS]}
    )
    return {
        **components,
        "cost.offsets_total": total,
        "cost.offsets_per_team_member_year": per_fte,
    }


RATE_KEYS = frozenset({K.BASELINE_ARREST_RATE, K.BASELINE_ED_RATE, K.BASELINE_AMBULANCE_RATE})


def assumption_problems(key: str, value: Any, low: Any, high: Any) -> dict[str, str]:
    """What is wrong with one assumption's figures, by field (empty: nothing)."""
    problems: dict[str, str] = {}
    for name, figure in (("value", value), ("low", low), ("high", high)):
        if figure is None:
            continue
        if figure < 0:
            problems[name] = "Must not be negative."
        elif key in RATE_KEYS and figure > 1:
            problems[name] = "A rate is a share between 0 and 1 (0.25 for 25%)."
    if "low" not in problems and low is not None and value is not None and low > value:
        problems["low"] = "The low end must not be above the value."
    if "high" not in problems and high is not None and value is not None and high < value:
        problems["high"] = "The high end must not be below the value."
    return problems


@transaction.atomic
def assumptions_update(
    *, program: Program, user: Any, figures: dict[str, dict[str, Any]]
) -> list[str]:
    """Set the program's assumptions from ``figures`` (key -> value, low, high, source) and
    return the keys that changed. All or nothing: the caller has validated every row with
    :func:`assumption_problems`."""
    assumptions_install_defaults(program=program)
    changed = []
    for row in CostAssumption.objects.select_for_update().filter(program=program, key__in=figures):
        new = figures[row.key]
        if any(getattr(row, f) != new[f] for f in ("value", "low", "high", "source")):
            for f in ("value", "low", "high", "source"):
                setattr(row, f, new[f])
            row.updated_by = user
            row.save()
            changed.append(row.key)
    return changed
