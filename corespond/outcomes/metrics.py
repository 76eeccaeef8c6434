"""The metric catalog (``spec/metrics.md``), computed one way for every view.

The metrics page, the dashboard, the funder report, the CLI and the API all call
:func:`compute`. Each metric is a dict with ``value``; a rate also carries ``numerator`` and
``denominator``, a percentile the number of intervals ``n`` it was taken over. Reads go
through the access gate with the aggregate action, so evaluators get numbers and never rows;
the records behind a count or rate are listed with the same conditions
(:func:`record_sets`, outcomes/records.py).

Computed: calls, response, contact, disposition, outcome, care, people, police time, staff
and, for one program, the cost offsets (outcomes/costs.py); the equity breakdowns are in
outcomes/equity.py. docs/metrics.md says how each reads the spec. The work is done in the
database: only counts and grouped intervals come back (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import bisect
import functools
import operator
import statistics
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Lag, Lead, TruncDate, TruncHour
from django.utils import timezone

from corespond.care.models import FollowUp, Referral
from corespond.care.selectors import past_closing_window
from corespond.core.access import Action, aggregate_programs, restrict, system
from corespond.core.models import Program
from corespond.core.vocab import (
    DIVERSION_DISPOSITIONS,
    REFERRAL_CLOSING_STATUSES,
    ContactOutcome,
    Disposition,
    FollowUpOutcome,
    ReferralStatus,
    Role,
    TransportedBy,
    UnservedReason,
)
from corespond.dispatch.models import Assignment
from corespond.field.models import INTERVALS, Encounter, Intervention
from corespond.intake.models import Call

SUPPRESSION_THRESHOLD = 11

LABELS: dict[str, str] = {
    "calls.total": "Calls received",
    "calls.behavioral_health": "Behavioural-health calls",
    "calls.eligible": "Calls eligible for a team",
    "calls.eligible_served_rate": "Eligible calls served by a team",
    "calls.eligible_unserved_by_reason": "Eligible calls with no team, by reason",
    "calls.eligible_outside_hours_share": "Eligible calls outside service hours",
    "response.negative_intervals": "Encounters with a negative interval (excluded)",
    "contact.engaged_rate": "Person engaged",
    "contact.unable_to_locate_rate": "Unable to locate",
    "outcome.no_arrest_rate": "Ended without arrest",
    "outcome.diversion_rate": "Diverted from ER, arrest and citation",
    "outcome.ed_rate": "Taken to an emergency department",
    "outcome.involuntary_hold_rate": "Involuntary hold",
    "outcome.use_of_force_rate": "Use of force",
    "outcome.injury_rate": "Injury (person or staff)",
    "care.service_provided_rate": "Engaged encounters with a service provided",
    "care.referral_closed_loop_rate": "Referrals closed within the window",
    "people.served": "People served (engaged)",
    "people.repeat_crisis_rate": "People with another crisis within 90 days",
    "people.frequent_utilizers": "People meeting the frequent-utilizer rule",
    "people.repeat_contacts_change": "Crisis contacts after outreach enrolment minus before",
    "police.officer_hours_bh": "Officer hours on scene at behavioural-health calls",
    "police.officer_hours_returned": "Officer hours returned (calls without police, early clears)",
    "police.officer_early_clear_rate": "Co-response calls the officer left before the team",
    "staff.critical_incidents_debriefed_rate": "Critical incidents reviewed within 72 hours",
    "staff.calls_per_shift.p50": "Encounters per team shift (median)",
    "staff.training_current_rate": "Team members with their required training current",
    "cost.arrests_avoided": "Cost offset: arrests avoided (USD)",
    "cost.ed_visits_avoided": "Cost offset: emergency-department visits avoided (USD)",
    "cost.officer_hours_returned": "Cost offset: officer hours returned (USD)",
    "cost.ambulance_transports_avoided": "Cost offset: ambulance transports avoided (USD)",
    "cost.offsets_total": "Cost offsets, total (USD)",
    "cost.offsets_per_team_member_year": "Cost offsets per team member FTE-year (USD)",
    "care.referral_completed_rate": "Closed referrals completed",
    "care.followup_on_time_rate": "Follow-ups attempted within the window",
    "care.followup_connected_rate": "Follow-ups connected to care",
}
for _name in INTERVALS:
    for _p in ("p50", "p90"):
        LABELS[f"response.{_name}_minutes.{_p}"] = (
            f"{_name.replace('_', ' ').capitalize()} time, {_p} (minutes)"
        )
for _code, _label in Disposition.choices:
    if _code != Disposition.UNKNOWN:
        LABELS[f"disposition.share.{_code}"] = f"Disposition: {_label}"


# Dates outside this range are refused by the page and the CLI (and would overflow).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
ERR_DATE_RANGE = "Dates must fall between 2000-01-01 and 2100-12-31."


@dataclass(frozen=True)
class Filters:
    """The filters every metric accepts. Dates are inclusive, in the program's time zone."""

    date_from: date | None = None
    date_to: date | None = None
    program_id: int | None = None
    agency_id: int | None = None
    team_id: int | None = None
    response_type: str | None = None
    model: str | None = None
    tz: str = ""

    def __post_init__(self) -> None:
        for value in (self.date_from, self.date_to):
            if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
                raise ValueError(ERR_DATE_RANGE)

    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.tz or settings.DEFAULT_PROGRAM_TIMEZONE)

    def period_q(self, prefix: str = "") -> Q:
        """Received within the dates (``received_at`` of the call, or of a kept contact)."""
        q = Q()
        zone = self.zone()
        if self.date_from:
            q &= Q(**{f"{prefix}received_at__gte": datetime.combine(self.date_from, time(), zone)})
        if self.date_to:
            end = datetime.combine(self.date_to + timedelta(days=1), time(), zone)
            q &= Q(**{f"{prefix}received_at__lt": end})
        return q

    def call_q(self, prefix: str = "") -> Q:
        q = self.period_q(prefix)
        if self.program_id:
            q &= Q(**{f"{prefix}program_id": self.program_id})
        if self.agency_id:
            q &= Q(**{f"{prefix}agency_id": self.agency_id})
        if self.team_id:
            # A subquery, not a join: a call with two assignments must count once.
            team_calls = Assignment.objects.filter(team_id=self.team_id).values("call_id")
            q &= Q(**{f"{prefix}pk__in": team_calls})
        if self.response_type:
            q &= Q(**{f"{prefix}triage__response_type": self.response_type})
        if self.model:
            q &= Q(**{f"{prefix}program__model": self.model})
        return q


def rate(numerator: int, denominator: int) -> dict[str, Any]:
    value = numerator / denominator if denominator else None
    return {"value": value, "numerator": numerator, "denominator": denominator}


def percentile(values: list[float], pct: int) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), as the spec asks."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    if pct == 100:
        return max(values)
    return cuts[pct - 1]


@dataclass(frozen=True)
class RecordSet:
    """The records behind a metric: the calls or encounters in scope that its numerator (or
    its count) and its denominator take. The catalog counts with these conditions and the
    dashboard lists with them, so a number and the rows behind it cannot drift apart."""

    model: type[Call] | type[Encounter]
    numerator: Q
    denominator: Q | None = None


def _has_team() -> Q:
    return Q(Exists(Assignment.objects.filter(call=OuterRef("pk"))))


def _service() -> Q:
    # "At least one intervention or referral": the tapped interventions, a referral made from
    # the encounter, or the service flag (imports that carry only a yes/no).
    return Q(contact_outcome=ContactOutcome.ENGAGED) & (
        Q(service_provided=True)
        | Q(Exists(Referral.objects.filter(encounter=OuterRef("pk"))))
        | Q(Exists(Intervention.objects.filter(encounter=OuterRef("pk"))))
    )


def _duration(start: str, end: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _measured(name: str) -> Q:
    """Encounters with both stamps of interval ``name``, the second not before the first:
    the ones its percentiles are taken over."""
    start, end = INTERVALS[name]
    return Q(**{f"{start}__isnull": False, f"{end}__gte": F(start)})


def _negative_interval() -> Q:
    negative = Q()
    for start, end in INTERVALS.values():
        negative |= Q(**{f"{end}__lt": F(start)})
    return negative


def record_sets() -> dict[str, RecordSet]:
    """Every metric whose records can be listed, by metric id, in the catalog's order."""
    eligible = Q(triage__eligible=True)
    known = ~Q(contact_outcome=ContactOutcome.UNKNOWN)
    engaged = Q(contact_outcome=ContactOutcome.ENGAGED)
    disposed = ~Q(disposition=Disposition.UNKNOWN)
    sets = {
        "calls.total": RecordSet(Call, Q()),
        "calls.behavioral_health": RecordSet(Call, Q(behavioral_health=True)),
        "calls.eligible": RecordSet(Call, eligible),
        "calls.eligible_served_rate": RecordSet(Call, eligible & _has_team(), eligible),
        "calls.eligible_outside_hours_share": RecordSet(
            Call, eligible & Q(triage__outside_service_hours=True), eligible
        ),
        "response.negative_intervals": RecordSet(Encounter, _negative_interval()),
        "contact.engaged_rate": RecordSet(Encounter, engaged, known),
        "contact.unable_to_locate_rate": RecordSet(
            Encounter, Q(contact_outcome=ContactOutcome.UNABLE_TO_LOCATE), known
        ),
        **{
            f"disposition.share.{code}": RecordSet(Encounter, Q(disposition=code), disposed)
            for code in Disposition.values
            if code != Disposition.UNKNOWN
        },
        "outcome.no_arrest_rate": RecordSet(
            Encounter, disposed & ~Q(disposition=Disposition.ARREST), disposed
        ),
        "outcome.diversion_rate": RecordSet(
            Encounter, Q(disposition__in=DIVERSION_DISPOSITIONS), disposed
        ),
        "outcome.ed_rate": RecordSet(
            Encounter, Q(disposition=Disposition.EMERGENCY_DEPARTMENT), disposed
        ),
        "outcome.involuntary_hold_rate": RecordSet(
            Encounter, disposed & Q(involuntary_hold=True), disposed
        ),
        "outcome.use_of_force_rate": RecordSet(
            Encounter, disposed & Q(use_of_force=True), disposed
        ),
        "outcome.injury_rate": RecordSet(
            Encounter, disposed & (Q(injury_person=True) | Q(injury_staff=True)), disposed
        ),
        "care.service_provided_rate": RecordSet(Encounter, _service(), engaged),
    }
    for name in INTERVALS:
        for pct in ("p50", "p90"):
            sets[f"response.{name}_minutes.{pct}"] = RecordSet(Encounter, _measured(name))
    return sets


def _set_counts(sets: dict[str, RecordSet]) -> dict[str, Any]:
    """The aggregates that count each set's numerator (and denominator), keyed as in
    ``Partial.counts``."""
    agg: dict[str, Any] = {}
    for metric_id, found in sets.items():
        agg[metric_id] = Count("pk", filter=found.numerator)
        if found.denominator is not None:
            agg[f"{metric_id}/denominator"] = Count("pk", filter=found.denominator)
    return agg


def _rates(counts: Counter[str], sets: dict[str, RecordSet]) -> dict[str, Any]:
    """Each set's rate (or count) from counted numerators and denominators."""
    return {
        metric_id: (
            rate(counts[metric_id], counts[f"{metric_id}/denominator"])
            if found.denominator is not None
            else {"value": counts[metric_id]}
        )
        for metric_id, found in sets.items()
    }


def _gated(qs: QuerySet[Any], user: Any, system_reason: str) -> QuerySet[Any]:
    if user is None:
        return system(qs, reason=system_reason or "metrics", action=Action.AGGREGATE)
    return restrict(qs, user, action=Action.AGGREGATE, purpose="metrics")


def compute(
    filters: Filters, *, user: Any = None, system_reason: str = "", stored: bool = True
) -> dict[str, Any]:
    """Every metric for ``filters``, as seen by ``user`` (or a named system job).

    The additive figures come from the days kept up to date as records change
    (outcomes/rollup.py) where they can answer the filters, and are counted from the records
    otherwise (a team filter, a time zone other than the programs'); ``stored=False`` always
    counts from the records. Both give the same figures (tests/outcomes/test_rollup.py)."""
    from corespond.outcomes import rollup

    out: dict[str, Any] = {}
    calls = _gated(Call.objects.filter(filters.call_q()), user, system_reason)
    encounters, samples = _encounter_scope(filters, user, system_reason)
    programs = list(programs_in_scope(filters, user))
    kept = rollup.stored_figures(filters, programs) if stored else None
    if kept is None:
        part = partials(calls, encounters, samples)[()]
        served, repeat = _served_and_repeat(samples)
    else:
        part = kept
        served, repeat = rollup.served_and_repeat(filters, programs)
    frequent = _frequent_utilizers(filters, programs, kept=kept is not None)
    sets = record_sets()
    out.update(_rates(part.counts, {k: v for k, v in sets.items() if v.model is Call}))
    # Calls still waiting have no team *yet*: shown apart, not as "not recorded".
    out["calls.eligible_unserved_by_reason"] = {
        "value": {
            reason: part.counts[f"unserved.{reason}"]
            for reason in (*UnservedReason.values, "not_recorded", "waiting")
        }
    }
    out.update(_response_metrics(part))
    out.update(
        _rates(
            part.counts,
            {
                k: v
                for k, v in sets.items()
                if v.model is Encounter and not k.startswith("response.")
            },
        )
    )
    out.update(_care_metrics(encounters, user, system_reason))
    out.update(_people_metrics(served, repeat, frequent, filters))
    out.update(_police_metrics(part))
    out.update(_staff_metrics(part, samples))
    out["staff.training_current_rate"] = _training_current(filters, programs)
    program = _single_program(filters)
    if program is not None:
        from corespond.outcomes.costs import offsets

        c = part.counts
        counted = {
            "disposed": c["outcome.ed_rate/denominator"],
            "arrests": c[f"disposition.share.{Disposition.ARREST}"],
            "ed": c["outcome.ed_rate"],
            "ems": c["ems_transports"],
        }
        out.update(offsets(program, counted, out))
    return out


Key = tuple[Any, ...]
MICROSECOND = timedelta(microseconds=1)
# Per team and program: encounters, attended (arrived and cleared in order), officer left
# early, officer time on scene at behavioural-health calls and officer time after an early
# clear (both in microseconds).
POLICE_FIELDS = ("encounters", "attended", "early", "on_scene_us", "stayed_on_us")


@dataclass
class Partial:
    """The additive figures of a set of calls and their encounters: counts (each record set's
    numerator and denominator, unserved calls by reason, negative intervals, critical incidents
    and their reviews, EMS transports), each interval's histogram (microseconds to
    encounters), police sums per team and program, and dispatches per team and hour (UTC).
    The partials of disjoint sets add up to the partial of their union, so a year's figures are
    the sum of its days' (outcomes/rollup.py), and every figure computed from a partial is
    exact."""

    counts: Counter[str] = field(default_factory=Counter)
    intervals: dict[str, Counter[int]] = field(default_factory=dict)
    police: dict[str, list[int]] = field(default_factory=dict)
    hourly: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, other: Partial) -> None:
        self.counts.update(other.counts)
        for name, histogram in other.intervals.items():
            self.intervals.setdefault(name, Counter()).update(histogram)
        for key, values in other.police.items():
            mine = self.police.setdefault(key, [0] * len(POLICE_FIELDS))
            for i, value in enumerate(values):
                mine[i] += value
        for team, hours in other.hourly.items():
            self.hourly.setdefault(team, Counter()).update(hours)

    def as_json(self) -> dict[str, Any]:
        return {
            "counts": {k: v for k, v in self.counts.items() if v},
            "intervals": {
                name: {str(us): n for us, n in histogram.items()}
                for name, histogram in self.intervals.items()
            },
            "police": self.police,
            "hourly": {team: dict(hours) for team, hours in self.hourly.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Partial:
        return cls(
            counts=Counter(data["counts"]),
            intervals={
                name: Counter({int(us): n for us, n in histogram.items()})
                for name, histogram in data["intervals"].items()
            },
            police={key: list(values) for key, values in data["police"].items()},
            hourly={team: Counter(hours) for team, hours in data["hourly"].items()},
        )


def _keys(zone: zoneinfo.ZoneInfo, prefix: str = "") -> dict[str, Any]:
    """What a stored day is keyed by: program, day received (in ``zone``), agency and
    response type ("" for a call not triaged)."""
    return {
        "program": F(f"{prefix}program_id"),
        "day": TruncDate(f"{prefix}received_at", tzinfo=zone),
        "agency": F(f"{prefix}agency_id"),
        "response_type": Coalesce(F(f"{prefix}triage__response_type"), Value("")),
    }


def _grouped(
    qs: QuerySet[Any], keys: dict[str, Any], extra: dict[str, Any] | None = None, /, **aggs: Any
) -> list[tuple[Key, dict[str, Any]]]:
    """``aggs`` over ``qs`` per value of ``keys`` and ``extra``, as (key, row) pairs, the row
    holding the aggregates and ``extra`` under their names; with neither, one pair for all of
    ``qs``. An ``extra`` given as a field name groups by that field itself (the gate lets an
    aggregate scope group only by the model's groupable fields); aliases of aggregates are
    positional (metric ids hold dots)."""
    columns = {**keys, **(extra or {})}
    aliases = {f"a{i}": expression for i, expression in enumerate(aggs.values())}
    names = dict(zip(aliases, aggs, strict=True))
    if not columns:
        row = qs.aggregate(**aliases)
        return [((), {names[a]: v for a, v in row.items()})]
    fields = {k: e if isinstance(e, str) else f"g_{k}" for k, e in columns.items()}
    names.update({field: k for k, field in fields.items()})
    grouped = (
        qs.annotate(**{f"g_{k}": e for k, e in columns.items() if not isinstance(e, str)})
        .values(*fields.values())
        .annotate(**aliases)
        .order_by()
    )
    return [
        (tuple(row[fields[k]] for k in keys), {names[a]: v for a, v in row.items()})
        for row in grouped
    ]


def _us(value: timedelta | None) -> int:
    return 0 if value is None else value // MICROSECOND


def partials(
    calls: QuerySet[Call],
    encounters: QuerySet[Encounter],
    samples: QuerySet[Encounter],
    *,
    zone: zoneinfo.ZoneInfo | None = None,
) -> dict[Key, Partial]:
    """The :class:`Partial` of ``calls`` and their ``encounters`` (``samples``: the same
    encounters readable for their time stamps). With ``zone``, one per program, day received
    (in ``zone``), agency and response type; without, one for all, under the key ``()``."""
    call_keys = _keys(zone) if zone else {}
    encounter_keys = _keys(zone, "call__") if zone else {}
    found: dict[Key, Partial] = {}

    def part(key: Key) -> Partial:
        return found.setdefault(key, Partial())

    if not call_keys:
        part(())
    sets = record_sets()
    call_counts = _set_counts({k: v for k, v in sets.items() if v.model is Call})
    for key, row in _grouped(calls, call_keys, **call_counts):
        part(key).counts.update({k: row[k] for k in call_counts})
    unserved = calls.filter(Q(triage__eligible=True) & ~_has_team())
    for key, row in _grouped(
        unserved,
        call_keys,
        {"status": "status", "reason": "unserved_reason"},
        n=Count("pk"),
    ):
        waiting = row["status"] == Call.Status.WAITING
        reason = "waiting" if waiting else (row["reason"] or "not_recorded")
        part(key).counts[f"unserved.{reason}"] += row["n"]
    encounter_counts = _set_counts(
        {k: v for k, v in sets.items() if v.model is Encounter and not k.startswith("response.")}
    )
    reviewed_in_time = Q(
        critical_reviewed_at__lte=ExpressionWrapper(
            Coalesce("cleared_at", "received_at") + Value(REVIEW_WINDOW),
            output_field=DateTimeField(),
        )
    )
    extra_counts = {
        "negative_intervals": Count("pk", filter=_negative_interval()),
        "critical": Count("pk", filter=Encounter.critical()),
        "critical_reviewed": Count("pk", filter=Encounter.critical() & reviewed_in_time),
        "ems_transports": Count(
            "pk",
            filter=~Q(disposition=Disposition.UNKNOWN) & Q(transported_by=TransportedBy.EMS),
        ),
    }
    for key, row in _grouped(encounters, encounter_keys, **encounter_counts, **extra_counts):
        part(key).counts.update({k: row[k] for k in (*encounter_counts, *extra_counts)})
    for name in INTERVALS:
        for key, row in _grouped(
            samples.filter(_measured(name)),
            encounter_keys,
            {"length": _duration(*INTERVALS[name])},
            n=Count("pk"),
        ):
            histogram = part(key).intervals.setdefault(name, Counter())
            histogram[_us(row["length"])] += row["n"]
    both = Q(arrived_at__isnull=False, cleared_at__gte=F("arrived_at"))
    early = both & Q(
        officer_cleared_at__gte=F("arrived_at"), officer_cleared_at__lt=F("cleared_at")
    )
    officer_left = Coalesce("officer_cleared_at", "cleared_at")
    for key, row in _grouped(
        samples.filter(team__isnull=False),
        encounter_keys,
        {"team": F("team_id"), "team_program": F("call__program_id")},
        encounters=Count("pk"),
        attended=Count("pk", filter=both),
        early=Count("pk", filter=early),
        on_scene=Sum(
            ExpressionWrapper(officer_left - F("arrived_at"), output_field=DurationField()),
            filter=both & Q(call__behavioral_health=True),
        ),
        stayed_on=Sum(_duration("officer_cleared_at", "cleared_at"), filter=early),
    ):
        part(key).police[f"{row['team']}:{row['team_program']}"] = [
            row["encounters"],
            row["attended"],
            row["early"],
            _us(row["on_scene"]),
            _us(row["stayed_on"]),
        ]
    for key, row in _grouped(
        _dispatched(samples),
        encounter_keys,
        {"team": F("team_id"), "hour": TruncHour("dispatched_at", tzinfo=UTC)},
        n=Count("pk"),
    ):
        hours = part(key).hourly.setdefault(str(row["team"]), Counter())
        hours[row["hour"].astimezone(UTC).isoformat()] += row["n"]
    return found


def _dispatched(encounters: QuerySet[Encounter]) -> QuerySet[Encounter]:
    return encounters.filter(team__isnull=False, dispatched_at__isnull=False)


def programs_in_scope(filters: Filters, user: Any = None) -> QuerySet[Program]:
    """The programs whose records ``filters`` select and ``user`` (or a system job, with
    ``None``) may count: the gate's aggregate scope (core.access)."""
    programs = Program.objects.all() if user is None else aggregate_programs(user)
    if filters.program_id:
        programs = programs.filter(pk=filters.program_id)
    if filters.model:
        programs = programs.filter(model=filters.model)
    return programs.order_by("pk")


def _single_program(filters: Filters) -> Program | None:
    """The cost model is per program (its assumptions are the program's): computed when the
    filters name one program, or when there is only one."""
    if filters.program_id:
        return Program.objects.filter(pk=filters.program_id).first()
    programs = list(Program.objects.all()[:2])
    return programs[0] if len(programs) == 1 else None


def _encounter_scope(
    filters: Filters, user: Any, system_reason: str
) -> tuple[QuerySet[Encounter], QuerySet[Encounter]]:
    """The encounters in scope, gated for counting, and the same ones readable for their
    time stamps. Percentiles need the stamps, which an aggregate stamp does not release:
    this module is the one place allowed to read them, for the encounters the user's
    aggregate scope selected, and it returns only figures."""
    encounters = _gated(Encounter.objects.filter(filters.call_q("call__")), user, system_reason)
    if filters.team_id:
        encounters = encounters.filter(team_id=filters.team_id)
    # The same filters restamped (not ``pk__in`` the scope, which PostgreSQL would join
    # back to itself on every metric).
    samples = system(encounters, reason="metrics: interval percentiles")
    return encounters, samples


def interval_counts(samples: QuerySet[Encounter], name: str) -> list[tuple[float, int]]:
    """The distinct non-negative minutes of one interval (INTERVALS) over ``samples`` with how
    many encounters had each, in order. Time stamps are kept to the second or the minute, so a
    year of encounters has a few thousand distinct intervals: grouping them in the database
    reads kilobytes where the rows would be tens of megabytes, and percentiles stay exact."""
    rows = (
        samples.filter(_measured(name))
        .annotate(minutes=_duration(*INTERVALS[name]))
        .values("minutes")
        .annotate(n=Count("pk"))
        .order_by("minutes")
    )
    return [(row["minutes"].total_seconds() / 60, row["n"]) for row in rows]


def interval_sample(
    filters: Filters, name: str, *, user: Any = None, system_reason: str = ""
) -> list[tuple[float, int]]:
    """:func:`interval_counts` over the filters' scope, for charts."""
    _, samples = _encounter_scope(filters, user, system_reason)
    return interval_counts(samples, name)


def weighted_percentile(counts: list[tuple[float, int]], pct: int) -> float | None:
    """:func:`percentile` of the values ``counts`` stands for (value, times seen; in order),
    without writing them out: the same linear interpolation between the closest ranks."""
    total = sum(n for _, n in counts)
    if total == 0:
        return None
    position = (total - 1) * pct / 100
    low = int(position)
    fraction = position - low
    below = 0
    for i, (value, n) in enumerate(counts):
        if low < below + n:
            # The next value up is this one again, unless this one's run ends here.
            upper = value if fraction == 0 or low + 1 < below + n else counts[i + 1][0]
            return value + (upper - value) * fraction
        below += n
    return counts[-1][0]


def _response_metrics(part: Partial) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in INTERVALS:
        histogram = part.intervals.get(name, Counter())
        # Minutes as interval_counts gives them (timedelta.total_seconds() / 60).
        counts = [(us / 10**6 / 60, histogram[us]) for us in sorted(histogram)]
        n = sum(histogram.values())
        for pct in (50, 90):
            out[f"response.{name}_minutes.p{pct}"] = {
                "value": weighted_percentile(counts, pct),
                "n": n,
            }
    out["response.negative_intervals"] = {"value": part.counts["negative_intervals"]}
    return out


def _care_metrics(encounters: QuerySet[Encounter], user: Any, system_reason: str) -> dict[str, Any]:
    followups = _gated(
        FollowUp.objects.filter(encounter__in=encounters.values("pk")), user, system_reason
    )
    now = timezone.now()
    # due_at is created_at + the program's window, so "first attempt by due_at" is the
    # spec's "first attempt within the protocol window".
    first = followups.annotate(first_attempt=Min("attempts__at"))
    f = first.aggregate(
        due=Count("id", filter=Q(due_at__lte=now)),
        on_time=Count(
            "id",
            filter=Q(due_at__lte=now, first_attempt__lte=F("due_at")),
        ),
        final=Count("id", filter=~Q(outcome=FollowUpOutcome.PENDING)),
        connected=Count("id", filter=Q(outcome=FollowUpOutcome.CONTACTED_CONNECTED)),
    )
    return {
        **_referral_metrics(encounters, user, system_reason, now),
        "care.followup_on_time_rate": rate(f["on_time"], f["due"]),
        "care.followup_connected_rate": rate(f["connected"], f["final"]),
    }


def _referral_metrics(
    encounters: QuerySet[Encounter], user: Any, system_reason: str, now: datetime
) -> dict[str, Any]:
    """Closed loop: of the referrals made from encounters in scope that are older than their
    program's closing window (``Program.referral_closing_days``), the share that reached a
    closing status; and of all closed ones, the share completed. Referrals entered in error
    count nowhere."""
    referrals = _gated(
        Referral.objects.filter(encounter__in=encounters.values("pk")).exclude(
            status=ReferralStatus.ENTERED_IN_ERROR
        ),
        user,
        system_reason,
    )
    closing = Q(status__in=REFERRAL_CLOSING_STATUSES)
    # Every program's window (a handful of rows); the referrals' own filter picks the ones
    # that apply.
    old = past_closing_window(Program.objects.all(), now)
    r = referrals.aggregate(
        old=Count("id", filter=old),
        old_closed=Count("id", filter=old & closing),
        closed=Count("id", filter=closing),
        completed=Count("id", filter=Q(status=ReferralStatus.COMPLETED)),
    )
    return {
        "care.referral_closed_loop_rate": rate(r["old_closed"], r["old"]),
        "care.referral_completed_rate": rate(r["completed"], r["closed"]),
    }


REPEAT_WINDOW = timedelta(days=90)
REVIEW_WINDOW = timedelta(hours=72)  # critical incidents reviewed within
OUTREACH_WINDOW = timedelta(days=182)  # "6 months" before and after enrolment


def _served_and_repeat(encounters: QuerySet[Encounter]) -> tuple[int, int]:
    """People served (engaged) by the encounters in scope, and how many of them had a repeat
    crisis, from (person, time) pairs; only counts leave this function. People are person
    records: linking records of the same person across agencies (record linkage) will merge
    them. outcomes/rollup.py counts the same from the crisis contacts it keeps."""
    from corespond.field.models import EncounterPerson

    reason = "metrics: people counts"
    # People are the people in crisis: a caller or a relative linked to an encounter was not
    # served by it and had no crisis.
    crisis = Q(involvement=EncounterPerson.Involvement.SUBJECT)
    in_scope = system(
        EncounterPerson.objects.filter(crisis, encounter__in=encounters.values("pk")), reason=reason
    )
    served_ids = in_scope.filter(encounter__contact_outcome=ContactOutcome.ENGAGED).values(
        "person_id"
    )
    served = served_ids.distinct().count()
    # A repeat: two consecutive crisis contacts of a served person (in or out of the period)
    # within 90 days, at least one of them in scope; that is, a contact in scope whose
    # previous or next contact lies within 90 days. Window functions set each contact beside
    # its neighbours; the scope is applied afterwards, as a join (a scope test inside the
    # window query would run once per row when the scope is too big to hash).
    by_person = [F("person_id")]
    in_order = [F("at").asc(), F("pk").asc()]
    near_another = (
        system(EncounterPerson.objects.filter(crisis, person_id__in=served_ids), reason=reason)
        .annotate(at=F("encounter__call__received_at"))
        .annotate(
            before=Window(Lag("at"), partition_by=by_person, order_by=in_order),
            after=Window(Lead("at"), partition_by=by_person, order_by=in_order),
        )
        .filter(Q(before__gte=F("at") - REPEAT_WINDOW) | Q(after__lte=F("at") + REPEAT_WINDOW))
    )
    repeat = (
        in_scope.filter(pk__in=near_another.values("pk")).values("person_id").distinct().count()
    )
    return served, repeat


def _people_metrics(served: int, repeat: int, frequent: int, filters: Filters) -> dict[str, Any]:
    """The people metrics: served, repeat crises and frequent utilizers as counted, and the
    change in crisis contacts around outreach enrolment (from the enrolments: a few rows)."""
    from corespond.care.models import FollowUp
    from corespond.field.models import EncounterPerson

    reason = "metrics: people counts"
    crisis = Q(involvement=EncounterPerson.Involvement.SUBJECT)
    enrolments = system(
        FollowUp.objects.filter(kind=FollowUp.Kind.OUTREACH, person__isnull=False).filter(
            **({"encounter__call__program_id": filters.program_id} if filters.program_id else {})
        ),
        reason=reason,
    ).values_list("person_id", "created_at")
    # One enrolment per person: the first outreach opened for them.
    enrolled: dict[int, datetime] = {}
    for person_id, created in sorted(enrolments, key=lambda pair: pair[1]):
        enrolled.setdefault(person_id, created)
    times_of: dict[int, list[datetime]] = {}
    for person_id, at in system(
        EncounterPerson.objects.filter(crisis, person_id__in=list(enrolled)), reason=reason
    ).values_list("person_id", "encounter__call__received_at"):
        times_of.setdefault(person_id, []).append(at)
    before = after = 0
    for person_id, enrolled_at in enrolled.items():
        times = times_of.get(person_id, [])
        before += sum(1 for t in times if enrolled_at - OUTREACH_WINDOW <= t < enrolled_at)
        after += sum(1 for t in times if enrolled_at <= t < enrolled_at + OUTREACH_WINDOW)
    people = len(enrolled)
    return {
        "people.served": {"value": served},
        "people.repeat_crisis_rate": rate(repeat, served),
        "people.frequent_utilizers": {"value": frequent},
        "people.repeat_contacts_change": {
            "value": (after - before) if people else None,
            "before": before,
            "after": after,
            "people": people,
        },
    }


def _frequent_utilizers(filters: Filters, programs: list[Program], *, kept: bool) -> int:
    """People meeting their program's frequent-utilizer rule (the outreach rule: at least
    ``outreach_contacts`` crisis contacts in ``outreach_days``) on the period's last day, in
    ``programs``; from the crisis contacts outcomes/rollup.py keeps where ``kept``."""
    from corespond.field.models import EncounterPerson
    from corespond.outcomes.models import CrisisContact

    end = (
        datetime.combine(filters.date_to + timedelta(days=1), time(), filters.zone())
        if filters.date_to
        else timezone.now()
    )
    found = 0
    for program in programs:
        since = end - timedelta(days=program.outreach_days)
        contacts: QuerySet[Any] = (
            CrisisContact.objects.filter(
                program=program, received_at__gte=since, received_at__lt=end
            )
            if kept
            else EncounterPerson.objects.filter(
                encounter__call__program=program,
                encounter__call__received_at__gte=since,
                encounter__call__received_at__lt=end,
                involvement=EncounterPerson.Involvement.SUBJECT,
            )
        )
        counted = (
            system(contacts, reason="metrics: frequent utilizers")
            .values("person_id")
            .annotate(n=Count("encounter_id", distinct=True))
            .filter(n__gte=program.outreach_contacts)
        )
        found += counted.count()
    return found


def _team_makeup() -> dict[int, tuple[int, int]]:
    """Per team: how many officers, and how many other members (clinicians, medics, peers).
    One query for every team (``dispatch.selectors.is_co_response`` asks of one team)."""
    from corespond.dispatch.models import TeamMember

    rows = (
        TeamMember.objects.values("team_id")
        .annotate(
            officers=Count("id", filter=Q(role=Role.OFFICER)),
            others=Count("id", filter=~Q(role=Role.OFFICER)),
        )
        .order_by()
    )
    return {row["team_id"]: (row["officers"], row["others"]) for row in rows}


def _police_metrics(part: Partial) -> dict[str, Any]:
    """Officer time at behavioural-health calls (to the officer's own clearance when the
    officer left first); officer time returned: by calls a team without police answered (the
    program's configured police minutes per comparable call), and on co-response calls the
    time between the officer's clearance and the team's; and the share of co-response calls
    the officer left early. Summed per team in the database, then weighted by the team's
    officers (today's rosters) here."""
    makeup = _team_makeup()
    minutes = dict(Program.objects.values_list("pk", "police_minutes_per_call"))
    per_team: dict[int, list[int]] = {}
    returned_minutes: dict[int, int] = {}
    for key, values in part.police.items():
        team_id, program_id = (int(k) for k in key.split(":"))
        mine = per_team.setdefault(team_id, [0] * len(POLICE_FIELDS))
        for i, value in enumerate(values):
            mine[i] += value
        returned_minutes[team_id] = returned_minutes.get(team_id, 0) + values[0] * minutes.get(
            program_id, 0
        )
    on_scene_hours = returned_hours = 0.0
    without_police = co_response = left_early = 0
    for team_id in sorted(per_team):
        encounters, attended, early, on_scene_us, stayed_on_us = per_team[team_id]
        officers, others = makeup.get(team_id, (0, 0))
        if officers == 0:
            without_police += encounters
            returned_hours += returned_minutes[team_id] / 60
            continue
        on_scene_hours += officers * (on_scene_us / 10**6) / 3600
        if others:
            co_response += attended
            left_early += early
            returned_hours += officers * (stayed_on_us / 10**6) / 3600
    return {
        "police.officer_hours_bh": {"value": round(on_scene_hours, 1)},
        "police.officer_hours_returned": {
            "value": round(returned_hours, 1),
            "calls_without_police": without_police,
            "co_response_early_clears": left_early,
        },
        "police.officer_early_clear_rate": rate(left_early, co_response),
    }


def _hourly(part: Partial) -> dict[int, list[tuple[datetime, int]]]:
    """Dispatches per team and hour, in order."""
    return {
        int(team): sorted((datetime.fromisoformat(hour), n) for hour, n in hours.items() if n)
        for team, hours in part.hourly.items()
    }


def _staff_metrics(part: Partial, encounters: QuerySet[Encounter]) -> dict[str, Any]:
    """Critical incidents debriefed (supervisor review) within 72 hours; encounters per
    team shift (median), over the shifts in which the scoped encounters (``encounters``,
    readable for their stamps where a shift starts or ends inside an hour) were dispatched."""
    from corespond.dispatch.models import Shift

    hourly = _hourly(part)
    shift_q = Q()
    for team_id, hours in hourly.items():
        if hours:
            # The first and last hour dispatched: a shift that overlaps them and holds no
            # dispatch counts none and is left out below.
            shift_q |= Q(
                team_id=team_id, starts_at__lt=hours[-1][0] + HOUR, ends_at__gt=hours[0][0]
            )
    shifts = list(
        Shift.objects.filter(shift_q).values_list("pk", "team_id", "starts_at", "ends_at")
        if shift_q
        else []
    )
    per_shift = _per_shift(hourly, _dispatched(encounters), shifts) if shifts else {}
    counts = sorted(per_shift.values())
    return {
        "staff.critical_incidents_debriefed_rate": rate(
            part.counts["critical_reviewed"], part.counts["critical"]
        ),
        "staff.calls_per_shift.p50": {
            "value": percentile([float(c) for c in counts], 50),
            "n": len(counts),
        },
    }


def _training_current(filters: Filters, programs: list[Program]) -> dict[str, Any]:
    """Members of the teams in scope whose every course their program requires is current on
    the period's last day (completed by then, expiring that day or later), over those members
    (today's rosters: past seats are not kept). ``programs`` are those the user may count;
    the team, agency and response-type filters select teams (a team belongs to one agency
    and answers with one response type)."""
    from corespond.dispatch.models import TeamMember, Training

    on = filters.date_to or timezone.localdate(timezone=filters.zone())
    seats = TeamMember.objects.all()
    if filters.team_id:
        seats = seats.filter(team_id=filters.team_id)
    if filters.agency_id:
        seats = seats.filter(team__agency_id=filters.agency_id)
    if filters.response_type:
        seats = seats.filter(team__response_type=filters.response_type)
    staff = current = 0
    counted = False
    for program in programs:
        required = set(program.required_training or [])
        if not required:
            continue
        counted = True
        members = set(seats.filter(team__program=program).values_list("user_id", flat=True))
        held: dict[int, set[str]] = {}
        valid = Training.objects.filter(
            user_id__in=members, course__in=required, completed_on__lte=on
        ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        for user_id, course in valid.values_list("user_id", "course"):
            held.setdefault(user_id, set()).add(course)
        staff += len(members)
        current += sum(1 for user_id in members if required <= held.get(user_id, set()))
    if not counted:
        return {"value": None, "needs": ["the program's required training (Program settings)"]}
    return rate(current, staff)


HOUR = timedelta(hours=1)
# Beyond this many shift edges off the hour, reading every dispatch time is simpler.
MAX_PARTIAL_HOURS = 500


def _per_shift(
    hourly: dict[int, list[tuple[datetime, int]]],
    dispatched: QuerySet[Encounter],
    shifts: list[tuple[int, int, datetime, datetime]],
) -> dict[int, int]:
    """Encounters dispatched in each shift, exactly, without reading every dispatch time: from
    the dispatches per team and hour (``Partial.hourly``) a shift adds up its whole hours
    (prefix sums and two binary searches), and only the hours a shift starts or ends inside
    are read from ``dispatched`` in full."""
    by_team: dict[int, tuple[list[datetime], list[int]]] = {}
    for team_id, counted in hourly.items():
        hours, sums = by_team.setdefault(team_id, ([], [0]))
        for hour, n in counted:
            hours.append(hour)
            sums.append(sums[-1] + n)

    def whole(team_id: int, start: datetime, end: datetime) -> int:
        hours, sums = by_team.get(team_id, ([], [0]))
        return sums[bisect.bisect_left(hours, end)] - sums[bisect.bisect_left(hours, start)]

    def floor(t: datetime) -> datetime:
        return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)

    partial: list[tuple[int, datetime, datetime]] = []
    spans = []
    for pk, team_id, starts, ends in shifts:
        first_whole = floor(starts) if floor(starts) == starts else floor(starts) + HOUR
        last_whole = floor(ends)
        if first_whole < last_whole:
            spans.append((pk, team_id, first_whole, last_whole))
            partial += [(team_id, starts, first_whole), (team_id, last_whole, ends)]
        else:
            spans.append((pk, team_id, starts, starts))
            partial.append((team_id, starts, ends))
    partial = [(t, a, b) for t, a, b in partial if a < b]
    exact: dict[int, list[datetime]] = {}
    if partial:
        edges = (
            dispatched
            if len(partial) > MAX_PARTIAL_HOURS
            else dispatched.filter(
                functools.reduce(
                    operator.or_,
                    (
                        Q(team_id=t, dispatched_at__gte=a, dispatched_at__lt=b)
                        for t, a, b in partial
                    ),
                )
            )
        )
        stamps = edges.order_by("dispatched_at").values_list("team_id", "dispatched_at")
        for team_id, at in stamps:
            if at is not None:  # ``dispatched`` has none; the type checker cannot know
                exact.setdefault(team_id, []).append(at)

    def inside(team_id: int, start: datetime, end: datetime) -> int:
        times = exact.get(team_id, [])
        return bisect.bisect_left(times, end) - bisect.bisect_left(times, start)

    found: dict[int, int] = {}
    for (pk, team_id, starts, ends), (_, _, first_whole, last_whole) in zip(
        shifts, spans, strict=True
    ):
        if first_whole < last_whole:
            n = (
                inside(team_id, starts, first_whole)
                + whole(team_id, first_whole, last_whole)
                + inside(team_id, last_whole, ends)
            )
        else:
            n = inside(team_id, starts, ends)
        if n:
            found[pk] = n
    return found


def _small(n: int) -> bool:
    return 0 < n < SUPPRESSION_THRESHOLD


def _rate_hidden(metric: dict[str, Any]) -> bool:
    """A rate is hidden when its numerator, its denominator or their difference is small
    (the difference would give the complement away)."""
    numerator, denominator = metric["numerator"], metric["denominator"]
    return _small(numerator) or _small(denominator) or _small(denominator - numerator)


def suppressed_cells(cells: dict[str, int]) -> set[str]:
    """Cells to hide in a breakdown whose total is known elsewhere: the small ones, and if only
    one is small, the next smallest too, so the hidden one cannot be got by subtraction."""
    hidden = {k for k, v in cells.items() if _small(v)}
    if len(hidden) == 1:
        others = sorted((v, k) for k, v in cells.items() if k not in hidden and v > 0)
        if others:
            hidden.add(others[0][1])
    return hidden


def suppression_applies(user: Any) -> bool:
    """Evaluators (and the public) get small counts suppressed and no identified rows."""
    from corespond.core.access import roles_of

    return Role.EVALUATOR in roles_of(user) and not user.is_superuser


def suppressed(values: dict[str, Any]) -> dict[str, Any]:
    """The catalog as evaluators may have it in machine form (the API): the rules of
    :func:`display`, with ``null`` and ``"suppressed": true`` where the page says "<11"."""
    out: dict[str, Any] = {}
    for metric_id, metric in values.items():
        shown = dict(metric)
        value = shown.get("value")
        if "denominator" in shown:
            if _rate_hidden(shown):
                shown = {"value": None, "suppressed": True}
        elif "n" in shown:
            if shown["n"] < SUPPRESSION_THRESHOLD and value is not None:
                shown = {"value": None, "suppressed": True}
        elif isinstance(value, dict):
            hidden = suppressed_cells(value)
            shown["value"] = {k: None if k in hidden else v for k, v in value.items()}
        elif isinstance(value, int) and _small(value):
            shown = {"value": None, "suppressed": True}
        for key, extra in list(shown.items()):
            # Side counts (calls without police, people enrolled...) follow the same rule.
            countable = isinstance(extra, int) and not isinstance(extra, bool)
            if key != "value" and countable and _small(extra):
                shown[key] = None
        out[metric_id] = shown
    return out


def display(metric_id: str, metric: dict[str, Any], *, suppress: bool) -> str:
    """Human text for a metric. Where suppression applies (evaluators, the public), counts
    under 11 become "<11", and a rate is hidden when its numerator, its denominator or the
    difference of the two is under 11 (the difference would give away the complement)."""

    def count(n: int) -> str:
        return "<11" if suppress and _small(n) else f"{n:,}"

    value = metric["value"]
    if "denominator" in metric:
        if value is None:
            return "no data"
        numerator, denominator = metric["numerator"], metric["denominator"]
        if suppress and _rate_hidden(metric):
            return "suppressed (<11)"
        return f"{value:.1%} ({numerator:,} of {denominator:,})"
    if "n" in metric:
        if value is None:
            return "no data"
        if suppress and metric["n"] < SUPPRESSION_THRESHOLD:
            return "suppressed (n<11)"
        unit = " min" if metric_id.startswith("response.") else ""
        return f"{value:.1f}{unit} (n={metric['n']:,})"
    if value is None:
        needs = metric.get("needs")
        return f"not computed: needs {', '.join(needs)}" if needs else "no data"
    if "low" in metric and "high" in metric:
        return f"${value:,} (range ${metric['low']:,} to ${metric['high']:,})"
    if isinstance(value, dict):
        hidden = suppressed_cells(value) if suppress else set()
        return ", ".join(
            f"{k.replace('_', ' ')}: {'<11' if k in hidden else f'{v:,}'}" for k, v in value.items()
        )
    return count(value)
