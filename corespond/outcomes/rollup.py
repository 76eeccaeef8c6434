"""Figures kept up to date as records change, so that the catalog over a long period adds up
days instead of reading every record (a year of a million encounters: benchmarks/RESULTS.md).

What is kept (outcomes/models.py), all derived from the records and rewritten from them:
- ``DayFigures``: per program, day received (in the program's time zone), agency and response
  type, the additive figures of those calls and their encounters (``metrics.Partial``:
  counts, interval histograms, police sums, dispatches per team and hour);
- ``CrisisContact``: one row per person in crisis at an encounter, with whether they were
  engaged and whether their previous or next crisis contact lies within 90 days, for the
  people metrics (distinct people do not add up over days).

How it stays current: database triggers on every table these figures read (calls, triage
decisions, assignments, encounters, people at encounters, interventions, referrals) mark the
program's day (UTC) stale in ``StaleDay`` on every insert, update and delete. Triggers, not
Django signals, because imports write with COPY and bulk statements that signals never see.
Before stored figures answer, :func:`refresh` writes the stale days again (each UTC day is one
or two days of the program's zone), so they are never behind the committed records. A program
seen for the first time, or whose time zone changed, is written whole.

What is read at the time of asking, not kept: team rosters (officer make-up), shifts, the
program's police minutes per call, follow-ups and referrals (their windows run against the
clock), training and cost assumptions. Filters the days cannot answer (a team; a time zone
other than the programs') are counted from the records, with the same code
(``metrics.partials``).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Lag, Lead
from django.utils import timezone

from corespond.care.models import Referral
from corespond.core.access import Action, audit_event, maintaining, system
from corespond.core.models import Program
from corespond.core.vocab import ContactOutcome
from corespond.dispatch.models import Assignment
from corespond.field.models import Encounter, EncounterPerson, Intervention
from corespond.intake.models import Call, TriageDecision
from corespond.outcomes import metrics
from corespond.outcomes.models import CrisisContact, DayFigures, ProgramFigures, StaleDay

REASON = "metrics: figures kept by day"
# An arbitrary constant: the PostgreSQL advisory lock that lets one refresh run at a time.
LOCK_KEY = 6_061_777
# Beyond this many people touched by a refresh, their contacts' neighbours are set again for
# every person (one pass) rather than for a listed few.
MAX_LISTED_PEOPLE = 50_000
PEOPLE_PER_STATEMENT = 500


def _sources() -> list[tuple[str, str]]:
    """Each table the figures read, and how its rows reach their call."""
    return [
        (Call._meta.db_table, "self"),
        (TriageDecision._meta.db_table, "call"),
        (Assignment._meta.db_table, "call"),
        (Encounter._meta.db_table, "call"),
        (EncounterPerson._meta.db_table, "encounter"),
        (Intervention._meta.db_table, "encounter"),
        (Referral._meta.db_table, "encounter"),
    ]


def _postgresql_triggers(table: str, path: str) -> Iterator[str]:
    stale, calls, encounters = (
        StaleDay._meta.db_table,
        Call._meta.db_table,
        Encounter._meta.db_table,
    )

    def changed(rows: str) -> str:
        if path == "self":
            return f"SELECT program_id, received_at FROM {rows}"
        if path == "call":
            return (
                f"SELECT c.program_id, c.received_at FROM {rows} r "
                f"JOIN {calls} c ON c.id = r.call_id"
            )
        return (
            f"SELECT c.program_id, c.received_at FROM {rows} r "
            f"JOIN {encounters} e ON e.id = r.encounter_id JOIN {calls} c ON c.id = e.call_id"
        )

    # Statement-level triggers with transition tables: one INSERT per statement, so a COPY
    # of a million rows marks its days once.
    for event, referencing, tables in (
        ("INSERT", "NEW TABLE AS new_rows", ["new_rows"]),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", ["old_rows", "new_rows"]),
        ("DELETE", "OLD TABLE AS old_rows", ["old_rows"]),
    ):
        name = f"{stale}_{table}_{event.lower()}"
        rows = " UNION ALL ".join(changed(t) for t in tables)
        yield f"""
            CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
                INSERT INTO {stale} (program_id, day, version)
                SELECT DISTINCT program_id, (received_at AT TIME ZONE 'UTC')::date, 1
                FROM ({rows}) AS changed
                ON CONFLICT (program_id, day) DO UPDATE SET version = {stale}.version + 1;
                RETURN NULL;
            END $body$"""
        yield f"DROP TRIGGER IF EXISTS {name} ON {table}"
        yield (
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def _sqlite_triggers(table: str, path: str) -> Iterator[str]:
    stale, calls, encounters = (
        StaleDay._meta.db_table,
        Call._meta.db_table,
        Encounter._meta.db_table,
    )

    def mark(row: str) -> str:
        # SQLite keeps times as UTC text, so date() is the UTC day. The WHERE clause is
        # needed before ON CONFLICT (SQLite's parser would read it as a join's ON).
        if path == "self":
            source = f"SELECT {row}.program_id, date({row}.received_at), 1 WHERE 1"
        elif path == "call":
            source = (
                f"SELECT c.program_id, date(c.received_at), 1 FROM {calls} c "
                f"WHERE c.id = {row}.call_id"
            )
        else:
            source = (
                f"SELECT c.program_id, date(c.received_at), 1 FROM {encounters} e "
                f"JOIN {calls} c ON c.id = e.call_id WHERE e.id = {row}.encounter_id"
            )
        return (
            f"INSERT INTO {stale} (program_id, day, version) {source} "
            "ON CONFLICT (program_id, day) DO UPDATE SET version = version + 1;"
        )

    for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
        name = f"{stale}_{table}_{event.lower()}"
        yield f"DROP TRIGGER IF EXISTS {name}"
        yield (
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN "
            f"{' '.join(mark(row) for row in rows)} END"
        )


def install_triggers(using: Any = None) -> None:
    """Create (or replace) the triggers that mark days stale. Run after every ``migrate``
    (apps.py): SQLite drops a table's triggers when a migration rebuilds the table."""
    from django.db import connections

    target = connections[using or "default"]
    if StaleDay._meta.db_table not in target.introspection.table_names():
        return
    statements = _postgresql_triggers if target.vendor == "postgresql" else _sqlite_triggers
    with target.cursor() as cursor:
        for table, path in _sources():
            for sql in statements(table, path):
                cursor.execute(sql)


def _during(days: list[date] | None, zone: zoneinfo.ZoneInfo, prefix: str = "") -> Q:
    """Records received on ``days`` (in ``zone``; all days for None), as ranges of time."""
    if days is None:
        return Q()
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    q = Q()
    for first, last in ranges:
        q |= Q(
            **{
                f"{prefix}received_at__gte": datetime.combine(first, time(), zone),
                f"{prefix}received_at__lt": datetime.combine(
                    last + timedelta(days=1), time(), zone
                ),
            }
        )
    return q


def _write_days(
    program: Program, days: list[date] | None, *, contacts: bool = True
) -> tuple[int, set[int] | None]:
    """Write ``program``'s figures and (with ``contacts``) crisis contacts for ``days`` (every
    day for None) from its records: the number of rows of figures written, and the people
    whose contacts changed (None: too many to list)."""
    zone = zoneinfo.ZoneInfo(program.timezone)
    calls = system(Call.objects.filter(Q(program=program) & _during(days, zone)), reason=REASON)
    encounters = system(
        Encounter.objects.filter(Q(call__program=program) & _during(days, zone, "call__")),
        reason=REASON,
    )
    found = metrics.partials(calls, encounters, encounters, zone=zone)
    old = DayFigures.objects.filter(program=program)
    if days is not None:
        old = old.filter(day__in=days)
    old.delete()
    DayFigures.objects.bulk_create(
        (
            DayFigures(
                program=program,
                day=key[1],
                agency_id=key[2] or 0,
                response_type=key[3] or "",
                data=part.as_json(),
            )
            for key, part in found.items()
        ),
        batch_size=500,
    )
    touched: set[int] | None = set()
    if not contacts:
        return len(found), touched

    def people_of(rows: QuerySet[CrisisContact]) -> set[int] | None:
        # None: too many to list (their neighbours are then set again for everyone).
        listed = set(rows.values_list("person_id", flat=True)[: MAX_LISTED_PEOPLE + 1])
        return None if len(listed) > MAX_LISTED_PEOPLE else listed

    with maintaining(CrisisContact, reason=REASON) as kept:
        mine = kept.filter(Q(program=program) & _during(days, zone))
        before = people_of(mine)
        mine.delete()
        _copy_contacts(
            Q(encounter__call__program=program) & _during(days, zone, "encounter__call__")
        )
        after = people_of(mine)
        touched = None if before is None or after is None else before | after
    return len(found), touched


CONTACT_COLUMNS = {
    "program_id": F("encounter__call__program_id"),
    "person_id": F("person_id"),
    "encounter_id": F("encounter_id"),
    "agency_id": F("encounter__call__agency_id"),
    "response_type": Coalesce(F("encounter__call__triage__response_type"), Value("")),
    "received_at": F("encounter__call__received_at"),
    "engaged": ExpressionWrapper(
        Q(encounter__contact_outcome=ContactOutcome.ENGAGED), output_field=BooleanField()
    ),
    "near_another": Value(False),
}


def _copy_contacts(where: Q, *, near: bool = False) -> None:
    """The crisis contacts ``where`` selects copied inside the database (INSERT ... SELECT): a
    million of them never pass through Python. With ``near`` (every contact of every program
    at once), each one's ``near_another`` is set in the same statement."""
    source: QuerySet[Any] = system(
        EncounterPerson.objects.filter(Q(involvement=EncounterPerson.Involvement.SUBJECT) & where),
        reason=REASON,
    ).annotate(**{f"c_{name}": expression for name, expression in CONTACT_COLUMNS.items()})
    if near:
        in_order = [F("c_received_at").asc(), F("pk").asc()]
        by_person = [F("person_id")]
        source = source.annotate(
            c_before=Window(Lag("c_received_at"), partition_by=by_person, order_by=in_order),
            c_after=Window(Lead("c_received_at"), partition_by=by_person, order_by=in_order),
        ).annotate(
            c_near_another=Coalesce(
                ExpressionWrapper(
                    Q(c_before__gte=F("c_received_at") - metrics.REPEAT_WINDOW)
                    | Q(c_after__lte=F("c_received_at") + metrics.REPEAT_WINDOW),
                    output_field=BooleanField(),
                ),
                Value(False),
            )
        )
    rows = source.values_list(*(f"c_{name}" for name in CONTACT_COLUMNS)).order_by()
    sql, params = rows.query.sql_with_params()
    columns = ", ".join(CONTACT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {CrisisContact._meta.db_table} ({columns}) {sql}", params)


def _mark_near(people: set[int] | None, *, fresh: bool) -> None:
    """Set each contact's ``near_another`` for ``people`` (everyone for None): whether the
    person's previous or next crisis contact, in any program, lies within 90 days. ``fresh``:
    the contacts were all just written (all False). Listed people are taken a few hundred at a
    time (SQLite limits a statement's parameters)."""
    if people is not None and len(people) > MAX_LISTED_PEOPLE:
        people = None
    listed = sorted(people) if people is not None else None
    with maintaining(CrisisContact, reason=REASON) as contacts:
        if listed is None:
            _mark_near_in(contacts, contacts, fresh=fresh)
            return
        for i in range(0, len(listed), PEOPLE_PER_STATEMENT):
            chunk = listed[i : i + PEOPLE_PER_STATEMENT]
            _mark_near_in(contacts, contacts.filter(person_id__in=chunk), fresh=fresh)


def _mark_near_in(
    contacts: QuerySet[CrisisContact], scope: QuerySet[CrisisContact], *, fresh: bool
) -> None:
    if not fresh:
        scope.update(near_another=False)
    in_order = [F("received_at").asc(), F("pk").asc()]
    near = scope.annotate(
        before=Window(Lag("received_at"), partition_by=[F("person_id")], order_by=in_order),
        after=Window(Lead("received_at"), partition_by=[F("person_id")], order_by=in_order),
    ).filter(
        Q(before__gte=F("received_at") - metrics.REPEAT_WINDOW)
        | Q(after__lte=F("received_at") + metrics.REPEAT_WINDOW)
    )
    contacts.filter(pk__in=near.values("pk")).update(near_another=True)


def _needs_writing() -> bool:
    if StaleDay.objects.exists():
        return True
    zones = dict(ProgramFigures.objects.values_list("program_id", "zone"))
    return any(zones.get(pk) != zone for pk, zone in Program.objects.values_list("pk", "timezone"))


def refresh(*, rebuild: bool = False) -> int:
    """Write the stale days' figures again, and every day of a program not written yet or
    whose time zone changed (of every program with ``rebuild``). Returns the number of rows of
    figures written. Cheap when nothing changed: one query, no lock."""
    if not rebuild and not _needs_writing():
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        # (SQLite takes the write lock at BEGIN: settings use IMMEDIATE transactions.)
        programs = {program.pk: program for program in Program.objects.all()}
        zones = dict(ProgramFigures.objects.values_list("program_id", "zone"))
        marks = list(StaleDay.objects.values_list("pk", "program_id", "day", "version"))
        whole = [
            pk for pk, program in programs.items() if rebuild or zones.get(pk) != program.timezone
        ]
        days: dict[int, set[date]] = {}
        for _, program_id, day, _ in marks:
            program = programs.get(program_id)
            if program is None or program_id in whole:
                continue
            zone = zoneinfo.ZoneInfo(program.timezone)
            first = datetime.combine(day, time(), UTC)
            last = first + timedelta(days=1) - timedelta(microseconds=1)
            days.setdefault(program_id, set()).update(
                {first.astimezone(zone).date(), last.astimezone(zone).date()}
            )
        written = 0
        everything = bool(programs) and len(whole) == len(programs)
        if everything:
            # Every contact written in one statement, neighbours included.
            with maintaining(CrisisContact, reason=REASON) as kept:
                kept.all().delete()
            for program in programs.values():
                written += _write_days(program, None, contacts=False)[0]
            _copy_contacts(Q(), near=True)
        else:
            people: set[int] | None = set()
            written_days: list[tuple[int, list[date] | None]] = [(pk, None) for pk in whole]
            written_days += [(pk, sorted(program_days)) for pk, program_days in days.items()]
            for program_id, program_days in written_days:
                n, touched = _write_days(programs[program_id], program_days)
                written += n
                people = None if people is None or touched is None else people | touched
            # Neighbours are set again for the people whose contacts changed, in every
            # program (a person's neighbours may be in another).
            _mark_near(people, fresh=False)
        for pk, _, _, version in marks:
            # A change made while this ran raised the version: its mark stays for next time.
            StaleDay.objects.filter(pk=pk, version=version).delete()
        if whole and connection.vendor == "postgresql":
            # Fresh statistics, or the planner scans the new rows whole for every later
            # day's rewrite until autovacuum comes by.
            with connection.cursor() as cursor:
                for model in (CrisisContact, DayFigures):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
        now = timezone.now()
        for program_id in whole:
            ProgramFigures.objects.update_or_create(
                program_id=program_id,
                defaults={"zone": programs[program_id].timezone, "written_at": now},
            )
        audit_event(
            user=REASON, action=Action.CHANGE, model=CrisisContact, ids=[], purpose="refresh"
        )
    return written


def stored_figures(filters: metrics.Filters, programs: list[Program]) -> metrics.Partial | None:
    """The figures of ``filters`` over ``programs`` added up from their days, brought up to
    date first; None where the days cannot answer (a team filter, or a program whose time zone
    is not the filters')."""
    if filters.team_id:
        return None
    zone = filters.zone().key
    if any(program.timezone != zone for program in programs):
        return None
    refresh()
    rows = DayFigures.objects.filter(program__in=[program.pk for program in programs])
    if filters.date_from:
        rows = rows.filter(day__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(day__lte=filters.date_to)
    if filters.agency_id:
        rows = rows.filter(agency_id=filters.agency_id)
    if filters.response_type:
        rows = rows.filter(response_type=filters.response_type)
    total = metrics.Partial()
    for data in rows.values_list("data", flat=True).iterator(chunk_size=500):
        total.add(metrics.Partial.from_json(data))
    return total


def served_and_repeat(filters: metrics.Filters, programs: list[Program]) -> tuple[int, int]:
    """``metrics._served_and_repeat`` from the kept crisis contacts: people with an engaged
    contact in scope, and those of them with a contact in scope near another."""
    q = Q(program__in=[program.pk for program in programs]) & filters.period_q()
    if filters.agency_id:
        q &= Q(agency_id=filters.agency_id)
    if filters.response_type:
        q &= Q(response_type=filters.response_type)
    per_person = (
        system(
            CrisisContact.objects.filter(q),
            reason="metrics: people counts",
            action=Action.AGGREGATE,
        )
        .values("person_id")
        .annotate(
            engaged_n=Count("pk", filter=Q(engaged=True)),
            near_n=Count("pk", filter=Q(near_another=True)),
        )
    )
    counted = per_person.aggregate(
        served=Count("person_id", filter=Q(engaged_n__gt=0)),
        repeat=Count("person_id", filter=Q(engaged_n__gt=0, near_n__gt=0)),
    )
    return counted["served"], counted["repeat"]
