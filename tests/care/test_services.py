"""Follow-up attempts and the referral loop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from corespond.care import services
from corespond.care.models import FollowUp, Referral, ReferralStatusChange, Resource
from corespond.core.access import system
from tests.journey import finish_encounter


@pytest.fixture
def followup(world) -> FollowUp:
    finish_encounter(world, given_name="Riley", disposition="crisis_facility")
    return system(FollowUp.objects.all(), reason="test").get()


def test_reached_attempt_with_an_outcome_closes_the_follow_up(world, followup) -> None:
    done = services.followup_attempt_record(
        actor=world.kim,
        followup_id=followup.pk,
        method="phone",
        reached=True,
        outcome="contacted_connected",
    )
    assert done.outcome == "contacted_connected" and done.closed_at is not None
    with pytest.raises(ValidationError, match="already closed"):
        services.followup_attempt_record(
            actor=world.kim, followup_id=followup.pk, method="phone", reached=False
        )


def test_person_not_reached_after_the_protocols_attempts_is_marked_not_reached(
    world, followup
) -> None:
    for _ in range(2):
        still = services.followup_attempt_record(
            actor=world.kim, followup_id=followup.pk, method="phone", reached=False
        )
        assert still.outcome == "pending"
    last = services.followup_attempt_record(
        actor=world.kim, followup_id=followup.pk, method="visit", reached=False
    )
    assert last.outcome == "not_reached"


def test_connected_outcome_needs_a_successful_attempt(world, followup) -> None:
    with pytest.raises(ValidationError, match="needs a successful attempt"):
        services.followup_attempt_record(
            actor=world.kim,
            followup_id=followup.pk,
            method="text",
            reached=False,
            outcome="contacted_connected",
        )


def test_officer_cannot_work_the_follow_up_queue(world, followup) -> None:
    with pytest.raises(PermissionDenied):
        services.followup_attempt_record(
            actor=world.oscar, followup_id=followup.pk, method="phone", reached=False
        )


def test_referral_keeps_who_changed_its_status_and_when(world, followup) -> None:
    resource = Resource.objects.create(
        program=world.program,
        organization="Harbor",
        name="Respite",
        category="crisis_stabilization",
    )
    referral = services.referral_create(
        actor=world.kim, person_id=followup.person_id, resource_id=resource.pk
    )
    services.referral_status_set(actor=world.kim, referral_id=referral.pk, status="accepted")
    services.referral_status_set(actor=world.kim, referral_id=referral.pk, status="completed")
    history = system(ReferralStatusChange.objects.all(), reason="t").filter(referral=referral)
    assert [(h.status, h.by) for h in history] == [
        ("requested", world.kim),
        ("accepted", world.kim),
        ("completed", world.kim),
    ]
    assert system(Referral.objects.all(), reason="t").get().status == "completed"
    with pytest.raises(ValidationError):
        services.referral_status_set(actor=world.kim, referral_id=referral.pk, status="completed")
    with pytest.raises(ValidationError):
        services.referral_status_set(actor=world.kim, referral_id=referral.pk, status="lost")


def test_resource_from_another_program_is_refused(world, followup) -> None:
    other = Resource.objects.create(
        program=world.elsewhere, organization="Far", name="Far Shelter", category="shelter"
    )
    with pytest.raises(ValidationError):
        services.referral_create(
            actor=world.kim, person_id=followup.person_id, resource_id=other.pk
        )


def test_a_successful_attempt_cannot_end_as_not_reached(world, followup) -> None:
    with pytest.raises(ValidationError, match="cannot end as 'not reached'"):
        services.followup_attempt_record(
            actor=world.kim,
            followup_id=followup.pk,
            method="phone",
            reached=True,
            outcome="not_reached",
        )


def test_a_closed_referral_is_not_reopened_but_may_be_marked_in_error(world, followup) -> None:
    resource = Resource.objects.create(
        program=world.program, organization="Harbor", name="Detox", category="detox"
    )
    referral = services.referral_create(
        actor=world.kim, person_id=followup.person_id, resource_id=resource.pk
    )
    services.referral_status_set(actor=world.kim, referral_id=referral.pk, status="rejected")
    with pytest.raises(ValidationError, match="loop is closed"):
        services.referral_status_set(actor=world.kim, referral_id=referral.pk, status="accepted")
    fixed = services.referral_status_set(
        actor=world.kim, referral_id=referral.pk, status="entered-in-error"
    )
    assert fixed.status == "entered-in-error"


def test_case_manager_of_another_program_cannot_touch_the_follow_up(world, followup) -> None:
    from tests.factories import UserFactory

    far_cm = UserFactory(username="fay", roles=[(world.far_county, "case_manager")])
    with pytest.raises(FollowUp.DoesNotExist):
        services.followup_attempt_record(
            actor=far_cm, followup_id=followup.pk, method="phone", reached=False
        )


def test_an_attempt_before_the_follow_up_existed_is_refused(world, followup) -> None:
    with pytest.raises(ValidationError, match="before the follow-up was created"):
        services.followup_attempt_record(
            actor=world.kim,
            followup_id=followup.pk,
            method="phone",
            reached=False,
            at=followup.created_at - timedelta(hours=1),
        )


def test_referrals_still_open_after_the_programs_window_surface_as_overdue(world, followup) -> None:
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from corespond.care import selectors

    resource = Resource.objects.create(
        program=world.program, organization="Harbor", name="Respite", category="crisis"
    )
    made = [
        services.referral_create(
            actor=world.kim, person_id=followup.person_id, resource_id=resource.pk
        )
        for _ in range(3)
    ]
    services.referral_status_set(actor=world.kim, referral_id=made[2].pk, status="completed")
    now = timezone.now()
    assert selectors.overdue_referral_count(user=world.kim, now=now) == 0
    later = now + timedelta(days=world.program.referral_closing_days, minutes=1)
    overdue = selectors.referral_list(user=world.kim, show="overdue", now=later)
    # The completed one closed its loop; the two open ones are overdue.
    assert sorted(r.pk for r in overdue) == [made[0].pk, made[1].pk]
    # The queue says so once they are (the window shrunk to zero days makes "now" late).
    world.program.referral_closing_days = 0
    world.program.save()
    client = Client()
    client.force_login(world.kim)
    queue = client.get(reverse("care:followups")).content.decode()
    assert "2 referrals overdue" in queue
    page = client.get(reverse("care:referrals"), {"show": "overdue"}).content.decode()
    assert page.count("data-referral=") == 2 and "Requested" in page
    # A police officer has no care queue at all.
    client.force_login(world.oscar)
    assert client.get(reverse("care:referrals")).status_code == 403


def test_which_dispositions_bring_a_follow_up_is_the_programs_choice(world) -> None:
    from django.core.exceptions import ValidationError as DjangoValidationError

    # The default: arrest brings none.
    finish_encounter(world, given_name="Ari", disposition="arrest")
    assert not system(FollowUp.objects.all(), reason="t").exists()
    world.program.followup_dispositions = ["arrest", "citation"]
    world.program.full_clean()
    world.program.save()
    finish_encounter(world, given_name="Bea", disposition="arrest")
    finish_encounter(world, given_name="Cy", disposition="remained_in_community")
    followups = system(FollowUp.objects.select_related("person"), reason="t")
    assert [f.person.given_name for f in followups if f.person] == ["Bea"]
    world.program.followup_dispositions = ["jail"]
    with pytest.raises(DjangoValidationError, match="disposition codes"):
        world.program.full_clean()
