"""The hand-counted records the catalog's tests and the drill-down's tests share."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

import pytest

from corespond.dispatch.models import Assignment
from corespond.field.models import Encounter
from corespond.intake.models import TriageDecision
from corespond.outcomes import metrics
from tests.factories import CallFactory

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
DAY = date(2026, 3, 10)


def at(hh: int, mm: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=LA)


def triaged_call(
    world,
    received,
    *,
    eligible=True,
    bh=True,
    reason="",
    outside=False,
    status="closed",
):
    """A Riverton call in Riverside with its triage decision, written directly."""
    c = CallFactory(
        program=world.program,
        agency=world.riverton,
        received_at=received,
        behavioral_health=bh,
        unserved_reason=reason,
        status=status,
    )
    TriageDecision.objects.create(
        call=c,
        response_type="co_response" if eligible else "police_only",
        priority=2,
        eligible=eligible,
        outside_service_hours=outside,
        rule="r",
        explanation="e",
        protocol_version="test",
    )
    return c


@pytest.fixture
def records(world):
    def call(received, **kw):
        return triaged_call(world, received, **kw)

    def served(c, dispatched, arrived, cleared, **fields):
        a = Assignment.objects.create(
            call=c, team=world.team, assigned_at=dispatched, cleared_at=cleared or dispatched
        )
        Encounter.objects.create(
            call=c,
            assignment=a,
            team=world.team,
            received_at=c.received_at,
            dispatched_at=dispatched,
            arrived_at=arrived,
            cleared_at=cleared,
            **fields,
        )

    c1 = call(at(10))
    served(
        c1,
        at(10, 10),
        at(10, 30),
        at(11),
        contact_outcome="engaged",
        disposition="remained_in_community",
        service_provided=True,
    )
    c2 = call(at(12))
    served(
        c2,
        at(12, 20),
        at(12, 30),
        at(12, 20),
        contact_outcome="engaged",
        disposition="emergency_department",
        involuntary_hold=True,
    )
    c3 = call(at(14))
    served(c3, at(14, 5), None, None, contact_outcome="unable_to_locate")
    call(at(15), reason="no_team_free")
    call(at(23, 30), outside=True)
    call(at(16), eligible=False, bh=False)
    call(at(9, day=DAY + timedelta(days=2)))  # outside the period
    return world


def compute(world, user=None):
    filters = metrics.Filters(
        date_from=DAY, date_to=DAY, program_id=world.program.pk, tz="America/Los_Angeles"
    )
    return metrics.compute(filters, user=user, system_reason="test")
