"""The demo county: idempotent, deterministic, calibrated, and complete enough to demo."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from corespond.care.models import FollowUp, FollowUpAttempt, Referral, ReferralStatusChange
from corespond.core.access import Action, system
from corespond.core.vocab import ReferralStatus
from corespond.demo import county
from corespond.dispatch.models import Assignment
from corespond.field.models import Encounter, EncounterPerson, Intervention
from corespond.intake.models import Call, TriageDecision
from corespond.outcomes import metrics
from corespond.people.models import Person, SafetyFlag

END = datetime(2026, 6, 1, 12, tzinfo=UTC)


def gated(model):
    return system(model.objects.all(), reason="test")


def fingerprint() -> list[tuple[object, ...]]:
    return list(
        gated(Call)
        .order_by("external_id")
        .values_list("external_id", "received_at", "call_type", "triage__response_type", "status")
    )


def wipe_history() -> None:
    for model in (
        ReferralStatusChange,
        Referral,
        FollowUpAttempt,
        FollowUp,
        EncounterPerson,
        Intervention,
        SafetyFlag,
    ):
        system(model.objects.all(), reason="test", action=Action.CHANGE).delete()
    system(Encounter.objects.all(), reason="test", action=Action.CHANGE).delete()
    system(Person.objects.all(), reason="test", action=Action.CHANGE).delete()
    system(Assignment.objects.all(), reason="test", action=Action.CHANGE).delete()
    system(TriageDecision.objects.all(), reason="test", action=Action.CHANGE).delete()
    system(Call.objects.all(), reason="test", action=Action.CHANGE).delete()


@pytest.mark.django_db
def test_loading_twice_adds_nothing() -> None:
    first = county.load(seed=11, years=0.1, end=END)
    counts = {m: gated(m).count() for m in (Call, Encounter, Person, FollowUp, Referral)}
    second = county.load(seed=11, years=0.1, end=END)
    assert first.created["calls"] > 300
    assert second.skipped_history and not any(second.created.values())
    assert {m: gated(m).count() for m in counts} == counts


@pytest.mark.django_db
def test_same_seed_gives_the_same_county() -> None:
    county.load(seed=12, years=0.05, end=END)
    before = fingerprint()
    wipe_history()
    county.load(seed=12, years=0.05, end=END)
    assert fingerprint() == before


@pytest.mark.django_db
def test_every_persona_can_sign_in_with_the_printed_password() -> None:
    county.load(seed=13, years=0.01, end=END)
    from django.test import RequestFactory

    for persona in county.PERSONAS:
        # The lockout check (django-axes) looks at the request of every sign-in.
        request = RequestFactory().post("/login/")
        assert authenticate(request, username=persona.username, password=county.DEMO_PASSWORD), (
            persona
        )


@pytest.mark.django_db
def test_demo_has_repeat_crises_and_referrals_in_every_status() -> None:
    county.load(seed=14, years=0.25, end=END)
    per_person = Counter(gated(EncounterPerson).values_list("person_id", flat=True))
    assert max(per_person.values()) >= 3
    assert set(gated(Referral).values_list("status", flat=True)) == set(ReferralStatus.values)
    outcomes = set(gated(FollowUp).values_list("outcome", flat=True))
    assert {"contacted_connected", "not_reached", "pending"} <= outcomes
    assert len(county.PERSONAS) >= 7
    assert gated(Person).filter(given_name="", family_name="").count() == 0


@pytest.mark.django_db
def test_demo_intervals_land_near_the_lane_county_medians() -> None:
    county.load(seed=2026, years=0.5, end=END)
    m = metrics.compute(metrics.Filters(), system_reason="test")
    assert 10 <= m["response.queue_minutes.p50"]["value"] <= 16
    assert 11 <= m["response.travel_minutes.p50"]["value"] <= 17
    assert 18 <= m["response.on_scene_minutes.p50"]["value"] <= 26
    assert m["response.negative_intervals"]["value"] > 0  # the data-quality slips are there
    assert 0.0 < m["calls.eligible_served_rate"]["value"] < 1.0
    assert m["calls.eligible_unserved_by_reason"]["value"]["not_recorded"] > 0


@pytest.mark.django_db
def test_seed_command_reports_and_refuses_silly_years() -> None:
    out = StringIO()
    call_command("seed", "--seed", "15", "--years", "0.01", "--quiet", stdout=out)
    assert "Created:" in out.getvalue()
    with pytest.raises(CommandError, match="--years"):
        call_command("seed", "--years", "0")
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("seed", "--end", "yesterday")


@pytest.mark.django_db
def test_history_runs_up_to_the_load_and_leaves_the_latest_calls_waiting() -> None:
    call_command(
        "seed",
        "--seed",
        "17",
        "--years",
        "0.05",
        "--end",
        "2026-06-01T21:00Z",
        "--quiet",
        stdout=StringIO(),
    )
    latest = gated(Call).order_by("-received_at").first()
    assert latest is not None and END.date() == latest.received_at.date()
    assert gated(Call).filter(status=Call.Status.WAITING).exists()


@pytest.mark.django_db
def test_two_seeds_load_side_by_side() -> None:
    county.load(seed=26, years=0.02, end=END)
    county.load(seed=2026, years=0.02, end=END)
    assert gated(Call).filter(external_id__startswith="demo-26-").exists()
    assert gated(Call).filter(external_id__startswith="demo-2026-").exists()


@pytest.mark.django_db
def test_demo_command_without_serving_prints_every_login() -> None:
    out = StringIO()
    call_command("demo", "--no-serve", "--seed", "16", stdout=out)
    text = out.getvalue()
    assert county.DEMO_PASSWORD in text
    for persona in county.PERSONAS:
        assert persona.username in text
