"""On scene: interventions, notes (clinical and Part 2), find-or-link and the safety briefing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corespond.care.models import Referral, Resource
from corespond.core.access import system
from corespond.core.vocab import AgencyKind, Role
from corespond.dispatch.services import unit_assign
from corespond.field import selectors, services
from corespond.field.models import ClinicalNote, EncounterPerson, Intervention, Part2Note
from corespond.people import selectors as people_selectors
from corespond.people import services as people_services
from corespond.sharing.models import Consent
from corespond.sharing.policy import REDISCLOSURE_NOTICE
from corespond.sharing.services import agreement_install_defaults
from tests.factories import AgencyFactory, UserFactory
from tests.journey import encounter_of, make_call


@pytest.fixture
def encounter(world):
    call = make_call(world)
    return encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))


@pytest.fixture
def robin(world, encounter):
    return services.encounter_person_add(
        actor=world.oscar, encounter_id=encounter.pk, given_name="Robin", family_name="Ash"
    )


def _kinds(encounter) -> set[str]:
    return set(
        system(Intervention.objects.filter(encounter=encounter), reason="t").values_list(
            "kind", flat=True
        )
    )


def test_an_intervention_is_one_tap_and_taking_it_back_is_another(world, encounter) -> None:
    for _ in range(2):  # a double tap records it once
        services.intervention_set(
            actor=world.oscar, encounter_id=encounter.pk, kind="de_escalation", given=True
        )
    services.intervention_set(
        actor=world.clara, encounter_id=encounter.pk, kind="safety_planning", given=True
    )
    assert _kinds(encounter) == {"de_escalation", "safety_planning"}
    assert selectors.interventions_for(user=world.oscar, encounter_id=encounter.pk) == {
        "de_escalation",
        "safety_planning",
    }
    services.intervention_set(
        actor=world.oscar, encounter_id=encounter.pk, kind="de_escalation", given=False
    )
    assert _kinds(encounter) == {"safety_planning"}
    with pytest.raises(ValidationError, match="Unknown intervention"):
        services.intervention_set(
            actor=world.oscar, encounter_id=encounter.pk, kind="lunch", given=True
        )
    with pytest.raises(PermissionDenied):
        services.intervention_set(
            actor=world.alice, encounter_id=encounter.pk, kind="transport", given=True
        )


def test_a_clinical_note_belongs_to_the_clinicians_agency_and_police_never_see_it(
    world, encounter, robin
) -> None:
    note = services.note_add(
        actor=world.clara,
        encounter_id=encounter.pk,
        text=" Calm, safety plan made. ",
        person_id=robin.pk,
    )
    assert isinstance(note, ClinicalNote)
    assert note.author_agency_id == world.harbor.pk and note.text == "Calm, safety plan made."
    # The case manager of the same provider reads it; the officer on the same call does not.
    seen = selectors.notes_for(user=world.kim, encounter_id=encounter.pk)
    assert [s.note.pk for s in seen] == [note.pk] and not seen[0].disclosed
    assert selectors.notes_for(user=world.oscar, encounter_id=encounter.pk) == []
    with pytest.raises(ValidationError, match="does not write clinical note"):
        services.note_add(actor=world.oscar, encounter_id=encounter.pk, text="Seemed fine")
    # An addendum names the note it corrects; the note itself is never changed.
    addendum = services.note_add(
        actor=world.clara, encounter_id=encounter.pk, text="Correction: plan v2.", amends_id=note.pk
    )
    assert addendum.amends_id == note.pk


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "Write the note first"), ("x" * 8001, "under 8,000 characters")],
)
def test_a_bad_note_is_refused_and_nothing_written(world, encounter, text, message) -> None:
    with pytest.raises(ValidationError, match=message):
        services.note_add(actor=world.clara, encounter_id=encounter.pk, text=text)
    assert not system(ClinicalNote.objects.all(), reason="t").exists()


def test_a_note_about_someone_not_in_the_encounter_is_refused(world, encounter, robin) -> None:
    other = make_call(world, address="1 Elm St")
    other_enc = encounter_of(
        unit_assign(actor=world.alice, call_id=other.pk, team_id=world.medic_team.pk)
    )
    with pytest.raises(ValidationError, match="not recorded in this encounter"):
        services.note_add(
            actor=world.clara, encounter_id=other_enc.pk, text="About Robin", person_id=robin.pk
        )


def test_part2_notes_reach_a_partner_only_with_consent_and_carry_the_notice(
    world, encounter, robin
) -> None:
    note = services.note_add(
        actor=world.clara,
        encounter_id=encounter.pk,
        text="Attends the opioid treatment programme.",
        person_id=robin.pk,
        part2=True,
    )
    assert isinstance(note, Part2Note)
    bayview = AgencyFactory(slug="bayview-bh", name="Bayview BH", kind=AgencyKind.BEHAVIORAL_HEALTH)
    world.program.agencies.add(bayview)
    agreement_install_defaults(program=world.program)
    reader = UserFactory(username="bea", roles=[(bayview, Role.CLINICIAN)])
    # The agreement alone is not enough for Part 2 records.
    assert selectors.notes_for(user=reader, encounter_id=encounter.pk) == []
    Consent.objects.create(
        person=robin,
        recipient=bayview,
        purpose="continuity of care",
        given_at=timezone.now() - timedelta(days=1),
    )
    shown = selectors.notes_for(user=reader, encounter_id=encounter.pk)
    assert [(s.note.pk, s.part2, s.disclosed) for s in shown] == [(note.pk, True, True)]
    client = Client()
    client.force_login(reader)
    page = client.get(reverse("field:encounter", args=[encounter.pk])).content.decode()
    assert "opioid treatment programme" in page and REDISCLOSURE_NOTICE in page
    # The agency that wrote it reads its own record: no disclosure, no notice.
    client.force_login(world.clara)
    page = client.get(reverse("field:encounter", args=[encounter.pk])).content.decode()
    assert "opioid treatment programme" in page and REDISCLOSURE_NOTICE not in page
    # A police officer on the same call never sees it, consent or not.
    client.force_login(world.oscar)
    page = client.get(reverse("field:encounter", args=[encounter.pk])).content.decode()
    assert "opioid" not in page


def test_find_then_link_a_known_person_instead_of_recording_them_twice(
    world, encounter, robin
) -> None:
    call = make_call(world, address="3 Birch Rd")
    second = encounter_of(
        unit_assign(actor=world.alice, call_id=call.pk, team_id=world.medic_team.pk)
    )
    found = people_selectors.person_search(
        user=world.oscar, program_id=world.program.pk, query="robin  ASH"
    )
    assert [p.pk for p in found] == [robin.pk]
    assert (
        people_selectors.person_search(
            user=world.oscar, program_id=world.program.pk, query="Robin Oak"
        )
        == []
    )
    # Someone outside the program finds no one.
    assert (
        people_selectors.person_search(user=world.olga, program_id=world.program.pk, query="Robin")
        == []
    )
    services.encounter_person_link(actor=world.oscar, encounter_id=second.pk, person_id=robin.pk)
    with pytest.raises(ValidationError, match="already recorded"):
        services.encounter_person_link(
            actor=world.oscar, encounter_id=second.pk, person_id=robin.pk
        )
    links = system(EncounterPerson.objects.filter(person=robin), reason="t")
    assert sorted(links.values_list("encounter_id", flat=True)) == [encounter.pk, second.pk]


def test_the_page_offers_the_match_and_links_it(world, encounter, robin) -> None:
    call = make_call(world, address="3 Birch Rd")
    second = encounter_of(
        unit_assign(actor=world.alice, call_id=call.pk, team_id=world.medic_team.pk)
    )
    client = Client()
    client.force_login(world.oscar)
    url = reverse("field:encounter", args=[second.pk])
    page = client.get(url, {"find-name": "ash"}).content.decode()
    assert "Link Robin Ash" in page
    assert "No one known" in client.get(url, {"find-name": "zzz"}).content.decode()
    assert "Type a name" in client.get(url, {"find-name": ""}).content.decode()
    client.post(reverse("field:person_link", args=[second.pk]), {"person": robin.pk})
    page = client.get(url).content.decode()
    assert "1 earlier contact" in page  # the briefing now follows Robin here


def test_the_briefing_shows_flags_contacts_and_the_plan_only_as_shared(
    world, encounter, robin
) -> None:
    people_services.safety_flag_add(
        actor=world.oscar, person_id=robin.pk, kind="animal", note="Large dog in the yard"
    )
    people_services.safety_plan_save(
        actor=world.clara, person_id=robin.pk, warning_signs="Stops eating", people_to_ask="Aunt"
    )
    call = make_call(world, address="3 Birch Rd")
    second = encounter_of(
        unit_assign(actor=world.alice, call_id=call.pk, team_id=world.medic_team.pk)
    )
    services.encounter_person_link(actor=world.oscar, encounter_id=second.pk, person_id=robin.pk)

    (for_oscar,) = people_selectors.safety_briefing(
        user=world.oscar, person_ids=[robin.pk], exclude_encounter=second.pk
    )
    assert [f.note for f in for_oscar.flags] == ["Large dog in the yard"]
    assert for_oscar.prior_contacts == 1
    # Riverton's police hold no agreement for Harbor's safety plans.
    assert for_oscar.plan_shared is False and for_oscar.plan_version is None
    (for_clara,) = people_selectors.safety_briefing(
        user=world.clara, person_ids=[robin.pk], exclude_encounter=second.pk
    )
    assert for_clara.plan_version == 1
    # A retired flag leaves the briefing but stays on record.
    flag = for_oscar.flags[0]
    people_services.safety_flag_retire(actor=world.oscar, flag_id=flag.pk)
    (after,) = people_selectors.safety_briefing(user=world.oscar, person_ids=[robin.pk])
    assert after.flags == []
    with pytest.raises(ValidationError, match="Say what responders need to know"):
        people_services.safety_flag_add(actor=world.oscar, person_id=robin.pk, kind="other")


def test_a_referral_is_made_from_the_encounter_page(world, encounter, robin) -> None:
    resource = Resource.objects.create(
        program=world.program, organization="Harbor", name="Crisis respite", category="crisis"
    )
    client = Client()
    client.force_login(world.clara)
    url = reverse("field:referral", args=[encounter.pk])
    client.post(url, {"referral-person": robin.pk, "referral-resource": resource.pk})
    referral = system(Referral.objects.all(), reason="t").get()
    assert (referral.person_id, referral.encounter_id) == (robin.pk, encounter.pk)
    # A resource of another program is not offered and is refused.
    elsewhere = Resource.objects.create(
        program=world.elsewhere, organization="X", name="Far away", category="crisis"
    )
    response = client.post(
        url, {"referral-person": robin.pk, "referral-resource": elsewhere.pk}, follow=True
    )
    assert "Referral not made" in response.content.decode()
    assert system(Referral.objects.all(), reason="t").count() == 1
