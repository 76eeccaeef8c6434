"""The records behind a number: the calls or encounters a metric counted, for the dashboard's
click-through.

Both paths start from the metric's :class:`~corespond.outcomes.metrics.RecordSet`, the same
conditions the catalog counts with. Staff who may read the records get them through the
access gate (``restrict`` with the view action: the sharing policy decides which, and every
read is audited) with links to the record pages. Evaluators hold counts, not rows: they get
de-identified rows, read here and nowhere else: a pseudonym that differs from listing to
listing in place of the record's id, the month in place of the time, the call or response
type and the response minutes; no outcome or flag columns (they would let suppressed counts
be tallied), no free text, nothing about the person. None at all when the number itself is
suppressed for them, when fewer than 11 records lie behind it, or when a month of the list
holds fewer than 11 (the small-cell rule).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from corespond.core.access import Action, audit_event, restrict, system
from corespond.field.models import Encounter
from corespond.intake.models import Call
from corespond.outcomes import metrics

PAGE_SIZE = 50
PARTS = ("numerator", "denominator")


class UnknownMetric(LookupError):
    """The metric has no records to list (a count of people, a cost, a sum of hours)."""


@dataclass
class Records:
    metric_id: str
    label: str
    part: str
    kind: str  # "call" or "encounter"
    total: int  # what the metric counted, in the user's aggregate scope
    deidentified: bool
    suppressed: bool = False
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    page: Page[Any] | None = None


def drillable() -> set[str]:
    return set(metrics.record_sets())


def records(
    filters: metrics.Filters,
    metric_id: str,
    *,
    part: str = "numerator",
    user: Any,
    deidentified: bool,
    page: int | str | None = 1,
) -> Records:
    """One page of the records behind ``metric_id`` (its numerator or denominator)."""
    found = metrics.record_sets().get(metric_id)
    if found is None or part not in PARTS:
        raise UnknownMetric(metric_id)
    condition = found.numerator if part == "numerator" else found.denominator
    if condition is None:
        raise UnknownMetric(f"{metric_id} has no denominator")
    scope = _scope(found.model, filters)
    base = scope.filter(condition)
    kind = "call" if found.model is Call else "encounter"
    # What the metric counted: the aggregate scope, the same as the catalog's.
    counted = restrict(base, user, action=Action.AGGREGATE, purpose="metric records")
    result = Records(
        metric_id=metric_id,
        label=metrics.LABELS.get(metric_id, metric_id),
        part=part,
        kind=kind,
        total=counted.count(),
        deidentified=deidentified,
    )
    if deidentified:
        if _metric_suppressed(found, scope, user):
            result.suppressed = True
            return result
        _deidentified(result, counted, filters, user, page)
    else:
        _identified(result, base, filters, user, page)
    return result


def _scope(model: type[Call] | type[Encounter], filters: metrics.Filters) -> QuerySet[Any]:
    if model is Call:
        return Call.objects.filter(filters.call_q())
    scope = Encounter.objects.filter(filters.call_q("call__"))
    return scope.filter(team_id=filters.team_id) if filters.team_id else scope


def _metric_suppressed(found: metrics.RecordSet, scope: QuerySet[Any], user: Any) -> bool:
    """Whether the number itself is shown to evaluators as suppressed: then neither its
    numerator's nor its denominator's rows are listed (either would give it away)."""
    counted = restrict(scope, user, action=Action.AGGREGATE, purpose="metric records")
    numerator = counted.filter(found.numerator).count()
    if found.denominator is None:
        metric: dict[str, Any] = {"value": numerator}
    else:
        metric = metrics.rate(numerator, counted.filter(found.denominator).count())
    return bool(metrics.suppressed({"m": metric})["m"].get("suppressed"))


def _identified(
    result: Records, base: QuerySet[Any], filters: metrics.Filters, user: Any, page: Any
) -> None:
    visible = restrict(base, user, action=Action.VIEW, purpose="metric records")
    if result.kind == "call":
        visible = visible.select_related("triage").order_by("-received_at", "-pk")
        result.columns = ["Call", "Received", "Type", "Behavioural health", "Eligible", "Status"]
    else:
        visible = visible.select_related("call", "team").order_by("-received_at", "-pk")
        result.columns = ["Call", "Received", "Team", "Contact", "Disposition", "Response (min)"]
    result.page = Paginator(visible, PAGE_SIZE).get_page(page)
    zone = filters.zone()
    for record in result.page.object_list:
        received = record.received_at
        when = timezone.localtime(received, zone).strftime("%Y-%m-%d %H:%M") if received else ""
        if result.kind == "call":
            triage = getattr(record, "triage", None)
            cells = [
                record.call_type,
                "yes" if record.behavioral_health else "no",
                "yes" if triage is not None and triage.eligible else "no",
                record.get_status_display(),
            ]
            link = reverse("intake:call_detail", args=[record.pk])
            reference = record.reference
        else:
            minutes = record.interval_minutes("response")
            cells = [
                record.team.call_sign if record.team else "",
                record.get_contact_outcome_display(),
                record.get_disposition_display(),
                f"{minutes:.0f}" if minutes is not None else "",
            ]
            link = reverse("field:encounter", args=[record.pk])
            reference = record.call.reference
        result.rows.append({"link": link, "cells": [reference, when, *cells]})


def pseudonym(kind: str, pk: int, listing: str) -> str:
    """A stand-in for a record's id within one listing (a metric's numerator or
    denominator): stable across its pages, different in every other listing, so rows of
    several lists cannot be joined into one record; it cannot be turned back into the id
    without the installation's secret key."""
    message = f"{kind}:{pk}:{listing}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:10]


def _deidentified(
    result: Records, counted: QuerySet[Any], filters: metrics.Filters, user: Any, page: Any
) -> None:
    if 0 < result.total < metrics.SUPPRESSION_THRESHOLD:
        result.suppressed = True
        return
    zone = filters.zone()
    month = TruncMonth("received_at", tzinfo=zone)
    # The user's aggregate scope, restamped for this one read of whitelisted columns.
    rows = system(counted, reason="metrics: de-identified records").annotate(month=month)
    # A month with fewer than 11 rows would show a count the dashboard suppresses.
    per_month = rows.values("month").annotate(n=Count("pk")).order_by()
    if any(m["n"] < metrics.SUPPRESSION_THRESHOLD for m in per_month):
        result.suppressed = True
        return
    # No outcome or flag columns: each would let other, suppressed counts be tallied.
    if result.kind == "call":
        fields = ["pk", "month", "call_type"]
        result.columns = ["Record", "Month", "Call type"]
    else:
        fields = ["pk", "month", "team__response_type", "received_at", "arrived_at"]
        result.columns = ["Record", "Month", "Response type", "Response (min)"]
    result.page = Paginator(rows.order_by("-month", "pk").values(*fields), PAGE_SIZE).get_page(page)
    ids = []
    for row in result.page.object_list:
        ids.append(row["pk"])
        listing = f"{result.metric_id}/{result.part}"
        cells: list[Any] = [pseudonym(result.kind, row["pk"], listing), f"{row['month']:%Y-%m}"]
        if result.kind == "call":
            cells.append(row["call_type"])
        else:
            received, arrived = row["received_at"], row["arrived_at"]
            minutes = (arrived - received).total_seconds() / 60 if received and arrived else None
            shown = f"{minutes:.0f}" if minutes is not None and minutes >= 0 else ""
            cells += [row["team__response_type"] or "", shown]
        result.rows.append({"link": "", "cells": cells})
    model = Call if result.kind == "call" else Encounter
    audit_event(
        user=user, action=Action.VIEW, model=model, ids=ids, purpose="de-identified metric records"
    )
