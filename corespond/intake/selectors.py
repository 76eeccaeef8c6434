"""Reads for intake. Every queryset of calls passes through the access gate."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from corespond.core.access import restrict
from corespond.intake.models import Call


def calls_visible(*, user: Any) -> QuerySet[Call]:
    return restrict(Call.objects.select_related("triage", "program", "agency"), user)


def calls_waiting(*, user: Any) -> QuerySet[Call]:
    return (
        calls_visible(user=user)
        .filter(status=Call.Status.WAITING)
        .order_by("triage__priority", "received_at")
    )


def call_get(*, user: Any, call_id: int) -> Call:
    """One call the user may see; raises Call.DoesNotExist otherwise (shown as 404)."""
    return calls_visible(user=user).get(pk=call_id)
