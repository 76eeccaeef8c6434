"""The dashboard's figures: the metric catalog month by month, and the response-time sample.

Monthly figures are the catalog's own definitions computed per month (months in the
program's time zone), so a month on the dashboard and the same month in `corespond metrics`
agree. Only counts and percentiles leave this module.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache

from corespond.outcomes import metrics

CACHE_SECONDS = 60


@dataclass(frozen=True)
class Month:
    start: date
    calls: int
    eligible: int
    served: int
    response_p50: float | None
    engaged_rate: float | None
    diversion_rate: float | None
    connected_rate: float | None

    @property
    def label(self) -> str:
        return f"{self.start:%b %Y}"


def has_small_counts(months: list[Month]) -> bool:
    """Whether any month's counts fall under the small-cell threshold: then a chart of them
    is withheld from evaluators and the public (the tables say "<11" instead)."""
    return any(
        0 < n < metrics.SUPPRESSION_THRESHOLD
        for m in months
        for n in (m.calls, m.eligible, m.served)
    )


def months_between(first: date, last: date) -> list[tuple[date, date]]:
    """Calendar months overlapping [first, last], each clipped to the range."""
    out = []
    start = first.replace(day=1)
    while start <= last:
        following = (start + timedelta(days=32)).replace(day=1)
        out.append((max(start, first), min(following - timedelta(days=1), last)))
        start = following
    return out


def _key(kind: str, filters: metrics.Filters, user: Any) -> str:
    """Per user (what they may count differs) and filters; short-lived, so a page and its
    charts compute once."""
    who = getattr(user, "pk", None)
    digest = hashlib.sha1(repr(filters).encode()).hexdigest()
    return f"dashboard:{kind}:{who}:{digest}"


def monthly(filters: metrics.Filters, *, user: Any = None, system_reason: str = "") -> list[Month]:
    """One Month per calendar month of the filters' period (which must have both ends)."""
    assert filters.date_from and filters.date_to
    key = _key("monthly", filters, user)
    found = cache.get(key)
    if found is not None:
        return list(found)
    out = []
    for first, last in months_between(filters.date_from, filters.date_to):
        part = metrics.Filters(
            date_from=first,
            date_to=last,
            program_id=filters.program_id,
            agency_id=filters.agency_id,
            team_id=filters.team_id,
            response_type=filters.response_type,
            model=filters.model,
            tz=filters.tz,
        )
        m = metrics.compute(part, user=user, system_reason=system_reason)
        out.append(
            Month(
                start=first.replace(day=1),
                calls=m["calls.total"]["value"],
                eligible=m["calls.eligible"]["value"],
                served=m["calls.eligible_served_rate"]["numerator"],
                response_p50=m["response.response_minutes.p50"]["value"],
                engaged_rate=m["contact.engaged_rate"]["value"],
                diversion_rate=m["outcome.diversion_rate"]["value"],
                connected_rate=m["care.followup_connected_rate"]["value"],
            )
        )
    cache.set(key, out, CACHE_SECONDS)
    return out


def catalog(
    filters: metrics.Filters, *, user: Any = None, system_reason: str = ""
) -> dict[str, Any]:
    """The whole catalog for the period (cached briefly: the page's charts ask again)."""
    key = _key("catalog", filters, user)
    found = cache.get(key)
    if found is None:
        found = metrics.compute(filters, user=user, system_reason=system_reason)
        cache.set(key, found, CACHE_SECONDS)
    return dict(found)


def response_sample(filters: metrics.Filters, *, user: Any) -> list[tuple[float, int]]:
    """The call-to-arrival times (minutes, with how many encounters each) in scope: for the
    distribution chart only."""
    key = _key("response", filters, user)
    found = cache.get(key)
    if found is None:
        found = metrics.interval_sample(filters, "response", user=user)
        cache.set(key, found, CACHE_SECONDS)
    return list(found)
