"""The tamper-evident audit log: appending entries and verifying the chain.

Each entry's hash is SHA-256 over its own fields and the previous entry's hash. Changing an
entry changes its hash; removing one leaves a gap in ``seq`` or a broken link. Someone who can
write to the database could rebuild the whole chain after an edit, so the head (``seq`` and
hash, printed by `corespond audit verify`) should be recorded outside the database from time
to time; `verify --anchor SEQ:HASH` then proves the log still extends that record.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from corespond.core.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _addr(value: str | None) -> str | None:
    # Stored as the database normalises it, so the hash is computed on that form.
    return str(ipaddress.ip_address(value)) if value else None


def entry_hash(
    *,
    seq: int,
    at: datetime,
    user_id: int | None,
    system_reason: str,
    action: str,
    model: str,
    object_ids: list[Any],
    purpose: str,
    remote_addr: str | None,
    prev_hash: str,
) -> str:
    fields = [
        seq,
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        user_id,
        system_reason,
        action,
        model,
        object_ids,
        purpose,
        _addr(remote_addr),
        prev_hash,
    ]
    canonical = json.dumps(fields, separators=(",", ":"), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _hash_of(event: AuditEvent) -> str:
    return entry_hash(
        seq=event.seq,
        at=event.at,
        user_id=event.user_id,
        system_reason=event.system_reason,
        action=event.action,
        model=event.model,
        object_ids=event.object_ids,
        purpose=event.purpose,
        remote_addr=event.remote_addr,
        prev_hash=event.prev_hash,
    )


def append(
    *,
    user_id: int | None,
    system_reason: str,
    action: str,
    model: str,
    object_ids: list[Any],
    purpose: str,
    remote_addr: str | None,
) -> AuditEvent:
    """Add one entry at the end of the chain.

    The head row is locked until the surrounding transaction commits, so entries chain in
    commit order and two appends never take the same place (SQLite's IMMEDIATE transactions
    serialise writers the same way).
    """
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"seq": 0, "hash": GENESIS}
        )
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            user_id=user_id,
            system_reason=system_reason,
            action=action,
            model=model,
            object_ids=object_ids,
            purpose=purpose,
            remote_addr=_addr(remote_addr),
            prev_hash=head.hash,
        )
        event.hash = _hash_of(event)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class Problem:
    seq: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry #{self.seq}" + (f" (id {self.event_id})" if self.event_id else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Verdict:
    checked: int
    head_seq: int
    head_hash: str
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _events(batch: int) -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=batch)


def verify(*, anchor: tuple[int, str] | None = None, progress: Any = None) -> Verdict:
    """Walk the chain from the first entry; stop at the first entry that does not hold."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    for event in _events(2000):
        if event.seq != expected_seq:
            missing = expected_seq if event.seq > expected_seq else event.seq
            return Verdict(
                checked,
                expected_seq - 1,
                prev,
                Problem(
                    missing,
                    None,
                    "missing: the entries jump from "
                    f"#{expected_seq - 1} to #{event.seq} (removed?)",
                ),
            )
        if event.prev_hash != prev:
            return Verdict(
                checked,
                event.seq,
                prev,
                Problem(event.seq, event.pk, "does not link to the entry before it"),
            )
        if _hash_of(event) != event.hash:
            return Verdict(
                checked,
                event.seq,
                prev,
                Problem(event.seq, event.pk, "its contents do not match its hash (changed?)"),
            )
        if anchor is not None and event.seq == anchor[0] and event.hash != anchor[1]:
            return Verdict(
                checked,
                event.seq,
                prev,
                Problem(event.seq, event.pk, "differs from the recorded anchor"),
            )
        prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
        if progress is not None:
            progress.update(1)
    last = expected_seq - 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq, head.hash) != (last, prev):
        return Verdict(
            checked,
            last,
            prev,
            Problem(
                head.seq,
                None,
                f"the chain ends at #{last} but the head says #{head.seq} "
                "(entries removed from the end?)",
            ),
        )
    if anchor is not None and anchor[0] > last:
        return Verdict(
            checked,
            last,
            prev,
            Problem(
                anchor[0],
                None,
                f"the anchor names #{anchor[0]} but the chain ends at "
                f"#{last} (entries removed from the end?)",
            ),
        )
    return Verdict(checked, last, prev, None)


def records_of_person(person_id: int) -> dict[str, set[Any]]:
    """Every person-level record about one person, by model label: the scope of an
    accounting of disclosures. Read with the system's rights; the caller audits the run."""
    from corespond.care.models import FollowUp, FollowUpAttempt, Referral, ReferralStatusChange
    from corespond.core.access import system
    from corespond.dispatch.models import Assignment
    from corespond.field.models import (
        ClinicalNote,
        Encounter,
        EncounterPerson,
        Intervention,
        Part2Note,
        Screening,
    )
    from corespond.intake.models import Call, TriageDecision
    from corespond.people.models import Person, SafetyFlag, SafetyPlan

    reason = f"accounting of disclosures for person {person_id}"

    def ids(qs: Any, field: str = "pk") -> set[Any]:
        return set(system(qs, reason=reason).values_list(field, flat=True))

    links = ids(EncounterPerson.objects.filter(person_id=person_id))
    encounters = ids(EncounterPerson.objects.filter(person_id=person_id), "encounter_id")
    calls = ids(Encounter.objects.filter(pk__in=encounters), "call_id")
    followups = ids(FollowUp.objects.filter(person_id=person_id)) | ids(
        FollowUp.objects.filter(encounter_id__in=encounters)
    )
    referrals = ids(Referral.objects.filter(person_id=person_id))
    found = {
        Person: ids(Person.objects.filter(pk=person_id)),
        SafetyPlan: ids(SafetyPlan.objects.filter(person_id=person_id)),
        SafetyFlag: ids(SafetyFlag.objects.filter(person_id=person_id)),
        Intervention: ids(Intervention.objects.filter(encounter_id__in=encounters)),
        ClinicalNote: ids(ClinicalNote.objects.filter(encounter_id__in=encounters)),
        Part2Note: ids(Part2Note.objects.filter(encounter_id__in=encounters)),
        EncounterPerson: links,
        Encounter: encounters,
        Screening: ids(Screening.objects.filter(encounter_id__in=encounters)),
        Call: calls,
        TriageDecision: ids(TriageDecision.objects.filter(call_id__in=calls)),
        Assignment: ids(Assignment.objects.filter(call_id__in=calls)),
        FollowUp: followups,
        FollowUpAttempt: ids(FollowUpAttempt.objects.filter(followup_id__in=followups)),
        Referral: referrals,
        ReferralStatusChange: ids(ReferralStatusChange.objects.filter(referral_id__in=referrals)),
    }
    return {model._meta.label: values for model, values in found.items() if values}


@dataclass(frozen=True)
class Disclosure:
    seq: int
    at: datetime
    who: str
    action: str
    model: str
    category: str
    record_ids: list[Any]
    purpose: str
    remote_addr: str | None


def disclosures(person_id: int) -> list[Disclosure]:
    """Who read or changed which of the person's records, when, from where and why, oldest
    first. The run is itself an audit entry."""
    from django.apps import apps

    records = records_of_person(person_id)
    categories = {label: apps.get_model(label).GATE_CATEGORY for label in records}
    out: list[Disclosure] = []
    events = (
        AuditEvent.objects.filter(model__in=list(records))
        .select_related("user")
        .order_by("seq")
        .iterator(chunk_size=2000)
    )
    for event in events:
        hits = [i for i in event.object_ids if i in records[event.model]]
        if not hits:
            continue
        who = event.user.get_username() if event.user else f"system: {event.system_reason}"
        out.append(
            Disclosure(
                event.seq,
                event.at,
                who,
                event.action,
                event.model,
                categories[event.model],
                hits,
                event.purpose,
                event.remote_addr,
            )
        )
    append(
        user_id=None,
        system_reason="accounting of disclosures",
        action=AuditEvent.Action.VIEW,
        model="people.Person",
        object_ids=[person_id],
        purpose="accounting of disclosures",
        remote_addr=None,
    )
    return out
