"""Part 2 consents recorded and revoked in the app, and what they open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corespond.core.models import AuditEvent
from corespond.core.vocab import AgencyKind, Role
from corespond.dispatch.services import unit_assign
from corespond.field import selectors as field_selectors
from corespond.field import services as field
from corespond.people.models import Person
from corespond.sharing import services
from corespond.sharing.models import Consent
from corespond.sharing.services import agreement_install_defaults
from tests.factories import AgencyFactory, UserFactory
from tests.journey import encounter_of, make_call


@pytest.fixture
def scene(world):
    encounter = encounter_of(
        unit_assign(actor=world.alice, call_id=make_call(world).pk, team_id=world.team.pk)
    )
    person = field.encounter_person_add(
        actor=world.oscar, encounter_id=encounter.pk, given_name="Sam"
    )
    note = field.note_add(
        actor=world.clara,
        encounter_id=encounter.pk,
        text="Enrolled in the methadone clinic.",
        person_id=person.pk,
        part2=True,
    )
    bayview = AgencyFactory(slug="bayview-bh", name="Bayview BH", kind=AgencyKind.BEHAVIORAL_HEALTH)
    world.program.agencies.add(bayview)
    agreement_install_defaults(program=world.program)
    reader = UserFactory(username="bea", roles=[(bayview, Role.CLINICIAN)])
    return {
        "encounter": encounter,
        "person": person,
        "note": note,
        "bayview": bayview,
        "bea": reader,
    }


def _bea_sees_the_note(scene) -> bool:
    shown = field_selectors.notes_for(user=scene["bea"], encounter_id=scene["encounter"].pk)
    return [s.note.pk for s in shown] == [scene["note"].pk]


def test_a_consent_recorded_in_the_app_opens_part2_records_until_revoked(world, scene) -> None:
    client = Client()
    client.force_login(world.clara)
    url = reverse("people:consents", args=[scene["person"].pk])
    assert "No consents recorded" in client.get(url).content.decode()
    response = client.post(url, {"recipient": scene["bayview"].pk, "purpose": "continuity of care"})
    assert response.status_code == 302
    assert _bea_sees_the_note(scene)
    page = client.get(url).content.decode()
    assert "Bayview BH" in page and "in force" in page
    consent = Consent.objects.get()
    assert consent.recorded_by == world.clara
    client.post(reverse("people:consent_revoke", args=[scene["person"].pk, consent.pk]))
    assert not _bea_sees_the_note(scene)
    assert "revoked" in client.get(url).content.decode()
    actions = list(
        AuditEvent.objects.filter(model="sharing.Consent").values_list("action", flat=True)
    )
    assert "create" in actions and "change" in actions


def test_police_and_program_managers_neither_see_nor_record_consents(world, scene) -> None:
    client = Client()
    for user in (world.oscar, world.manny, world.olga):
        client.force_login(user)
        url = reverse("people:consents", args=[scene["person"].pk])
        assert client.get(url).status_code in (403, 404)
        client.post(url, {"recipient": scene["bayview"].pk, "purpose": "x" * 10})
        with pytest.raises((PermissionDenied, Person.DoesNotExist)):
            services.consent_record(
                actor=user,
                person_id=scene["person"].pk,
                recipient_id=scene["bayview"].pk,
                purpose="continuity",
            )
    assert not Consent.objects.exists()
    # Even the person page does not say consents exist to those who may not manage them.
    client.force_login(world.oscar)
    page = client.get(reverse("people:person", args=[scene["person"].pk])).content.decode()
    assert "Consents to share" not in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"purpose": " "}, "Say what the records will be used for"),
        ({"expires_at": -1}, "expiry must be after now"),
        ({"recipient": "far"}, "agency of the person's program"),
    ],
)
def test_a_bad_consent_is_refused_with_the_field_named(world, scene, change, message) -> None:
    values = {
        "person_id": scene["person"].pk,
        "recipient_id": scene["bayview"].pk,
        "purpose": "continuity of care",
    }
    if "purpose" in change:
        values["purpose"] = change["purpose"]
    if "expires_at" in change:
        values["expires_at"] = timezone.now() - timedelta(days=1)
    if "recipient" in change:
        values["recipient_id"] = world.far_county.pk
    with pytest.raises(ValidationError, match=message):
        services.consent_record(actor=world.clara, **values)
    assert not Consent.objects.exists()


def test_an_expiring_consent_stops_disclosure_when_it_expires(world, scene) -> None:
    consent = services.consent_record(
        actor=world.clara,
        person_id=scene["person"].pk,
        recipient_id=scene["bayview"].pk,
        purpose="continuity of care",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    assert _bea_sees_the_note(scene)
    Consent.objects.filter(pk=consent.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not _bea_sees_the_note(scene)
    with pytest.raises(ValidationError, match="already revoked"):
        services.consent_revoke(actor=world.clara, consent_id=consent.pk)
        services.consent_revoke(actor=world.clara, consent_id=consent.pk)
