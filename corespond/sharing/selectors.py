"""Reads for the break-the-glass review queue and a person's consents."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from corespond.core.access import Action, audit_event, programs_for
from corespond.sharing.models import BreakGlassGrant, Consent
from corespond.sharing.services import REVIEW_ROLES, person_for_consent


def grants_to_review(*, user: Any) -> QuerySet[BreakGlassGrant]:
    """Every use of break-the-glass in the programs the user supervises, unreviewed first.
    Shows who, when and why; the person appears by id only (the reviewer needs no more)."""
    qs = BreakGlassGrant.objects.select_related("user", "reviewed_by")
    if not user.is_superuser:
        qs = qs.filter(program__in=programs_for(user, REVIEW_ROLES))
    return qs.order_by("reviewed_at", "-granted_at")


def consents_of(*, user: Any, person_id: int) -> list[Consent]:
    """The person's consents, newest first, for those who may manage them (else none)."""
    person = person_for_consent(user, person_id)
    found = list(Consent.objects.filter(person=person).select_related("recipient", "recorded_by"))
    audit_event(user=user, action=Action.VIEW, model=Consent, ids=[c.pk for c in found])
    return found
