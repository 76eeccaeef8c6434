"""Writes for intake: create a call, triage it, close it without a team."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from corespond.core.access import Action, audit_event, restrict, system
from corespond.core.models import Agency, Program
from corespond.core.roles import DISPATCH_ROLES, require_role
from corespond.core.vocab import BEHAVIORAL_HEALTH_CALL_TYPES, UnservedReason
from corespond.intake.models import Call, TriageDecision
from corespond.intake.protocol import WEEKDAYS, Facts
from corespond.intake.protocols_store import active_protocol

ERR_FUTURE_CALL = "The call cannot be received in the future."
ERR_PROGRAM_AGENCY = "That agency does not take part in this program."
ERR_OLD_CALL = "Calls older than 30 days are loaded by an import, not entered here."
# The form is for live intake; history comes in through imports (interop).
MAX_CALL_AGE = timedelta(days=30)
ERR_UNSERVED_REASON = "An eligible call closed without a team needs a reason."
ERR_CALL_NOT_WAITING = "This call is not waiting for a team any more."


def new_reference(received_at: datetime) -> str:
    # Random suffix, not a counter: two call-takers creating calls at once never collide.
    return f"{received_at:%y%m%d}-{secrets.token_hex(3).upper()}"


def call_facts(call: Call) -> Facts:
    """What the protocol sees of a call: its facts, and its time in the program's zone."""
    local = timezone.localtime(call.received_at, call.program.tzinfo)
    return Facts(
        call_type=call.call_type,
        local_call_type=call.source_call_type.strip().upper() or None,
        behavioral_health=call.behavioral_health,
        weapons=call.weapons,
        violence_in_progress=call.violence_in_progress,
        medical_emergency=call.medical_emergency,
        hour=local.hour,
        minute=local.minute,
        weekday=WEEKDAYS[local.weekday()],
        zone=call.zone or None,
        requesting_party=call.source,
    )


def call_triage(*, call: Call) -> TriageDecision:
    """Run the program's active protocol on a call and store the decision (replacing any)."""
    version, protocol = active_protocol(call.program)
    decision = protocol.decide(call_facts(call))
    triage, _ = system(
        TriageDecision.objects.all(), reason="triage protocol", action=Action.CHANGE
    ).update_or_create(call=call, defaults=decision.fields(version.label))
    return triage


def _triage_waiting(call: Call) -> None:
    """Triage a waiting call. Calls the team does not take leave the waiting list at once;
    they stay on record."""
    if not call_triage(call=call).eligible:
        call.status = Call.Status.CLOSED
        call.closed_at = timezone.now()
        call.save(update_fields=["status", "closed_at"])


@transaction.atomic
def call_create(
    *,
    actor: Any,
    program: Program,
    agency: Agency,
    received_at: datetime,
    call_type: str,
    address: str,
    behavioral_health: bool = False,
    weapons: bool = False,
    violence_in_progress: bool = False,
    medical_emergency: bool = False,
    source: str = "911",
    source_call_type: str = "",
    description: str = "",
    zone: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> Call:
    """Record a call and triage it in one transaction: no call exists without a decision."""
    require_role(actor, DISPATCH_ROLES, program_id=program.pk)
    active_protocol(program)  # no protocol, no intake: say so before anything is written
    if not program.agencies.filter(pk=agency.pk).exists():
        raise ValidationError({"agency": ERR_PROGRAM_AGENCY})
    now = timezone.now()
    if received_at > now:
        raise ValidationError({"received_at": ERR_FUTURE_CALL})
    if received_at < now - MAX_CALL_AGE:
        raise ValidationError({"received_at": ERR_OLD_CALL})
    call = Call(
        program=program,
        agency=agency,
        reference=new_reference(received_at),
        received_at=received_at,
        source=source,
        call_type=call_type,
        source_call_type=source_call_type,
        behavioral_health=behavioral_health or call_type in BEHAVIORAL_HEALTH_CALL_TYPES,
        weapons=weapons,
        violence_in_progress=violence_in_progress,
        medical_emergency=medical_emergency,
        address=address,
        zone=zone,
        latitude=latitude,
        longitude=longitude,
        description=description,
        created_by=actor,
    )
    call.full_clean()
    call.save()
    _triage_waiting(call)
    audit_event(user=actor, action=Action.CREATE, model=Call, ids=[call.pk], purpose="intake")
    return call


CAD_FIELDS = (
    "call_type",
    "source_call_type",
    "behavioral_health",
    "weapons",
    "address",
    "description",
    "latitude",
    "longitude",
)


@transaction.atomic
def call_update_from_cad(*, actor: Any, call_id: int, **facts: Any) -> Call:
    """A CAD's later version of a call's facts (``CAD_FIELDS``). While the call waits for a
    team it is triaged again (the CAD may have learnt of a weapon); once a team has it, the
    decision stands and the dispatcher sees the new facts on the call."""
    unknown = set(facts) - set(CAD_FIELDS)
    if unknown:
        raise ValueError(f"not CAD fields: {sorted(unknown)}")
    call = restrict(Call.objects.select_for_update(), actor, action=Action.CHANGE).get(pk=call_id)
    require_role(actor, DISPATCH_ROLES, program_id=call.program_id)
    changed = [name for name, value in facts.items() if getattr(call, name) != value]
    if not changed:
        return call
    for name in changed:
        setattr(call, name, facts[name])
    if call.call_type in BEHAVIORAL_HEALTH_CALL_TYPES:
        call.behavioral_health = True
    call.full_clean()
    call.save()
    if call.status == Call.Status.WAITING:
        _triage_waiting(call)
    audit_event(user=actor, action=Action.CHANGE, model=Call, ids=[call.pk], purpose="CAD update")
    return call


@transaction.atomic
def call_close_unserved(*, actor: Any, call_id: int, reason: str) -> Call:
    """Close a waiting call that got no team. Eligible calls must say why."""
    require_role(actor, DISPATCH_ROLES)
    call = restrict(Call.objects.select_for_update(), actor, action=Action.CHANGE).get(pk=call_id)
    require_role(actor, DISPATCH_ROLES, program_id=call.program_id)
    if call.status != Call.Status.WAITING:
        raise ValidationError(ERR_CALL_NOT_WAITING)
    if reason not in UnservedReason.values:
        raise ValidationError({"reason": ERR_UNSERVED_REASON})
    call.status = Call.Status.CLOSED
    call.unserved_reason = reason
    call.closed_at = timezone.now()
    call.save(update_fields=["status", "unserved_reason", "closed_at"])
    return call
