"""Who may read or change which category of person-level data: the policy of the access gate.

A user acts through memberships (agency A, role R). For a record of category C, recorded by
agency O in program P, the membership allows access when

1. R may hold C at all (``ROLE_CATEGORIES``: a police officer never reads clinical notes,
   an evaluator reads no rows), and
2. A is O and A takes part in P (an agency's own records), or an agreement of P in force
   names both A and O as parties and has a rule for (A, R, C) (read, or write for changes);
3. and for ``sud_part2`` (42 CFR Part 2) held by another agency, the person's consent in force
   names A as the recipient.

Otherwise a break-the-glass grant in force for the user and the record's person opens it
(every category: Part 2 allows disclosure in a medical emergency, and each use is reviewed).
Default: deny. ``decide`` answers for one record with the reason; ``row_filter`` is the same
rule as a queryset filter, which the gate applies to every query.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from django.db import models
from django.db.models import Q
from django.utils import timezone

from corespond.core.vocab import DataCategory as C
from corespond.core.vocab import Role as R

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")

ALL = frozenset(C.values)
OPERATIONAL = frozenset({C.INCIDENT, C.SAFETY, C.IDENTITY, C.ENCOUNTER})
CARE = frozenset(
    {C.SCREENING, C.CLINICAL_NOTE, C.REFERRAL, C.SAFETY_PLAN, C.DEMOGRAPHICS, C.SUD_PART2}
)

# What each role may ever hold, whoever recorded it. Evaluators read aggregates only.
ROLE_CATEGORIES: dict[str, frozenset[str]] = {
    R.OFFICER: OPERATIONAL,
    R.DISPATCHER: OPERATIONAL,
    R.CALL_TAKER_988: OPERATIONAL | {C.REFERRAL, C.SAFETY_PLAN},
    R.CLINICIAN: ALL,
    R.PARAMEDIC: OPERATIONAL | {C.SCREENING, C.CLINICAL_NOTE, C.DEMOGRAPHICS},
    R.PEER: OPERATIONAL | {C.REFERRAL, C.SAFETY_PLAN, C.DEMOGRAPHICS},
    R.CASE_MANAGER: ALL,
    R.SUPERVISOR: ALL - {C.SUD_PART2},
    R.PROGRAM_MANAGER: OPERATIONAL | {C.REFERRAL, C.DEMOGRAPHICS},
    R.AGENCY_ADMIN: frozenset({C.INCIDENT, C.ENCOUNTER}),
    R.EVALUATOR: frozenset(),
}


# The notice that must accompany each disclosure of a Part 2 record made with the patient's
# consent (42 CFR 2.32(a)(1), as revised in 2024; federal regulation text).
REDISCLOSURE_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


@dataclass(frozen=True)
class Decision:
    allowed: bool
    basis: str  # "own agency", "agreement: <name>", "break-the-glass", or why not


# Within one web request the same user's memberships, their agencies' programs and the
# agreements in force are asked for on every gated query (a page makes dozens). They are
# looked up once per request (core.middleware opens the cache); outside a request, or
# while a streamed response runs on, every call reads the database.
_request_cache: contextvars.ContextVar[dict[tuple[Any, ...], Any] | None] = contextvars.ContextVar(
    "corespond_policy_cache", default=None
)


@contextmanager
def request_cache() -> Iterator[None]:
    token = _request_cache.set({})
    try:
        yield
    finally:
        _request_cache.reset(token)


def _memo(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    cache = _request_cache.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cast(T, cache[key])


def _memberships(user: Any) -> list[tuple[int, str]]:
    return _memo(
        ("memberships", user.pk),
        lambda: list(user.memberships.values_list("agency_id", "role")),
    )


def _programs_of(agency_id: int) -> set[int]:
    from corespond.core.models import Program

    return _memo(
        ("programs", agency_id),
        lambda: set(Program.objects.filter(agencies__id=agency_id).values_list("pk", flat=True)),
    )


def _agreements(
    agency_id: int, role: str, category: str, write: bool, at: datetime
) -> list[tuple[int, str, int, set[int]]]:
    """(agreement id, name, program id, party ids) of agreements in force with a rule."""
    return _memo(
        ("agreements", agency_id, role, category, write),
        lambda: _agreements_now(agency_id, role, category, write, at),
    )


def _agreements_now(
    agency_id: int, role: str, category: str, write: bool, at: datetime
) -> list[tuple[int, str, int, set[int]]]:
    from corespond.sharing.models import Agreement, AgreementRule

    rules = AgreementRule.objects.filter(party_id=agency_id, role=role, category=category)
    if write:
        rules = rules.filter(access=AgreementRule.Access.WRITE)
    found = (
        Agreement.objects.filter(Agreement.in_force(at), parties__id=agency_id)
        .filter(pk__in=rules.values("agreement_id"))
        .prefetch_related("parties")
        .distinct()
    )
    return [(a.pk, a.name, a.program_id, {p.pk for p in a.parties.all()}) for a in found]


def _consented_people(agency_id: int, category: str, at: datetime) -> models.QuerySet[Any]:
    from corespond.sharing.models import Consent

    return Consent.objects.filter(
        Consent.in_force(at), recipient_id=agency_id, category=category
    ).values("person_id")


def _glass_people(user: Any, at: datetime) -> models.QuerySet[Any]:
    from corespond.sharing.models import BreakGlassGrant

    return BreakGlassGrant.objects.filter(user=user, granted_at__lte=at, expires_at__gt=at).values(
        "person_id"
    )


def authoring_agency(user: Any, *, program_id: int, category: str) -> int | None:
    """The agency a record of ``category`` the user writes in the program belongs to: the
    first of the user's agencies in the program where their role may hold that category.
    None if no membership qualifies (the user may not write such records there)."""
    for agency_id, role in sorted(_memberships(user)):
        if category in ROLE_CATEGORIES.get(role, frozenset()) and program_id in _programs_of(
            agency_id
        ):
            return agency_id
    return None


def decide(
    user: Any,
    *,
    category: str,
    program_id: int,
    owner_agency_id: int,
    person_id: int | None = None,
    write: bool = False,
    at: datetime | None = None,
) -> Decision:
    """May ``user`` read (or change) this one record? With the basis, for the record page."""
    from corespond.sharing.models import Consent

    at = at or timezone.now()
    if not user.is_authenticated or not user.is_active:
        return Decision(False, "not signed in")
    if user.is_superuser:
        return Decision(True, "installation administrator")
    why_not = "no role of yours may see this kind of data"
    for agency_id, role in _memberships(user):
        if category not in ROLE_CATEGORIES.get(role, frozenset()):
            continue
        if program_id not in _programs_of(agency_id):
            why_not = "your agency does not take part in this program"
            continue
        partner = agency_id != owner_agency_id
        if partner and category == C.SUD_PART2:
            consented = (
                person_id is not None
                and Consent.objects.filter(
                    Consent.in_force(at),
                    person_id=person_id,
                    recipient_id=agency_id,
                    category=category,
                ).exists()
            )
            if not consented:
                why_not = "no consent in force names your agency (42 CFR Part 2)"
                continue
        if not partner:
            return Decision(True, "own agency")
        for _, name, agreement_program, parties in _agreements(
            agency_id, role, category, write, at
        ):
            if agreement_program == program_id and owner_agency_id in parties:
                return Decision(True, f"agreement: {name}")
        why_not = "no data-sharing agreement in force covers this"
    if person_id is not None and _glass_people(user, at).filter(person_id=person_id).exists():
        return Decision(True, "break-the-glass")
    return Decision(False, why_not)


def row_filter(qs: models.QuerySet[M], user: Any, *, write: bool = False) -> models.QuerySet[M]:
    """``decide`` for every row of ``qs`` at once, as one filter."""
    model = qs.model
    category: str = model.GATE_CATEGORY  # type: ignore[attr-defined]
    program_path: str = model.GATE_PROGRAM_PATH  # type: ignore[attr-defined]
    owner_path: str = model.GATE_OWNER_PATH  # type: ignore[attr-defined]
    person_path: str | None = getattr(model, "GATE_PERSON_PATH", None)
    at = timezone.now()

    def people(subquery: models.QuerySet[Any]) -> Q:
        if person_path is None:
            return Q(pk__in=[])
        # Through the unguarded base manager on purpose: this is the gate's own subquery.
        ids = model._base_manager.filter(**{f"{person_path}__in": subquery}).values("pk")
        return Q(pk__in=ids)

    allowed = Q(pk__in=[])
    for agency_id, role in _memberships(user):
        if category not in ROLE_CATEGORIES.get(role, frozenset()):
            continue
        allowed |= Q(**{f"{program_path}__in": _programs_of(agency_id), owner_path: agency_id})
        for _, _, program_id, parties in _agreements(agency_id, role, category, write, at):
            partner = Q(**{program_path: program_id, f"{owner_path}__in": parties - {agency_id}})
            if category == C.SUD_PART2:
                partner &= people(_consented_people(agency_id, category, at))
            allowed |= partner
    allowed |= people(_glass_people(user, at))
    return qs.filter(allowed)
