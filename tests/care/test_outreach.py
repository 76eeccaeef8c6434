"""Proactive outreach: repeated crises put a person on the list, and time takes them off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corespond.care.models import FollowUp
from corespond.care.selectors import outreach_list
from corespond.care.services import outreach_start
from corespond.field.models import Encounter, EncounterPerson
from corespond.people.models import Person
from tests.journey import make_call


def _crises(world, person: Person, days_ago: list[int]) -> None:
    for days in days_ago:
        when = timezone.now() - timedelta(days=days)
        call = make_call(world)
        # Older calls arrive by import; the list only reads the encounter's time.
        encounter = Encounter.objects.create(call=call, received_at=when)
        EncounterPerson.objects.create(encounter=encounter, person=person)


@pytest.fixture
def river(world) -> Person:
    return Person.objects.create(
        program=world.program, recorded_by_agency=world.riverton, given_name="River"
    )


def test_three_crises_in_ninety_days_put_a_person_on_the_list(world, river) -> None:
    _crises(world, river, [80, 30, 2])
    listed = outreach_list(user=world.kim, program=world.program)
    assert [(c.person.pk, c.contacts) for c in listed] == [(river.pk, 3)]
    # Twenty days later the oldest contact is out of the window: off the list by itself.
    later = outreach_list(
        user=world.kim, program=world.program, now=timezone.now() + timedelta(days=20)
    )
    assert later == []


def test_the_rule_is_the_programs(world, river) -> None:
    _crises(world, river, [10, 5])
    assert outreach_list(user=world.kim, program=world.program) == []
    world.program.outreach_contacts = 2
    world.program.save()
    assert len(outreach_list(user=world.kim, program=world.program)) == 1


def test_an_outreach_is_worked_like_a_follow_up_and_not_opened_twice(world, river) -> None:
    _crises(world, river, [40, 20, 1])
    client = Client()
    client.force_login(world.kim)
    page = client.get(reverse("care:outreach")).content.decode()
    assert f'data-person="{river.pk}"' in page and "Start outreach" in page
    response = client.post(reverse("care:outreach_start", args=[river.pk]))
    followup = FollowUp.objects.filter(kind="outreach")
    from corespond.core.access import system

    opened = system(followup, reason="test").get()
    assert response["Location"] == reverse("care:followup", args=[opened.pk])
    assert "open, due" in client.get(reverse("care:outreach")).content.decode()
    with pytest.raises(ValidationError, match="already open"):
        outreach_start(actor=world.kim, person_id=river.pk)


def test_someone_not_on_the_list_gets_no_outreach(world, river) -> None:
    _crises(world, river, [3])
    with pytest.raises(ValidationError, match="not on the outreach list"):
        outreach_start(actor=world.kim, person_id=river.pk)


def test_police_do_not_see_the_outreach_list(world) -> None:
    client = Client()
    client.force_login(world.oscar)
    assert client.get(reverse("care:outreach")).status_code == 403


def test_a_person_the_follow_up_could_not_reach_is_flagged_for_outreach(world) -> None:
    from corespond.care.services import followup_attempt_record
    from corespond.core.access import system
    from tests.journey import finish_encounter

    finish_encounter(world, given_name="Noor")
    followup = system(FollowUp.objects.all(), reason="test").get()
    for _ in range(world.program.followup_attempts):
        followup_attempt_record(
            actor=world.kim, followup_id=followup.pk, method="phone", reached=False
        )
    listed = outreach_list(user=world.kim, program=world.program)
    assert [(c.person.given_name, c.reasons) for c in listed] == [
        ("Noor", ("follow-up could not reach them",))
    ]
    outreach_start(actor=world.kim, person_id=listed[0].person.pk)
