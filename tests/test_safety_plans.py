"""Stanley-Brown safety plans: versioned, printable, shown only where sharing allows."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from corespond.core.access import restrict
from corespond.people.models import Person, SafetyPlan
from corespond.people.services import safety_plan_save

PLAN = {
    "warning_signs": "Stops answering the phone; sleeps all day",
    "internal_coping": "Walk the dog",
    "social_distraction": "Library; cousin's house",
    "people_to_ask": "Sister Dana",
    "professionals": "Harbor crisis line; 988",
    "safe_environment": "Medications kept by Dana",
}


@pytest.fixture
def person(world) -> Person:
    return Person.objects.create(
        program=world.program, recorded_by_agency=world.riverton, given_name="Quinn"
    )


def test_each_change_is_a_new_version_and_the_old_ones_stay(world, person) -> None:
    first = safety_plan_save(actor=world.clara, person_id=person.pk, **PLAN)
    second = safety_plan_save(
        actor=world.kim, person_id=person.pk, **{**PLAN, "internal_coping": "Music"}
    )
    assert (first.version, second.version) == (1, 2)
    versions = restrict(SafetyPlan.objects.filter(person=person), world.clara)
    assert [p.internal_coping for p in versions] == ["Music", "Walk the dog"]


def test_a_plan_needs_warning_signs_and_someone_to_call(world, person) -> None:
    with pytest.raises(ValidationError, match="warning signs and one person"):
        safety_plan_save(actor=world.clara, person_id=person.pk, warning_signs="x")
    with pytest.raises(ValidationError, match="Unknown sections"):
        safety_plan_save(actor=world.clara, person_id=person.pk, **PLAN, hobbies="none")
    with pytest.raises(PermissionDenied):
        safety_plan_save(actor=world.oscar, person_id=person.pk, **PLAN)


def test_the_plan_shows_where_sharing_allows_and_prints(world, person) -> None:
    safety_plan_save(actor=world.clara, person_id=person.pk, **PLAN)
    clinician = Client()
    clinician.force_login(world.clara)
    page = clinician.get(reverse("people:person", args=[person.pk])).content.decode()
    assert "Medications kept by Dana" in page
    plan_page = clinician.get(reverse("people:safety_plan", args=[person.pk])).content.decode()
    assert "data-print" in plan_page and "Save as version 2" in plan_page
    # Police hold no safety plans: the person page says so, the plan page refuses.
    officer = Client()
    officer.force_login(world.oscar)
    page = officer.get(reverse("people:person", args=[person.pk])).content.decode()
    assert "Medications kept by Dana" not in page and 'data-testid="plan-withheld"' in page
    assert officer.get(reverse("people:safety_plan", args=[person.pk])).status_code == 403


def test_a_new_version_is_saved_from_the_page(world, person) -> None:
    client = Client()
    client.force_login(world.kim)
    url = reverse("people:safety_plan", args=[person.pk])
    assert client.post(url, {"warning_signs": "only this"}).status_code == 400
    assert client.post(url, PLAN).status_code == 302
    assert restrict(SafetyPlan.objects.filter(person=person), world.kim).count() == 1
