"""Reads for the break-the-glass review queue."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from corespond.core.access import programs_for
from corespond.sharing.models import BreakGlassGrant
from corespond.sharing.services import REVIEW_ROLES


def grants_to_review(*, user: Any) -> QuerySet[BreakGlassGrant]:
    """Every use of break-the-glass in the programs the user supervises, unreviewed first.
    Shows who, when and why; the person appears by id only (the reviewer needs no more)."""
    qs = BreakGlassGrant.objects.select_related("user", "reviewed_by")
    if not user.is_superuser:
        qs = qs.filter(person__program__in=programs_for(user, REVIEW_ROLES))
    return qs.order_by("reviewed_at", "-granted_at")
