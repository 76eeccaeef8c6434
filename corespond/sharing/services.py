"""Writes for data sharing: the default agreement, consents, break-the-glass and its review."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from corespond.core.access import Action, audit_event
from corespond.core.models import Program
from corespond.core.roles import require_role
from corespond.core.vocab import AgencyKind
from corespond.core.vocab import DataCategory as C
from corespond.core.vocab import Role as R
from corespond.sharing.models import Agreement, AgreementRule, BreakGlassGrant, Consent
from corespond.sharing.policy import ROLE_CATEGORIES

READ, WRITE = AgreementRule.Access.READ, AgreementRule.Access.WRITE
# The agreement shipped with the demo and offered to new programs, by the kind of agency a
# party is: what its roles may read of the other parties' records, and what they may change.
# Police see the incident, safety flags, the encounter (with who was met) and that a
# follow-up exists; never screening, clinical notes, referrals or Part 2 records.
# Providers see what their roles may hold; Part 2 records still need the person's consent.
_OPS: dict[str, str] = {C.INCIDENT: WRITE, C.SAFETY: READ, C.IDENTITY: READ, C.ENCOUNTER: WRITE}
_CARE_ALL: dict[str, str] = {c: WRITE for c in C.values}
DEFAULT_RULES: dict[str, dict[str, dict[str, str]]] = {
    AgencyKind.POLICE: {
        R.OFFICER: _OPS,
        R.DISPATCHER: _OPS,
        R.SUPERVISOR: {c: READ for c in _OPS},
        R.PROGRAM_MANAGER: {C.INCIDENT: READ, C.ENCOUNTER: READ},
        R.AGENCY_ADMIN: {C.INCIDENT: READ, C.ENCOUNTER: READ},
    },
    AgencyKind.BEHAVIORAL_HEALTH: {
        R.CLINICIAN: _CARE_ALL,
        R.CASE_MANAGER: _CARE_ALL,
        R.PEER: _CARE_ALL,
        R.PARAMEDIC: _CARE_ALL,
        R.SUPERVISOR: {c: READ for c in C.values},
        R.DISPATCHER: _OPS,
        R.PROGRAM_MANAGER: {c: READ for c in C.values},
    },
    AgencyKind.EMS: {
        R.PARAMEDIC: {**_OPS, C.SCREENING: READ},
        R.DISPATCHER: _OPS,
        R.SUPERVISOR: {c: READ for c in _OPS},
    },
    AgencyKind.CRISIS_LINE_988: {
        R.CALL_TAKER_988: {
            C.INCIDENT: WRITE,
            C.SAFETY: READ,
            C.IDENTITY: READ,
            C.REFERRAL: WRITE,
            C.SAFETY_PLAN: READ,
        },
        R.SUPERVISOR: {C.INCIDENT: READ, C.SAFETY: READ, C.IDENTITY: READ, C.REFERRAL: READ},
    },
}
DEFAULT_AGREEMENT_NAME = "{program}: co-response data-sharing agreement (default terms)"

BREAK_GLASS_MINUTES = 60
ERR_REASON = "Say why you need these records now (at least a few words)."
REVIEW_ROLES = frozenset({R.SUPERVISOR, R.PROGRAM_MANAGER})


def agreement_install_defaults(
    *, program: Program, effective_from: datetime | None = None
) -> Agreement:
    """Give a program the default agreement among all its agencies (idempotent)."""
    name = DEFAULT_AGREEMENT_NAME.format(program=program.name)
    agreement, _ = Agreement.objects.get_or_create(
        program=program,
        name=name,
        defaults={
            "effective_from": effective_from or timezone.now() - timedelta(days=3650),
            "document": "Default terms shipped with corespond (docs/privacy.md); replace with "
            "the signed agreement.",
        },
    )
    agencies = list(program.agencies.all())
    agreement.parties.add(*agencies)
    for agency in agencies:
        for role, categories in DEFAULT_RULES.get(agency.kind, {}).items():
            for category, access in categories.items():
                if category not in ROLE_CATEGORIES[role]:
                    continue
                AgreementRule.objects.update_or_create(
                    agreement=agreement,
                    party=agency,
                    role=role,
                    category=category,
                    defaults={"access": access},
                )
    return agreement


@transaction.atomic
def break_glass(
    *, actor: Any, person_id: int, reason: str, now: datetime | None = None
) -> BreakGlassGrant:
    """Open one person's records to a user who has no access, for an emergency, for an hour.

    Only for someone who works in the person's program (the grant widens what they see, not
    who they are); the reason and every later read are audited, and the grant waits in the
    supervisors' review queue.
    """
    from corespond.core.access import system
    from corespond.people.models import Person

    if len(reason.strip()) < 10:
        raise ValidationError({"reason": ERR_REASON})
    person = system(Person.objects.filter(pk=person_id), reason="break-the-glass check").get()
    require_role(actor, frozenset(R.values) - {R.EVALUATOR}, program_id=person.program_id)
    now = now or timezone.now()
    grant = BreakGlassGrant.objects.create(
        user=actor,
        person=person,
        program_id=person.program_id,
        reason=reason.strip(),
        granted_at=now,
        expires_at=now + timedelta(minutes=BREAK_GLASS_MINUTES),
    )
    audit_event(
        user=actor,
        action=Action.VIEW,
        model=Person,
        ids=[person.pk],
        purpose=f"break-the-glass: {reason.strip()}"[:64],
    )
    return grant


@transaction.atomic
def break_glass_review(*, actor: Any, grant_id: int, note: str) -> BreakGlassGrant:
    grant = BreakGlassGrant.objects.select_for_update().get(pk=grant_id)
    require_role(actor, REVIEW_ROLES, program_id=grant.program_id)
    if grant.user_id == actor.pk:
        raise PermissionDenied("A use of break-the-glass is reviewed by someone else.")
    grant.reviewed_by, grant.reviewed_at, grant.review_note = actor, timezone.now(), note[:300]
    grant.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    return grant


ERR_CONSENT_ROLE = (
    "Consents are recorded by those who hold Part 2 records in this program "
    "(clinicians and case managers)."
)
ERR_CONSENT_RECIPIENT = "The recipient must be an agency of the person's program."
ERR_CONSENT_PURPOSE = "Say what the records will be used for (the consent's purpose)."
ERR_CONSENT_EXPIRY = "A consent's expiry must be after now."
ERR_CONSENT_REVOKED = "This consent was already revoked."


def may_manage_consents(user: Any, *, program_id: int) -> bool:
    """Consents (and the fact that there is one: that someone is in treatment) are for those
    who may hold Part 2 records in the program."""
    from corespond.sharing.policy import authoring_agency

    return bool(getattr(user, "is_superuser", False)) or (
        authoring_agency(user, program_id=program_id, category=C.SUD_PART2) is not None
    )


def person_for_consent(actor: Any, person_id: int) -> Any:
    from corespond.core.access import restrict
    from corespond.people.models import Person

    person = restrict(Person.objects.all(), actor).get(pk=person_id)
    if not may_manage_consents(actor, program_id=person.program_id):
        raise PermissionDenied(ERR_CONSENT_ROLE)
    return person


@transaction.atomic
def consent_record(
    *,
    actor: Any,
    person_id: int,
    recipient_id: int,
    purpose: str,
    expires_at: datetime | None = None,
    category: str = C.SUD_PART2,
) -> Consent:
    """Record the person's written consent to disclose one category to one recipient."""
    person = person_for_consent(actor, person_id)
    now = timezone.now()
    if not person.program.agencies.filter(pk=recipient_id).exists():
        raise ValidationError({"recipient": ERR_CONSENT_RECIPIENT})
    if len(purpose.strip()) < 3:
        raise ValidationError({"purpose": ERR_CONSENT_PURPOSE})
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": ERR_CONSENT_EXPIRY})
    if category not in C.values:
        raise ValidationError({"category": f"Unknown category {category!r}."})
    consent = Consent.objects.create(
        person=person,
        category=category,
        recipient_id=recipient_id,
        purpose=purpose.strip()[:200],
        given_at=now,
        expires_at=expires_at,
        recorded_by=actor,
    )
    audit_event(
        user=actor, action=Action.CREATE, model=Consent, ids=[consent.pk], purpose="consent"
    )
    return consent


@transaction.atomic
def consent_revoke(*, actor: Any, consent_id: int) -> Consent:
    """The person withdrew consent: disclosures stop from now on (the record stays)."""
    consent = Consent.objects.select_for_update().get(pk=consent_id)
    person_for_consent(actor, consent.person_id)
    if consent.revoked_at is not None:
        raise ValidationError(ERR_CONSENT_REVOKED)
    consent.revoked_at = timezone.now()
    consent.save(update_fields=["revoked_at"])
    audit_event(
        user=actor, action=Action.CHANGE, model=Consent, ids=[consent.pk], purpose="consent"
    )
    return consent
