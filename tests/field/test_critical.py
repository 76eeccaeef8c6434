"""Holds, force and injuries go to a supervisor's review queue."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from corespond.core.vocab import Role
from corespond.field import services
from tests.factories import UserFactory
from tests.journey import finish_encounter


@pytest.fixture
def sam(world):
    return UserFactory(username="sam", roles=[(world.riverton, Role.SUPERVISOR)])


def test_a_use_of_force_waits_for_review_and_leaves_the_queue_when_reviewed(world, sam) -> None:
    calm = finish_encounter(world)
    forced = finish_encounter(world, given_name="Ash")
    # Completed records are final for the team; the flag is set here as an import would.
    from corespond.core.access import system
    from corespond.field.models import Encounter

    system(Encounter.objects.filter(pk=forced.pk), reason="test", action="change").update(
        use_of_force=True
    )
    client = Client()
    client.force_login(sam)
    page = client.get(reverse("field:critical")).content.decode()
    assert f'data-encounter="{forced.pk}"' in page and f'data-encounter="{calm.pk}"' not in page
    assert "Use of force." in page

    response = client.post(reverse("field:critical_review", args=[forced.pk]), {"note": "ok"})
    assert "Write what the review found" in client.get(response["Location"]).content.decode()
    client.post(
        reverse("field:critical_review", args=[forced.pk]),
        {"note": "Body-worn video reviewed; within policy."},
    )
    assert (
        f'data-encounter="{forced.pk}"'
        not in client.get(reverse("field:critical")).content.decode()
    )
    reviewed = client.get(reverse("field:critical") + "?show=reviewed").content.decode()
    assert "within policy" in reviewed

    with pytest.raises(ValidationError, match="Only critical incidents"):
        services.critical_review(actor=sam, encounter_id=calm.pk, note="Nothing to see here.")


def test_only_supervisors_review(world) -> None:
    encounter = finish_encounter(world)
    with pytest.raises(PermissionDenied):
        services.critical_review(actor=world.oscar, encounter_id=encounter.pk, note="x" * 20)
    client = Client()
    client.force_login(world.oscar)
    assert client.get(reverse("field:critical")).status_code == 403
