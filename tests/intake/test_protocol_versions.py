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


def _replay(*args: str, lines: list[dict]) -> tuple[list[dict], str]:
    import json
    from io import StringIO

    from django.core.management import call_command

    from corespond.intake.management.commands.triage import Command

    out, err = StringIO(), StringIO()
    command = Command(stdout=out, stderr=err)
    command.stdin = StringIO("\n".join(json.dumps(line) for line in lines) + "\n")
    call_command(command, *args)
    return [json.loads(row) for row in out.getvalue().splitlines()], err.getvalue()


def test_triage_replays_a_programs_active_protocol_or_a_stored_draft(world) -> None:
    from corespond.core.access import system
    from corespond.intake.models import Call

    calls_before = system(Call.objects.all(), reason="test").count()
    rows, err = _replay("--program", "riverside", lines=[{"id": 1, "call_type": "WELFARE"}])
    assert rows[0]["protocol_version"] == "mixed@2026.1" and rows[0]["id"] == 1
    assert err == ""

    protocol_draft_create(program=world.program, source=star_source())
    rows, err = _replay(
        "--program",
        "riverside",
        "--protocol-version",
        "star@2026.2",
        lines=[{"call_type": "WELFARE", "time": "10:00"}],
    )
    assert rows[0]["protocol_version"] == "star@2026.2"
    assert rows[0]["response_type"] == "clinician_medic"
    assert "which is Draft" in err
    # A replay decides; it never records calls.
    assert system(Call.objects.all(), reason="test").count() == calls_before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--program", "nowhere"], "No program 'nowhere'. Programs: .*riverside"),
        (
            ["--program", "riverside", "--protocol-version", "star@9"],
            "no protocol version 'star@9'",
        ),
        (
            ["--protocol", "star", "--protocol-version", "star@9"],
            "--protocol-version goes with --program",
        ),
    ],
)
def test_triage_explains_a_program_or_version_it_cannot_find(world, args, message) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        _replay(*args, lines=[])


def _manager(world) -> Client:
    client = Client()
    client.force_login(world.manny)
    return client


def test_a_program_manager_writes_tests_and_activates_a_draft_in_the_app(world) -> None:
    client = _manager(world)
    page = client.get(reverse("intake:protocol")).content.decode()
    assert "New draft" in page and "mixed@2026.1" in page
    new_url = reverse("intake:protocol_draft_new", args=[world.program.pk])
    # The form starts from the active text; saving it unchanged collides with its version.
    form = client.get(new_url).content.decode()
    assert "slug = &quot;mixed&quot;" in form
    active_source = active_protocol(world.program)[0].source
    response = client.post(new_url, {"source": active_source})
    assert response.status_code == 400
    assert "already has mixed@2026.1" in response.content.decode()

    response = client.post(new_url, {"source": star_source(broken=True)})
    draft = ProtocolVersion.objects.get(slug="star", version="2026.2")
    assert response["Location"] == reverse("intake:protocol_version", args=[draft.pk])
    page = client.get(response["Location"]).content.decode()
    assert "2 of 6 fail" in page and "Changes from mixed@2026.1" in page
    # The server refuses too, whatever the page's disabled button says.
    refused = client.post(response["Location"], {"action": "activate"}, follow=True)
    assert "Activation refused: 2 of 6 examples fail" in refused.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"

    client.post(response["Location"], {"action": "save", "source": star_source()})
    page = client.get(response["Location"]).content.decode()
    assert "all 6 pass" in page
    page = client.post(response["Location"], {"action": "activate"}, follow=True).content.decode()
    assert "star@2026.2 is now the active protocol." in page
    assert active_protocol(world.program)[0].label == "star@2026.2"


def test_a_bad_draft_edit_is_refused_with_its_reason_and_keeps_the_saved_text(world) -> None:
    client = _manager(world)
    draft = protocol_draft_create(program=world.program, source=star_source(), actor=world.manny)
    url = reverse("intake:protocol_version", args=[draft.pk])
    response = client.post(url, {"action": "save", "source": "slug = \n"})
    assert response.status_code == 400
    assert "draft" in response.content.decode() and 'role="alert"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.source == star_source()


def test_active_and_retired_versions_are_read_only(world) -> None:
    client = _manager(world)
    active = active_protocol(world.program)[0]
    url = reverse("intake:protocol_version", args=[active.pk])
    page = client.get(url).content.decode()
    assert "cannot change" in page and "Save draft" not in page
    client.post(url, {"action": "save", "source": star_source()})
    active.refresh_from_db()
    assert active.slug == "mixed"
    with pytest.raises(ValidationError, match="Only a draft can be edited"):
        from corespond.intake.protocols_store import protocol_draft_update

        protocol_draft_update(actor=world.manny, version_id=active.pk, source=star_source())


def test_a_draft_can_be_discarded(world) -> None:
    client = _manager(world)
    draft = protocol_draft_create(program=world.program, source=star_source())
    url = reverse("intake:protocol_version", args=[draft.pk])
    client.post(url, {"action": "discard"})
    assert not ProtocolVersion.objects.filter(pk=draft.pk).exists()


def test_only_protocol_roles_of_the_program_reach_the_editor(world) -> None:
    draft = protocol_draft_create(program=world.program, source=star_source())
    for persona in (world.alice, world.clara, world.olga):
        client = Client()
        client.force_login(persona)
        assert client.get(reverse("intake:protocol_version", args=[draft.pk])).status_code == 404
        new_url = reverse("intake:protocol_draft_new", args=[world.program.pk])
        assert client.post(new_url, {"source": star_source("2026.9")}).status_code == 404
    dispatcher = Client()
    dispatcher.force_login(world.alice)
    assert "New draft" not in dispatcher.get(reverse("intake:protocol")).content.decode()
    with pytest.raises(PermissionDenied):
        protocol_draft_create(
            program=world.program, source=star_source("2026.9"), actor=world.alice
        )
