"""Two team members editing one encounter: different fields both stick; the same field
changed differently is refused with what the other saved, never overwritten silently."""

from __future__ import annotations

import html
import re

from django.test import Client
from django.urls import reverse

from corespond.core.access import system
from corespond.dispatch.services import unit_assign
from corespond.field.models import Encounter
from tests.journey import encounter_of, make_call

BASE = {
    "contact_outcome": "unknown",
    "disposition": "unknown",
    "disposition_text": "",
    "transported_by": "none",
}


def _open(client: Client, url: str) -> str:
    page = client.get(url).content.decode()
    found = re.search(r'name="original" value="([^"]*)"', page)
    assert found, "the form carries the values it showed"
    return html.unescape(found.group(1))


def _setup(world) -> tuple[str, Client, Client]:
    call = make_call(world)
    encounter = encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))
    url = reverse("field:encounter", args=[encounter.pk])
    clara, oscar = Client(), Client()
    clara.force_login(world.clara)
    oscar.force_login(world.oscar)
    return url, clara, oscar


def _stored(url: str) -> Encounter:
    pk = int(url.rstrip("/").rsplit("/", 1)[1])
    return system(Encounter.objects.all(), reason="test").get(pk=pk)


def test_different_fields_edited_at_once_are_both_kept(world) -> None:
    url, clara, oscar = _setup(world)
    clara_original, oscar_original = _open(clara, url), _open(oscar, url)
    response = oscar.post(url, {**BASE, "original": oscar_original, "contact_outcome": "engaged"})
    assert response.status_code == 302
    response = clara.post(
        url, {**BASE, "original": clara_original, "disposition": "remained_in_community"}
    )
    assert response.status_code == 302
    stored = _stored(url)
    assert (stored.contact_outcome, stored.disposition) == ("engaged", "remained_in_community")


def test_the_same_field_changed_differently_is_refused_and_shows_the_other_value(world) -> None:
    url, clara, oscar = _setup(world)
    clara_original, oscar_original = _open(clara, url), _open(oscar, url)
    oscar.post(url, {**BASE, "original": oscar_original, "disposition": "arrest"})
    response = clara.post(
        url, {**BASE, "original": clara_original, "disposition": "remained_in_community"}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "while you were editing" in page and "Saved meanwhile by" in page
    assert _stored(url).disposition == "arrest"
    # Her choice is still in the form; saving again (now knowing) replaces it deliberately.
    baseline = re.search(r'name="original" value="([^"]*)"', page)
    assert baseline is not None
    again = html.unescape(baseline.group(1))
    response = clara.post(url, {**BASE, "original": again, "disposition": "remained_in_community"})
    assert response.status_code == 302
    assert _stored(url).disposition == "remained_in_community"


def test_the_same_change_by_both_is_no_conflict(world) -> None:
    url, clara, oscar = _setup(world)
    clara_original, oscar_original = _open(clara, url), _open(oscar, url)
    oscar.post(url, {**BASE, "original": oscar_original, "contact_outcome": "engaged"})
    response = clara.post(url, {**BASE, "original": clara_original, "contact_outcome": "engaged"})
    assert response.status_code == 302


def test_drafts_are_per_user_checked_and_cleared_by_saving(world) -> None:
    import json

    url, clara, oscar = _setup(world)
    draft_url = url + "draft/"
    ok = clara.post(
        draft_url,
        json.dumps({"values": {"disposition_text": "half typed", "colour": "red"}}),
        content_type="application/json",
    )
    assert ok.status_code == 200
    bad = clara.post(
        draft_url, json.dumps({"values": {"disposition_text": 5}}), content_type="application/json"
    )
    assert bad.status_code == 400 and "as text" in bad.json()["error"]
    assert clara.post(draft_url, "nonsense", content_type="application/json").status_code == 400
    # Her draft comes back to her only; the partner sees the saved record.
    assert "half typed" in clara.get(url).content.decode()
    assert "half typed" not in oscar.get(url).content.decode()
    original = _open(clara, url)
    clara.post(url, {**BASE, "original": original, "disposition_text": "done"})
    assert "unsaved changes" not in clara.get(url).content.decode()
