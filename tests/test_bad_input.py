"""Bad input on every form and JSON endpoint: never a server error, never a partial write.

Hypothesis sends each endpoint the fields it expects (and some it does not) filled with
arbitrary text, numbers, dates, huge and empty values. A refused request (4xx) must leave
every person-level table as it was; no request may end in a 5xx.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corespond.care.models import FollowUp, FollowUpAttempt, Referral, ReferralStatusChange
from corespond.core.access import system
from corespond.field.models import (
    ClinicalNote,
    Encounter,
    EncounterPerson,
    Intervention,
    Part2Note,
)
from corespond.intake.models import Call, ProtocolVersion, TriageDecision
from corespond.people.models import Person, SafetyFlag
from corespond.sharing.models import BreakGlassGrant
from tests.journey import encounter_of, make_call

TABLES = [
    Call,
    TriageDecision,
    Encounter,
    EncounterPerson,
    Person,
    FollowUp,
    FollowUpAttempt,
    Referral,
    ReferralStatusChange,
    Intervention,
    ClinicalNote,
    Part2Note,
    SafetyFlag,
]

junk = st.one_of(
    st.text(max_size=300),
    st.integers(min_value=-(2**63), max_value=2**63).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "99999999999",
            "2026-13-45T25:61",
            "1e309",
            "NaN",
            "null",
            "true",
            "\x00",
            "<script>",
            "'; DROP TABLE x; --",
            "٣",
            "EDP",
            "engaged",
            "other",
        ]
    ),
)


def fields(*names: str) -> st.SearchStrategy[dict[str, str]]:
    known = st.fixed_dictionaries({}, optional={n: junk for n in names})
    extra = st.dictionaries(st.text(min_size=1, max_size=12), junk, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, extra)


def counts() -> dict[str, int]:
    found = {m.__name__: system(m.objects.all(), reason="test").count() for m in TABLES}
    found["ProtocolVersion"] = ProtocolVersion.objects.count()
    found["BreakGlassGrant"] = BreakGlassGrant.objects.count()
    return found


def check(client: Client, url: str, data: Any, *, as_json: bool = False) -> None:
    before = counts()
    if as_json:
        response = client.post(url, json.dumps(data), content_type="application/json")
    else:
        response = client.post(url, data)
    assert response.status_code < 500, (url, data, response.status_code)
    if response.status_code >= 400:
        assert counts() == before, (url, data, "a refused request wrote something")


FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def scene(world) -> dict[str, Any]:
    from corespond.care.models import Resource
    from corespond.care.services import referral_create
    from corespond.dispatch.services import unit_assign
    from corespond.field import services as field

    waiting = make_call(world)
    call = make_call(world)
    encounter = encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))
    person = field.encounter_person_add(
        actor=world.clara, encounter_id=encounter.pk, given_name="Kai"
    )
    resource = Resource.objects.create(
        program=world.program, organization="Harbor", name="Respite", category="crisis"
    )
    referral = referral_create(actor=world.clara, person_id=person.pk, resource_id=resource.pk)
    return {
        "waiting": waiting,
        "encounter": encounter,
        "person": person,
        "referral": referral,
        "resource": resource,
    }


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def near_valid(base: dict[str, Any], draw: Any) -> dict[str, Any]:
    """A valid request with some of its fields replaced by junk: reaches the deeper checks."""
    overrides = draw(st.fixed_dictionaries({}, optional={n: junk for n in base}))
    return {**base, **overrides}


@FUZZ
@given(
    data=fields(
        "program",
        "agency",
        "received_at",
        "source",
        "call_type",
        "source_call_type",
        "address",
        "behavioral_health",
        "weapons",
        "violence_in_progress",
        "medical_emergency",
        "description",
    ),
    draw=st.data(),
)
def test_the_call_form(world, data, draw) -> None:
    client = _client(world.alice)
    check(client, reverse("intake:call_new"), data)
    valid = {
        "program": str(world.program.pk),
        "agency": str(world.riverton.pk),
        "received_at": "2026-11-27T10:00",
        "source": "911",
        "call_type": "EDP",
        "address": "1 Elm St",
        "behavioral_health": "on",
    }
    check(client, reverse("intake:call_new"), near_valid(valid, draw.draw))


@FUZZ
@given(data=fields("team", "override_reason", "reason"))
def test_assign_and_close(world, scene, data) -> None:
    client = _client(world.alice)
    check(client, reverse("dispatch:assign", args=[scene["waiting"].pk]), data)
    check(client, reverse("intake:call_close_unserved", args=[scene["waiting"].pk]), data)


@FUZZ
@given(
    data=fields(
        "contact_outcome",
        "disposition",
        "disposition_text",
        "transported_by",
        "service_provided",
        "involuntary_hold",
        "use_of_force",
        "injury_person",
        "injury_staff",
        "stamp",
        "latitude",
        "longitude",
        "given_name",
        "family_name",
        "birth_date",
        "involvement",
    )
)
def test_the_encounter_forms(world, scene, data) -> None:
    client = _client(world.clara)
    pk = scene["encounter"].pk
    check(client, reverse("field:encounter", args=[pk]), data)
    valid = {
        "contact_outcome": "engaged",
        "disposition": "remained_in_community",
        "transported_by": "none",
    }
    check(client, reverse("field:encounter", args=[pk]), {**valid, **data})
    check(client, reverse("field:stamp", args=[pk]), data)
    check(client, reverse("field:person_add", args=[pk]), data)


@FUZZ
@given(
    data=fields(
        "kind",
        "given",
        "person",
        "involvement",
        "note-text",
        "note-person_id",
        "note-part2",
        "referral-person",
        "referral-resource",
        "note",
        "next",
    ),
    draw=st.data(),
)
def test_the_on_scene_forms(world, scene, data, draw) -> None:
    client = _client(world.clara)
    pk, person = scene["encounter"].pk, scene["person"].pk
    for name in ("intervention", "person_link", "note", "referral"):
        check(client, reverse(f"field:{name}", args=[pk]), data)
    check(client, reverse("people:flag_add", args=[person]), data)
    valid = {
        "note-text": "Calm.",
        "note-person_id": str(person),
        "referral-person": str(person),
        "referral-resource": str(scene["resource"].pk),
        "kind": "de_escalation",
        "given": "1",
    }
    for name in ("intervention", "note", "referral"):
        check(client, reverse(f"field:{name}", args=[pk]), near_valid(valid, draw.draw))
    response = client.get(reverse("care:resources"), data)
    assert response.status_code < 500


@FUZZ
@given(data=fields("method", "outcome", "note", "status"))
def test_the_care_forms(world, scene, data) -> None:
    from corespond.care.models import FollowUp

    client = _client(world.kim)
    followup = system(FollowUp.objects.all(), reason="test").first()
    if followup is not None:
        check(client, reverse("care:followup", args=[followup.pk]), data)
    check(client, reverse("care:referral_status", args=[scene["referral"].pk]), data)


@FUZZ
@given(data=fields("reason"))
def test_break_the_glass(world, scene, data) -> None:
    check(_client(world.bob), reverse("people:break_glass", args=[scene["person"].pk]), data)


@FUZZ
@given(data=fields("source", "action"))
def test_the_protocol_editor(world, data) -> None:
    check(_client(world.manny), reverse("intake:protocol_draft_new", args=[world.program.pk]), data)


@FUZZ
@given(
    data=st.one_of(
        st.dictionaries(
            st.text(max_size=20),
            st.one_of(junk, st.integers(), st.booleans(), st.none(), st.floats()),
            max_size=6,
        ),
        st.fixed_dictionaries(
            {"program": st.just("riverside")},
            optional={
                "call_type": junk,
                "time": junk,
                "latitude": st.one_of(junk, st.floats()),
                "longitude": st.one_of(junk, st.floats()),
                "age": st.one_of(st.integers(), junk),
                "weapons": st.one_of(st.booleans(), junk),
            },
        ),
        st.lists(st.integers(), max_size=3),
    )
)
def test_the_triage_preview(world, data) -> None:
    check(_client(world.alice), reverse("dispatch:preview"), data, as_json=True)
