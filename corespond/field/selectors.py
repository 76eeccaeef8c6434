"""Reads for the field: encounters and the people in them, through the gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from corespond.core.access import restrict
from corespond.field.models import (
    ClinicalNote,
    Encounter,
    EncounterDraft,
    EncounterPerson,
    Intervention,
    NoteBase,
    Part2Note,
    Screening,
)


def encounters_visible(*, user: Any) -> QuerySet[Encounter]:
    return restrict(Encounter.objects.select_related("call__program", "team"), user)


def encounters_for_call(*, user: Any, call_id: int) -> QuerySet[Encounter]:
    return encounters_visible(user=user).filter(call_id=call_id)


def encounter_get(*, user: Any, encounter_id: int) -> Encounter:
    return encounters_visible(user=user).get(pk=encounter_id)


def people_in_encounter(*, user: Any, encounter_id: int) -> QuerySet[EncounterPerson]:
    return restrict(
        EncounterPerson.objects.select_related("person").filter(encounter_id=encounter_id), user
    )


def may_see_screening(*, user: Any, encounter: Encounter) -> bool:
    """Whether the sharing policy lets the user see screening data of this encounter."""
    from corespond.core.vocab import DataCategory
    from corespond.sharing.policy import decide

    return decide(
        user,
        category=DataCategory.SCREENING,
        program_id=encounter.call.program_id,
        owner_agency_id=encounter.call.agency_id,
    ).allowed


def screenings_for(*, user: Any, encounter_id: int) -> QuerySet[Screening]:
    return restrict(
        Screening.objects.select_related("person", "screened_by").filter(encounter_id=encounter_id),
        user,
    )


def draft_for(*, user: Any, encounter: Encounter) -> EncounterDraft | None:
    """The user's unsaved changes, if newer than the record's last save."""
    draft = restrict(EncounterDraft.objects.filter(encounter=encounter, user=user), user).first()
    if draft is None or draft.saved_at <= encounter.updated_at:
        return None
    return draft


def critical_incidents(*, user: Any, reviewed: bool = False) -> QuerySet[Encounter]:
    """Critical incidents the user may see: awaiting review (oldest first), or reviewed."""
    qs = encounters_visible(user=user).filter(Encounter.critical())
    if reviewed:
        return qs.filter(critical_reviewed_at__isnull=False).order_by("-critical_reviewed_at")
    return qs.filter(critical_reviewed_at__isnull=True).order_by("received_at")


def interventions_for(*, user: Any, encounter_id: int) -> set[str]:
    """The kinds of help recorded for the encounter, as codes."""
    return set(
        restrict(Intervention.objects.filter(encounter_id=encounter_id), user).values_list(
            "kind", flat=True
        )
    )


@dataclass(frozen=True)
class ShownNote:
    note: NoteBase
    part2: bool
    # Shown to someone outside the agency that wrote it: a disclosure, which for Part 2
    # records must carry the redisclosure notice (42 CFR 2.32).
    disclosed: bool


def notes_for(*, user: Any, encounter_id: int) -> list[ShownNote]:
    """Clinical and Part 2 notes of the encounter the policy lets the user read, oldest first."""
    own = set(user.memberships.values_list("agency_id", flat=True))
    found: list[ShownNote] = []
    for model, part2 in ((ClinicalNote, False), (Part2Note, True)):
        qs = restrict(
            model.objects.select_related("author", "author_agency", "person").filter(
                encounter_id=encounter_id
            ),
            user,
        )
        found += [ShownNote(n, part2, n.author_agency_id not in own) for n in qs]
    return sorted(found, key=lambda s: (s.note.written_at, s.part2, s.note.pk))


def note_kinds_writable(*, user: Any, encounter: Encounter) -> list[tuple[bool, str]]:
    """Which notes the user may write here: (part2, label) for each kind their role holds."""
    from corespond.core.vocab import DataCategory
    from corespond.sharing.policy import authoring_agency

    kinds = []
    for part2, category in ((False, DataCategory.CLINICAL_NOTE), (True, DataCategory.SUD_PART2)):
        agency = authoring_agency(user, program_id=encounter.call.program_id, category=category)
        if agency is not None:
            kinds.append((part2, str(DataCategory(category).label)))
    return kinds
