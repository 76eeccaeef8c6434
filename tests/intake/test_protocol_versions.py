"""Protocol versions: drafts, activation only when every example passes, one active version."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from corespond.intake import protocol
from corespond.intake.models import ProtocolVersion
from corespond.intake.protocols_store import (
    active_protocol,
    protocol_activate,
    protocol_draft_create,
)
from tests.journey import make_call


def star_source(version: str = "2026.2", broken: bool = False) -> str:
    source = (protocol.TEMPLATES_DIR / "star.toml").read_text()
    source = source.replace('version = "2026.1"', f'version = "{version}"')
    if broken:
        # A draft whose own example no longer holds: welfare checks would go to police.
        source = source.replace(
            'call_type = ["WELFARE", "INTOX", "SUICTHRT", "EDP", "MNTL"]',
            'call_type = ["INTOX", "SUICTHRT", "EDP", "MNTL"]',
        )
    return source


def test_a_draft_is_not_used_until_activated(world) -> None:
    draft = protocol_draft_create(program=world.program, source=star_source())
    assert draft.status == "draft"
    assert make_call(world).triage.protocol_version == "mixed@2026.1"
    protocol_activate(actor=world.manny, version_id=draft.pk)
    assert make_call(world, call_type="WELFARE").triage.protocol_version == "star@2026.2"
    statuses = dict(ProtocolVersion.objects.values_list("slug", "status"))
    assert statuses == {"mixed": "retired", "star": "active"}


def test_activation_is_refused_while_an_example_fails_and_says_which(world) -> None:
    draft = protocol_draft_create(program=world.program, source=star_source(broken=True))
    with pytest.raises(ValidationError) as err:
        protocol_activate(actor=world.manny, version_id=draft.pk)
    message = " ".join(err.value.messages)
    assert "2 of 6 examples fail" in message
    assert "response_type: expected 'clinician_medic', got 'police_only'" in message
    version, _ = active_protocol(world.program)
    assert version.slug == "mixed"


def test_a_draft_that_does_not_parse_is_not_stored(world) -> None:
    with pytest.raises(ValidationError, match="unknown key"):
        protocol_draft_create(
            program=world.program, source=star_source().replace("explain = ", "note = ", 1)
        )
    assert ProtocolVersion.objects.filter(status="draft").count() == 0


def test_only_program_managers_supervisors_or_admins_activate(world) -> None:
    draft = protocol_draft_create(program=world.program, source=star_source())
    with pytest.raises(PermissionDenied):
        protocol_activate(actor=world.alice, version_id=draft.pk)
    with pytest.raises(PermissionDenied):
        protocol_activate(actor=world.olga, version_id=draft.pk)


def test_an_active_version_cannot_be_activated_again(world) -> None:
    version, _ = active_protocol(world.program)
    with pytest.raises(ValidationError, match="Only a draft"):
        protocol_activate(actor=world.manny, version_id=version.pk)


def test_no_active_protocol_means_no_intake_and_nothing_written(world) -> None:
    from corespond.core.access import system
    from corespond.intake.models import Call

    ProtocolVersion.objects.filter(program=world.program).update(status="retired")
    with pytest.raises(ValidationError, match="no active dispatch protocol"):
        make_call(world)
    assert system(Call.objects.all(), reason="t").count() == 0


def test_the_call_form_shows_the_missing_protocol_clearly(world) -> None:
    ProtocolVersion.objects.filter(program=world.program).update(status="retired")
    client = Client()
    client.force_login(world.alice)
    response = client.post(
        reverse("intake:call_new"),
        {
            "program": world.program.pk,
            "agency": world.riverton.pk,
            "received_at": "2026-11-27T10:00",
            "call_type": "EDP",
            "source": "911",
            "address": "1 Elm St",
        },
    )
    assert response.status_code == 400
    assert b"no active dispatch protocol" in response.content


def test_the_admin_activates_with_the_examples_checked(world) -> None:
    from corespond.core.models import User

    good = protocol_draft_create(program=world.program, source=star_source("2026.3"))
    bad = protocol_draft_create(program=world.program, source=star_source("2026.4", broken=True))
    root = User.objects.create_superuser("root", "r@example.org", "x" * 16)
    client = Client()
    client.force_login(root)
    url = reverse("admin:intake_protocolversion_changelist")
    page = client.post(
        url, {"action": "activate", "_selected_action": [bad.pk]}, follow=True
    ).content.decode()
    assert "examples fail" in page
    page = client.post(
        url, {"action": "activate", "_selected_action": [good.pk]}, follow=True
    ).content.decode()
    assert "Protocol star@2026.3 is now active." in page
    assert active_protocol(world.program)[0] == good


def test_the_protocol_page_shows_the_active_rules_in_order(world) -> None:
    client = Client()
    client.force_login(world.alice)
    page = client.get(reverse("intake:protocol")).content.decode()
    assert "Version <code>mixed@2026.1</code>" in page
    assert "Service hours: 07:00 to 23:00" in page
    assert page.index("medical-first") < page.index("behavioral-health")
    ProtocolVersion.objects.filter(program=world.program).update(status="retired")
    page = client.get(reverse("intake:protocol")).content.decode()
    assert "no active dispatch protocol" in page
    evaluator = Client()
    evaluator.force_login(world.eve)
    assert evaluator.get(reverse("intake:protocol")).status_code == 403
