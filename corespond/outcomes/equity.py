"""The equity view of ``spec/metrics.md``: outcomes by race/ethnicity, age band, sex/gender and
area, with the share of records where the attribute is unknown.

Each group gets the same few measures the catalog defines (encounters, engaged, diverted,
involuntary hold, use of force, arrest), counted over encounters in scope and the person in
crisis recorded on each (an encounter without one counts as "unknown" for person
attributes). Only counts leave this module; the views suppress small cells.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from corespond.core.access import system
from corespond.core.vocab import DIVERSION_DISPOSITIONS, ContactOutcome, Disposition
from corespond.outcomes import metrics

ATTRIBUTES = {
    "race_ethnicity": "Race / ethnicity",
    "age_band": "Age band",
    "sex": "Sex / gender",
    "area": "Area (call zone)",
}
AGE_BANDS = (
    (0, 17, "under 18"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
    (65, 200, "65 and over"),
)
UNKNOWN = "unknown"


def age_band(birth: date | None, at: datetime | None) -> str:
    if birth is None or at is None:
        return UNKNOWN
    day = at.date()
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return UNKNOWN


def breakdown(
    filters: metrics.Filters, *, user: Any = None, system_reason: str = ""
) -> dict[str, Any]:
    """{attribute: {"unknown": rate, "groups": {group: {measure: count or rate}}}}."""
    from corespond.field.models import EncounterPerson

    _, samples = metrics._encounter_scope(filters, user, system_reason)
    reason = "metrics: equity breakdown"
    subjects: dict[int, tuple[str, str, date | None]] = {}
    links = system(
        EncounterPerson.objects.filter(
            encounter__in=samples.values("pk"), involvement=EncounterPerson.Involvement.SUBJECT
        ),
        reason=reason,
    ).values_list("encounter_id", "person__race_ethnicity", "person__sex", "person__birth_date")
    for encounter_id, race, sex, birth in links:
        subjects.setdefault(encounter_id, (race or "", sex or "", birth))
    counts: dict[str, dict[str, Counter[str]]] = {a: defaultdict(Counter) for a in ATTRIBUTES}
    rows = samples.values_list(
        "pk",
        "call__received_at",
        "call__zone",
        "contact_outcome",
        "disposition",
        "involuntary_hold",
        "use_of_force",
    )
    for pk, received, zone, outcome, disposition, hold, force in rows.iterator(chunk_size=5000):
        race, sex, birth = subjects.get(pk, ("", "", None))
        member_of = {
            "race_ethnicity": race.strip().lower() or UNKNOWN,
            "sex": sex.strip().lower() or UNKNOWN,
            "age_band": age_band(birth, received),
            "area": (zone or "").strip() or UNKNOWN,
        }
        disposed = disposition != Disposition.UNKNOWN
        for attribute, group in member_of.items():
            c = counts[attribute][group]
            c["encounters"] += 1
            c["known_outcome"] += outcome != ContactOutcome.UNKNOWN
            c["engaged"] += outcome == ContactOutcome.ENGAGED
            c["disposed"] += disposed
            c["diverted"] += disposition in DIVERSION_DISPOSITIONS
            c["arrest"] += disposition == Disposition.ARREST
            c["hold"] += disposed and hold
            c["force"] += disposed and force
    out: dict[str, Any] = {}
    for attribute in ATTRIBUTES:
        by_group = counts[attribute]
        total = sum(c["encounters"] for c in by_group.values())
        unknown: Counter[str] = by_group.get(UNKNOWN, Counter())
        out[attribute] = {
            "unknown": metrics.rate(unknown["encounters"], total),
            "groups": {
                group: {
                    "encounters": {"value": c["encounters"]},
                    "engaged_rate": metrics.rate(c["engaged"], c["known_outcome"]),
                    "diversion_rate": metrics.rate(c["diverted"], c["disposed"]),
                    "arrest_rate": metrics.rate(c["arrest"], c["disposed"]),
                    "involuntary_hold_rate": metrics.rate(c["hold"], c["disposed"]),
                    "use_of_force_rate": metrics.rate(c["force"], c["disposed"]),
                }
                for group, c in sorted(by_group.items(), key=lambda kv: (kv[0] == UNKNOWN, kv[0]))
            },
        }
    return out


MEASURES = [
    ("encounters", "Encounters"),
    ("engaged_rate", "Engaged"),
    ("diversion_rate", "Diverted"),
    ("arrest_rate", "Arrested"),
    ("involuntary_hold_rate", "Involuntary hold"),
    ("use_of_force_rate", "Use of force"),
]


def table(result: dict[str, Any], *, suppress: bool) -> list[dict[str, Any]]:
    """The breakdown as display rows: per attribute, its label, the unknown share and one
    row of texts per group (small cells suppressed where ``suppress``)."""
    out = []
    for attribute, label in ATTRIBUTES.items():
        data = result[attribute]
        rows = [
            (
                group,
                [metrics.display(f"equity.{m}", cells[m], suppress=suppress) for m, _ in MEASURES],
            )
            for group, cells in data["groups"].items()
        ]
        out.append(
            {
                "attribute": attribute,
                "label": label,
                "unknown": metrics.display("equity.unknown", data["unknown"], suppress=suppress),
                "rows": rows,
            }
        )
    return out
