"""The skeleton journey in a real browser: call, triage, assign, encounter on a phone,
follow-up in the queue, and the metrics page counting it."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def test_call_to_follow_up_journey(world, page_factory, live_server) -> None:
    url = live_server.url
    # The dispatcher enters a call and sees the decision.
    alice = page_factory("alice", PASSWORD)
    nav(alice, "New call")
    alice.get_by_label("Program").select_option(label="Riverside")
    alice.get_by_label("Receiving agency").select_option(label="Riverton PD")
    alice.get_by_label("Call type (APCO)").select_option("SUICTHRT")
    alice.get_by_label("Address").fill("77 Juniper Ct")
    alice.get_by_label("Description").fill("Caller worried about her brother")
    alice.get_by_role("button", name="Save and triage").click()
    assert alice.get_by_test_id("response-type").inner_text() == "Co-response: officer + clinician"
    assert alice.get_by_test_id("eligible").inner_text() == "Yes"

    # ... and assigns the free co-response team (pre-selected as the fitting one).
    assert alice.get_by_label(re.compile("CR-1")).is_checked()
    alice.get_by_role("button", name="Assign").click()
    alice.wait_for_url(f"{url}/dispatch/")
    assert "CR-1 assigned." in alice.inner_text("main")
    assert "Dispatched" in alice.locator("[data-team='CR-1']").inner_text()

    # The officer records the encounter on a phone.
    phone = page_factory("oscar", PASSWORD, width=375, height=812)
    phone.goto(f"{url}/field/")
    assert "77 Juniper Ct" in phone.inner_text("main")
    for label in ("En route now", "Arrived now", "Engaged now"):
        phone.get_by_role("button", name=label).click()
    assert phone.get_by_role("button", name=re.compile(r"^Arrived \d\d:\d\d")).is_disabled()
    phone.get_by_label("Given name").fill("Rowan")
    phone.get_by_label("Family name").fill("Linden")
    phone.get_by_role("button", name="Add person").click()
    assert "Rowan Linden" in phone.inner_text("main")
    phone.get_by_label("Contact outcome").select_option("engaged")
    phone.get_by_label("Disposition:", exact=True).select_option("remained_in_community")
    phone.get_by_label("Service given on scene").check()
    # Nothing on the page is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_role("button", name="Complete encounter").click()
    assert "Encounter complete" in phone.inner_text("main")

    # The board shows the team free again without a reload (HTMX refresh).
    alice.locator("[data-team='CR-1']", has_text="Available").wait_for(timeout=15000)

    # The case manager finds the follow-up and records a successful call.
    kim = page_factory("kim", PASSWORD)
    nav(kim, "Follow-ups")
    kim.get_by_role("link", name="Rowan Linden").click()
    kim.get_by_label("Method").select_option("phone")
    kim.get_by_label("Reached the person").check()
    kim.get_by_label("Outcome").select_option("contacted_connected")
    kim.get_by_role("button", name="Record attempt").click()
    assert (
        kim.get_by_test_id("followup-outcome").inner_text() == "Reached and connected to a service"
    )

    # The program manager sees it counted.
    manny = page_factory("manny", PASSWORD)
    nav(manny, "Metrics")
    served = manny.locator("[data-metric='calls.eligible_served_rate']").inner_text()
    assert "100.0% (1 of 1)" in served
    connected = manny.locator("[data-metric='care.followup_connected_rate']").inner_text()
    assert "100.0% (1 of 1)" in connected


def test_bad_call_input_is_refused_in_the_browser(world, page_factory) -> None:
    alice = page_factory("alice", PASSWORD)
    nav(alice, "New call")
    alice.get_by_role("button", name="Save and triage").click()
    alerts = alice.get_by_role("alert").all_inner_texts()
    assert any("This field is required." in a for a in alerts)
    assert alice.url.endswith("/calls/new/")


def test_evaluator_is_kept_out_of_call_pages(world, page_factory, live_server) -> None:
    from tests.journey import make_call

    call = make_call(world, address="9 Quiet Lane")
    eve = page_factory("eve", PASSWORD)
    response = eve.goto(f"{live_server.url}/calls/{call.pk}/")
    assert response is not None and response.status == 403
    assert "9 Quiet Lane" not in eve.content()


def test_a_new_call_reaches_an_open_board_without_reload(world, page_factory, live_server) -> None:
    from tests.journey import make_call

    alice = page_factory("alice", PASSWORD)
    alice.goto(f"{live_server.url}/dispatch/")
    assert "No calls waiting." in alice.inner_text("#board")
    alice.locator("#live-status", has_text=re.compile(r"^Live:")).wait_for()
    call = make_call(world, address="5 Laurel Ln")  # entered elsewhere, by another dispatcher
    alice.get_by_text("5 Laurel Ln").wait_for(timeout=5000)
    assert call.reference in alice.inner_text("#board")


def test_a_dispatcher_runs_a_shift_on_the_board(world, page_factory, live_server) -> None:
    """Calls arrive while the board is open; the dispatcher assigns the recommended team,
    overrides the recommendation with a reason, and closes a call nobody can take."""
    from tests.journey import make_call

    url = live_server.url
    alice = page_factory("alice", PASSWORD)
    alice.goto(f"{url}/dispatch/")
    alice.locator("#live-status", has_text=re.compile(r"^Live:")).wait_for()
    first = make_call(world, address="1 First Ave", minutes_ago=3)
    second = make_call(world, address="2 Second Ave", minutes_ago=2)
    third = make_call(world, address="3 Third Ave", minutes_ago=1)
    for address in ("1 First Ave", "2 Second Ave", "3 Third Ave"):
        alice.get_by_text(address).wait_for(timeout=5000)

    # First call: the recommended co-response team.
    alice.get_by_role("link", name=first.reference).click()
    assert "recommended" in alice.locator("label", has_text="CR-1").inner_text()
    alice.get_by_role("button", name="Assign").click()
    assert "CR-1 assigned." in alice.inner_text("main")

    # Second call: CR-1 is busy, so nothing fits; the medic team goes without an override.
    alice.get_by_role("link", name=second.reference).click()
    assert "does not fit the decision" in alice.inner_text("main")
    alice.get_by_label(re.compile("CM-1")).check()
    alice.get_by_role("button", name="Assign").click()
    assert "CM-1 assigned." in alice.inner_text("main")

    # Third call: no team free; closing it needs a reason.
    alice.get_by_role("link", name=third.reference).click()
    assert "No team is free right now." in alice.inner_text("main")
    alice.get_by_role("button", name="Close without a team").click()
    # The browser will not send the form without a reason (and the server would refuse it).
    assert alice.get_by_label("Why no team went").evaluate("el => el.validity.valueMissing")
    assert alice.url.endswith(f"/calls/{third.pk}/")
    alice.get_by_label("Why no team went").select_option("no_team_free")
    alice.get_by_role("button", name="Close without a team").click()
    assert "the reason is recorded" in alice.inner_text("main")
    assert "No calls waiting." in alice.inner_text("#board")
    teams = alice.inner_text("#board")
    assert teams.count("Dispatched") == 2


def test_a_phone_that_shares_its_location_moves_the_team_on_the_board(
    world, page_factory, live_server
) -> None:
    from corespond.dispatch.models import Team
    from corespond.dispatch.services import unit_assign
    from tests.journey import make_call

    url = live_server.url
    call = make_call(world, address="8 Cedar Way")
    unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk)
    alice = page_factory("alice", PASSWORD)
    alice.goto(f"{url}/dispatch/")
    alice.locator("#live-status", has_text=re.compile(r"^Live:")).wait_for()

    phone = page_factory(
        "oscar",
        PASSWORD,
        width=375,
        height=812,
        geolocation={"latitude": 44.0521, "longitude": -123.0868},
        permissions=["geolocation"],
    )
    phone.goto(f"{url}/field/")
    phone.get_by_label("Share this phone's location with dispatch").check()
    phone.get_by_role("button", name="En route now").click()
    phone.get_by_role("button", name=re.compile(r"^En route \d\d:\d\d")).wait_for()
    team = Team.objects.get(pk=world.team.pk)
    assert (team.last_latitude, team.last_longitude) == (44.0521, -123.0868)
    # The choice is remembered on the phone, and the board follows without a reload.
    phone.reload()
    assert phone.get_by_label("Share this phone's location with dispatch").is_checked()
    alice.locator("[data-team='CR-1']", has_text="En route").wait_for(timeout=5000)


def test_a_dispatcher_takes_and_assigns_a_call_without_the_mouse(
    world, page_factory, live_server
) -> None:
    from tests.journey import make_call

    url = live_server.url
    alice = page_factory("alice", PASSWORD)
    alice.goto(f"{url}/dispatch/")
    alice.keyboard.press("n")
    alice.wait_for_url(f"{url}/calls/new/")
    # The form opens on the call type; program, agency, time and source are pre-filled.
    assert alice.evaluate("document.activeElement.id") == "id_call_type"
    alice.keyboard.type("SUIC")
    alice.keyboard.press("Tab")  # the CAD's own call type
    alice.keyboard.press("Tab")
    alice.keyboard.type("14 Birch Rd")
    alice.keyboard.press("Enter")
    alice.wait_for_url(re.compile(r"/calls/\d+/$"))
    assert alice.get_by_test_id("response-type").inner_text() == "Co-response: officer + clinician"
    # The recommended team is chosen and the Assign button has the focus: Enter sends it.
    assert alice.evaluate("document.activeElement.textContent") == "Assign"
    alice.keyboard.press("Enter")
    alice.wait_for_url(f"{url}/dispatch/")
    assert "CR-1 assigned." in alice.inner_text("main")

    # A waiting call opens with its number; "?" lists the page's shortcuts.
    waiting = make_call(world, address="6 Aspen Ct")
    alice.reload()
    alice.keyboard.press("1")
    alice.wait_for_url(f"{url}/calls/{waiting.pk}/")
    alice.keyboard.press("?")
    help_list = alice.locator("#keys-help")
    assert help_list.is_visible()
    assert "Close without a team" in help_list.inner_text()
    alice.keyboard.press("Escape")
    assert not help_list.is_visible()
    # Shortcuts stay out of the way while typing in a field.
    # (CR-1 is busy; the medic team is offered, so the reason field is there.)
    alice.get_by_label("Reason, if you send a team").focus()
    alice.keyboard.press("b")
    assert alice.url.endswith(f"/calls/{waiting.pk}/")


def test_an_officer_sets_up_the_second_factor_on_a_phone(world, browser, live_server, settings):
    from base64 import b32decode

    from django_otp.oath import totp

    settings.MFA_REQUIRED = True
    context = browser.new_context(viewport={"width": 375, "height": 812})
    phone = context.new_page()
    try:
        phone.goto(f"{live_server.url}/field/")
        phone.get_by_label("Username").fill("oscar")
        phone.get_by_label("Password").fill(PASSWORD)
        phone.get_by_role("button", name="Sign in").click()
        phone.wait_for_url(re.compile(r"/account/mfa/setup/"))
        assert phone.locator("figure.qr svg").is_visible()
        # What the authenticator app would do with the typed key.
        key = phone.get_by_test_id("mfa-secret").inner_text().replace(" ", "")
        key_bytes = b32decode(key + "=" * (-len(key) % 8))
        phone.get_by_label("6-digit code").fill(f"{totp(key_bytes):06d}")
        phone.get_by_role("button", name="Confirm").click()
        phone.wait_for_url(f"{live_server.url}/field/")
        assert "Second factor set up" in phone.inner_text("main")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()


def test_what_each_persona_sees_of_a_person_and_emergency_access(
    world, page_factory, live_server
) -> None:
    from corespond.care.models import Resource
    from corespond.care.services import referral_create
    from corespond.dispatch.services import unit_assign
    from corespond.field import services as field
    from tests.journey import encounter_of, make_call

    call = make_call(world)
    encounter = encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))
    person = field.encounter_person_add(
        actor=world.oscar, encounter_id=encounter.pk, given_name="Robin", family_name="Ash"
    )
    resource = Resource.objects.create(
        program=world.program, organization="Harbor", name="Crisis respite", category="crisis"
    )
    referral_create(actor=world.clara, person_id=person.pk, resource_id=resource.pk)
    url = f"{live_server.url}/people/{person.pk}/"

    # The clinician sees the referral.
    clara = page_factory("clara", PASSWORD)
    clara.goto(url)
    assert "Crisis respite" in clara.inner_text("main")

    # A partner agency's officer sees who it is and the contact, not the care.
    bob = page_factory("bob", PASSWORD)
    bob.goto(url)
    assert "Robin Ash" in bob.inner_text("h1")
    assert "Crisis respite" not in bob.inner_text("main")
    assert "Not shared with your agency" in bob.get_by_test_id("referrals-withheld").inner_text()
    # In an emergency he opens it, with a reason; the page says so.
    bob.get_by_text("Emergency access (break the glass)").click()
    bob.get_by_label("Why you need this record now").fill(
        "Person barricaded with a knife; need crisis history"
    )
    bob.get_by_role("button", name="Open in an emergency").click()
    assert "Crisis respite" in bob.inner_text("main")
    assert "barricaded" in bob.get_by_test_id("break-glass-banner").inner_text()

    # The program manager reviews the use.
    manny = page_factory("manny", PASSWORD)
    nav(manny, "Access review")
    row = manny.locator("tr", has_text="barricaded")
    assert "Bob" in row.inner_text()
    row.get_by_label("Note").fill("Confirmed with the incident report")
    row.get_by_role("button", name="Mark reviewed").click()
    assert "Reviewed by M" in manny.locator("tr", has_text="barricaded").inner_text()


def test_a_clinician_screens_with_the_c_ssrs_on_a_phone(world, page_factory, live_server):
    from corespond.dispatch.services import unit_assign
    from corespond.field import services as field
    from tests.journey import encounter_of, make_call

    call = make_call(world)
    encounter = encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))
    field.encounter_person_add(actor=world.clara, encounter_id=encounter.pk, given_name="Ira")
    phone = page_factory("clara", PASSWORD, width=375, height=812)
    phone.goto(f"{live_server.url}/field/encounters/{encounter.pk}/")
    screen = phone.locator("form[data-cssrs]")
    item = lambda name: screen.locator(f"fieldset[data-item='{name}']")  # noqa: E731
    # Only 1, 2 and 6 are asked at first; a yes to 2 brings 3 to 5.
    assert item("q3").is_hidden() and item("q6b").is_hidden()
    screen.get_by_label("Person").select_option(label="Ira")
    item("q1").get_by_label("Yes").check()
    item("q2").get_by_label("Yes").check()
    assert item("q3").is_visible() and item("q5").is_visible()
    item("q3").get_by_label("Yes").check()
    item("q4").get_by_label("Yes").check()
    item("q5").get_by_label("No").check()
    item("q6").get_by_label("No").check()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screen.get_by_role("button", name="Save screen").click()
    result = phone.get_by_test_id("cssrs-result")
    assert "risk High" in result.inner_text()
    assert "do not leave the person alone" in result.inner_text()
    # The co-responding officer's page has no screening section at all.
    officer = page_factory("oscar", PASSWORD, width=375, height=812)
    officer.goto(f"{live_server.url}/field/encounters/{encounter.pk}/")
    assert "C-SSRS" not in officer.inner_text("main")


def _wait_for_draft(page, encounter_id: int, text: str) -> None:
    """Until the server holds a draft with ``text`` (each keystroke pause sends one; a slow
    machine may send an earlier, shorter one first)."""
    from corespond.core.access import system
    from corespond.field.models import EncounterDraft

    for _ in range(50):
        drafts = system(EncounterDraft.objects.filter(encounter_id=encounter_id), reason="test")
        if any(d.values.get("disposition_text") == text for d in drafts):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"no draft with {text!r} reached the server")


def test_typing_survives_a_reload_and_a_dropped_connection(world, page_factory, live_server):
    from corespond.dispatch.services import unit_assign
    from tests.journey import encounter_of, make_call

    call = make_call(world)
    encounter = encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))
    url = f"{live_server.url}/field/encounters/{encounter.pk}/"
    phone = page_factory("clara", PASSWORD, width=375, height=812)
    phone.goto(url)
    phone.get_by_label("Disposition:", exact=True).select_option("crisis_facility")
    phone.get_by_label("Disposition details").fill("Walk-in clinic tomorrow 9:00")
    _wait_for_draft(phone, encounter.pk, "Walk-in clinic tomorrow 9:00")
    phone.locator("[data-draft-status]", has_text="Draft saved").wait_for(timeout=5000)
    phone.reload()
    assert phone.get_by_test_id("draft-restored").is_visible()
    assert phone.get_by_label("Disposition:", exact=True).input_value() == "crisis_facility"
    assert phone.get_by_label("Disposition details").input_value().startswith("Walk-in")

    # The connection drops while typing: the page says so, keeps the text, and sends it as
    # soon as the connection returns; a reload then shows it.
    phone.context.set_offline(True)
    phone.get_by_label("Disposition details").fill("Walk-in clinic, sister drives")
    phone.locator("[data-draft-status]", has_text="No connection").wait_for(timeout=5000)
    phone.context.set_offline(False)
    _wait_for_draft(phone, encounter.pk, "Walk-in clinic, sister drives")
    phone.reload()
    assert (
        phone.get_by_label("Disposition details").input_value() == "Walk-in clinic, sister drives"
    )
    # Saving the record clears the draft.
    phone.get_by_role("button", name="Save", exact=True).click()
    # Reload only once the save's redirect has landed (reloading mid-navigation detaches).
    phone.get_by_text("Saved.", exact=True).wait_for()
    phone.reload()
    assert phone.get_by_test_id("draft-restored").count() == 0


def test_on_a_phone_a_known_person_is_linked_helped_referred_and_followed_up(
    world, page_factory, live_server
):
    """The field-to-follow-up path at phone width: find and link a known person (their
    safety flag shows in the briefing), tap interventions, refer to a directory service,
    write a clinical note, complete; the case manager sees the follow-up and the referral."""
    from corespond.care.models import Resource
    from corespond.dispatch.services import unit_assign
    from corespond.field import services as field
    from corespond.people.services import safety_flag_add
    from tests.journey import encounter_of, make_call

    earlier = encounter_of(
        unit_assign(actor=world.alice, call_id=make_call(world).pk, team_id=world.team.pk)
    )
    robin = field.encounter_person_add(
        actor=world.oscar, encounter_id=earlier.pk, given_name="Robin", family_name="Ash"
    )
    safety_flag_add(actor=world.oscar, person_id=robin.pk, kind="animal", note="Large dog")
    Resource.objects.create(
        program=world.program, organization="Harbor BH", name="Harbor Respite", category="crisis"
    )
    call = make_call(world, address="3 Birch Rd")
    encounter = encounter_of(
        unit_assign(actor=world.alice, call_id=call.pk, team_id=world.medic_team.pk)
    )
    phone = page_factory("clara", PASSWORD, width=375, height=812)
    phone.goto(f"{live_server.url}/field/encounters/{encounter.pk}/")
    phone.get_by_label("Name to look for").fill("robin ash")
    phone.get_by_role("button", name="Find").click()
    phone.get_by_role("button", name="Link Robin Ash").click()
    briefing = phone.get_by_test_id("briefing")
    assert "Large dog" in briefing.inner_text() and "1 earlier contact" in briefing.inner_text()

    phone.get_by_role("button", name="De-escalation").click()
    phone.get_by_role("button", name="Safety planning").click()
    assert phone.get_by_role("button", name="De-escalation").get_attribute("aria-pressed") == "true"

    phone.get_by_label("Refer to").select_option(label="crisis: Harbor Respite (Harbor BH)")
    phone.get_by_role("button", name="Refer").click()
    assert phone.get_by_test_id("referral-status").inner_text() == "Requested"

    phone.get_by_role("textbox", name="Note").fill(
        "Calm after talking; made a safety plan with his sister."
    )
    phone.get_by_role("button", name="Save note").click()
    assert "made a safety plan" in phone.get_by_test_id("note").inner_text()

    phone.get_by_label("Contact outcome").select_option("engaged")
    phone.get_by_label("Disposition:", exact=True).select_option("remained_in_community")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_role("button", name="Complete encounter").click()
    assert "Encounter complete" in phone.inner_text("main")

    kim = page_factory("kim", PASSWORD, width=375, height=812)
    kim.goto(f"{live_server.url}/care/followups/")
    assert "Robin Ash" in kim.inner_text("main")
    kim.goto(f"{live_server.url}/care/referrals/")
    row = kim.locator("tr[data-referral]", has_text="Harbor Respite")
    row.get_by_label("New status").select_option("accepted")
    row.get_by_role("button", name="Update").click()
    assert "Referral updated" in kim.inner_text("main")
    # The officer on the first call never sees the clinical note.
    officer = page_factory("oscar", PASSWORD, width=375, height=812)
    officer.goto(f"{live_server.url}/field/encounters/{encounter.pk}/")
    assert "safety plan with his sister" not in officer.inner_text("main")


def test_the_program_manager_reads_the_dashboard_and_prints_it(world, page_factory, live_server):
    """Charts load as images within the Content Security Policy, the numbers are beside them,
    and a screenshot of the page is kept for people to look at (var/screenshots/)."""
    import os
    from pathlib import Path

    from tests.journey import finish_encounter

    for name in ("Ash", "Birch", "Cedar"):
        finish_encounter(world, given_name=name)
    manny = page_factory("manny", PASSWORD, width=1280, height=1800)
    nav(manny, "Dashboard")
    charts = manny.locator("img[data-chart]")
    assert charts.count() == 5
    for i in range(5):
        charts.nth(i).wait_for()
    manny.wait_for_load_state("networkidle")
    widths = charts.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert all(w > 100 for w in widths), widths
    assert "Eligible calls served" in manny.inner_text("main")
    rows = manny.get_by_test_id("months").locator("tbody tr")
    assert rows.count() >= 1 and "3" in rows.last.inner_text()
    folder = Path(os.environ.get("CORESPOND_SCREENSHOTS", "var/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "dashboard.png"
    manny.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    print(f"dashboard screenshot: {shot.resolve()}")
    # The funder report opens from the dashboard, with its charts, and as a PDF.
    manny.get_by_role("link", name="Funder report").click()
    manny.wait_for_load_state("networkidle")
    assert "Cost offsets" in manny.inner_text("body") and "Methods" in manny.inner_text("body")
    images = manny.locator("img")
    assert images.count() == 4
    widths = images.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert all(w > 100 for w in widths), widths
    report_shot = folder / "funder-report.png"
    manny.screenshot(path=str(report_shot), full_page=True)
    print(f"funder report screenshot: {report_shot.resolve()}")
    href = manny.get_by_role("link", name="Download as PDF").get_attribute("href")
    pdf = manny.request.get(manny.url.split("?")[0] + href)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    # A number opens the records behind it (through the gate), and a record opens from there.
    manny.goto(f"{live_server.url}/outcomes/dashboard/")
    manny.locator('[data-metric="calls.eligible_served_rate"] a').click()
    assert "Eligible calls served by a team" in manny.inner_text("h1")
    listed = manny.get_by_test_id("records").locator("tbody tr")
    assert listed.count() == 3
    manny.screenshot(path=str(folder / "records-behind-a-number.png"), full_page=True)
    listed.first.get_by_role("link").click()
    assert re.search(r"/calls/\d+/$", manny.url)


def test_an_integrator_reads_the_api_docs_in_the_browser(world, browser, live_server):
    """The browsable API documentation loads from this server (no CDN) within the Content
    Security Policy, and lists the operations."""
    import os
    from pathlib import Path

    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    text = page.inner_text("body")
    assert "/api/v1/eido" in text and "/api/v1/calls" in text
    assert not [p for p in problems if "Content Security Policy" in p or "failed" in p], problems
    folder = Path(os.environ.get("CORESPOND_SCREENSHOTS", "var/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "api-docs.png"), full_page=False)
    page.close()
