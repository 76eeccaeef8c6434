"""Writes for care: follow-ups created by rule, contact attempts, referrals and their loop."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from corespond.care.models import (
    FollowUp,
    FollowUpAttempt,
    Referral,
    ReferralStatusChange,
    Resource,
)
from corespond.core.access import Action, audit_event, restrict
from corespond.core.roles import CARE_ROLES, ENCOUNTER_ROLES, require_role
from corespond.core.vocab import (
    REFERRAL_CLOSING_STATUSES,
    ContactOutcome,
    FollowUpOutcome,
    ReferralStatus,
)
from corespond.people.models import Person

if TYPE_CHECKING:
    from corespond.field.models import Encounter

ERR_FOLLOWUP_CLOSED = "This follow-up is already closed."
ERR_OUTCOME_NEEDS_CONTACT = "An outcome other than 'not reached' needs a successful attempt."
ERR_ATTEMPT_IN_FUTURE = "An attempt cannot be in the future."
ERR_REFERRAL_STATUS = "Unknown referral status {status!r}."
ERR_REFERRAL_SAME = "The referral is already {status}."
ERR_REFERRAL_CLOSED = (
    "The referral's loop is closed ({status}); only 'entered-in-error' may follow. "
    "Make a new referral instead."
)
ERR_REACHED_NOT_REACHED = "A successful attempt cannot end as 'not reached'."
ERR_RESOURCE_PROGRAM = "That resource is not in this program's directory."
ERR_ENCOUNTER_PROGRAM = "That encounter belongs to another program than the person."
ERR_ATTEMPT_BEFORE = "An attempt cannot come before the follow-up was created."


def followup_create_for_encounter(
    *, actor: Any, encounter: Encounter, now: datetime
) -> list[FollowUp]:
    """Create the follow-ups the program's rule asks for; running twice creates nothing new."""
    from corespond.field.models import EncounterPerson

    if encounter.contact_outcome != ContactOutcome.ENGAGED:
        return []
    program = encounter.call.program
    if encounter.disposition not in program.followup_dispositions:
        return []
    links = restrict(EncounterPerson.objects.filter(encounter=encounter), actor).filter(
        involvement=EncounterPerson.Involvement.SUBJECT
    )
    created = []
    for link in links:
        followup, was_created = restrict(
            FollowUp.objects.all(), actor, action=Action.CHANGE
        ).get_or_create(
            encounter=encounter,
            person_id=link.person_id,
            defaults={
                "due_at": now + timedelta(hours=program.followup_window_hours),
                "created_at": now,
            },
        )
        if was_created:
            created.append(followup)
    if created:
        audit_event(
            user=actor,
            action=Action.CREATE,
            model=FollowUp,
            ids=[f.pk for f in created],
            purpose="follow-up rule",
        )
    return created


@transaction.atomic
def followup_attempt_record(
    *,
    actor: Any,
    followup_id: int,
    method: str,
    reached: bool,
    outcome: str = FollowUpOutcome.PENDING,
    note: str = "",
    at: datetime | None = None,
) -> FollowUp:
    """Record one attempt; close the follow-up with an outcome, or after the last try."""
    require_role(actor, CARE_ROLES)
    followup = (
        restrict(FollowUp.objects.select_for_update(of=("self",)), actor, action=Action.CHANGE)
        .select_related("encounter__call__program")
        .get(pk=followup_id)
    )
    require_role(actor, CARE_ROLES, program_id=followup.encounter.call.program_id)
    if followup.outcome != FollowUpOutcome.PENDING:
        raise ValidationError(ERR_FOLLOWUP_CLOSED)
    at = at or timezone.now()
    if at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"at": ERR_ATTEMPT_IN_FUTURE})
    if at < followup.created_at:
        raise ValidationError({"at": ERR_ATTEMPT_BEFORE})
    if outcome not in FollowUpOutcome.values:
        raise ValidationError({"outcome": f"Unknown outcome {outcome!r}."})
    if not reached and outcome not in (FollowUpOutcome.PENDING, FollowUpOutcome.NOT_REACHED):
        raise ValidationError({"outcome": ERR_OUTCOME_NEEDS_CONTACT})
    if reached and outcome == FollowUpOutcome.NOT_REACHED:
        raise ValidationError({"outcome": ERR_REACHED_NOT_REACHED})
    attempt = FollowUpAttempt(
        followup=followup, at=at, method=method, reached=reached, note=note, by=actor
    )
    attempt.full_clean()
    attempt.save()
    tries = restrict(FollowUpAttempt.objects.filter(followup=followup), actor).count()
    limit = followup.encounter.call.program.followup_attempts
    if outcome == FollowUpOutcome.PENDING and not reached and tries >= limit:
        # The protocol's attempts are used up: the person is flagged for outreach.
        outcome = FollowUpOutcome.NOT_REACHED
    if outcome != FollowUpOutcome.PENDING:
        followup.outcome = outcome
        followup.closed_at = at
        followup.save(update_fields=["outcome", "closed_at"])
    return followup


@transaction.atomic
def referral_create(
    *, actor: Any, person_id: int, resource_id: int, encounter: Encounter | None = None
) -> Referral:
    require_role(actor, CARE_ROLES | ENCOUNTER_ROLES)
    person = restrict(Person.objects.all(), actor, action=Action.CHANGE).get(pk=person_id)
    require_role(actor, CARE_ROLES | ENCOUNTER_ROLES, program_id=person.program_id)
    if encounter is not None and encounter.call.program_id != person.program_id:
        raise ValidationError({"encounter": ERR_ENCOUNTER_PROGRAM})
    resource = Resource.objects.get(pk=resource_id)
    if resource.program_id != person.program_id:
        raise ValidationError({"resource": ERR_RESOURCE_PROGRAM})
    now = timezone.now()
    referral = Referral.objects.create(
        person=person,
        resource=resource,
        encounter=encounter,
        status=ReferralStatus.REQUESTED,
        status_changed_at=now,
        created_at=now,
    )
    ReferralStatusChange.objects.create(
        referral=referral, status=ReferralStatus.REQUESTED, at=now, by=actor
    )
    audit_event(user=actor, action=Action.CREATE, model=Referral, ids=[referral.pk], purpose="care")
    return referral


@transaction.atomic
def referral_status_set(*, actor: Any, referral_id: int, status: str, note: str = "") -> Referral:
    """Move a referral along its loop, keeping who said so and when."""
    require_role(actor, CARE_ROLES)
    if status not in ReferralStatus.values:
        raise ValidationError({"status": ERR_REFERRAL_STATUS.format(status=status)})
    referral = (
        restrict(Referral.objects.select_for_update(of=("self",)), actor, action=Action.CHANGE)
        .select_related("person")
        .get(pk=referral_id)
    )
    require_role(actor, CARE_ROLES, program_id=referral.person.program_id)
    if referral.status == status:
        raise ValidationError({"status": ERR_REFERRAL_SAME.format(status=status)})
    if referral.status in REFERRAL_CLOSING_STATUSES and status != ReferralStatus.ENTERED_IN_ERROR:
        raise ValidationError(
            {"status": ERR_REFERRAL_CLOSED.format(status=referral.get_status_display())}
        )
    now = timezone.now()
    referral.status = status
    referral.status_changed_at = now
    referral.save(update_fields=["status", "status_changed_at"])
    ReferralStatusChange.objects.create(
        referral=referral, status=status, at=now, by=actor, note=note
    )
    return referral


ERR_NOT_ON_LIST = (
    "{person} is not on the outreach list (fewer than {n} crises in {days} days, and no "
    "follow-up that failed to reach them)."
)
ERR_OUTREACH_OPEN = "An outreach for this person is already open."


@transaction.atomic
def outreach_start(*, actor: Any, person_id: int, now: datetime | None = None) -> FollowUp:
    """Open an outreach for a person on the list: a follow-up of kind "outreach" on their
    latest encounter, due within the program's window, worked like any follow-up."""
    from corespond.care.selectors import outreach_list
    from corespond.field.models import Encounter

    require_role(actor, CARE_ROLES)
    person = restrict(Person.objects.all(), actor, action=Action.CHANGE).get(pk=person_id)
    require_role(actor, CARE_ROLES, program_id=person.program_id)
    program = person.program
    now = now or timezone.now()
    listed = {c.person.pk: c for c in outreach_list(user=actor, program=program, now=now)}
    if person.pk not in listed:
        raise ValidationError(
            ERR_NOT_ON_LIST.format(
                person=person, n=program.outreach_contacts, days=program.outreach_days
            )
        )
    if listed[person.pk].open_outreach is not None:
        raise ValidationError(ERR_OUTREACH_OPEN)
    latest = (
        restrict(Encounter.objects.filter(people=person), actor).order_by("-received_at").first()
    )
    assert latest is not None  # on the list means at least one contact
    followup = restrict(FollowUp.objects.all(), actor, action=Action.CHANGE).create(
        encounter=latest,
        person=person,
        kind=FollowUp.Kind.OUTREACH,
        due_at=now + timedelta(hours=program.followup_window_hours),
        created_at=now,
        assigned_to=actor,
    )
    audit_event(
        user=actor, action=Action.CREATE, model=FollowUp, ids=[followup.pk], purpose="outreach"
    )
    return followup
