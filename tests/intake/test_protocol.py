"""Protocols as data: the shipped templates, the file checks, the rule language, the CLI."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from corespond.intake import protocol
from corespond.intake.protocol import Facts, ProtocolError

MINIMAL = """
[protocol]
slug = "t"
name = "Test"
version = "1"
service_hours = "{hours}"

{extra}

[[rule]]
id = "rule-under-test"
when = {when}
response_type = "co_response"
priority = 2
eligible = true
explain = "Matched."

[[rule]]
id = "rest"
response_type = "police_only"
priority = 3
eligible = false
explain = "Everything else."
"""


def make(
    when: str = "{ call_type = 'EDP' }", hours: str = "24/7", extra: str = ""
) -> protocol.Protocol:
    return protocol.parse(MINIMAL.format(when=when, hours=hours, extra=extra), source="t.toml")


def rule_for(p: protocol.Protocol, **facts: object) -> str:
    return p.decide(Facts.from_mapping(facts)).rule


@pytest.mark.parametrize("name", protocol.template_names())
def test_every_template_parses_and_its_examples_pass(name: str) -> None:
    p = protocol.load(name)
    results = p.run_examples()
    assert len(results) >= 3, "a template documents itself with examples"
    assert [r.problems for r in results if not r.passed] == []


def test_the_templates_cover_the_program_models() -> None:
    assert {"ciru", "star", "scrt", "bensalem", "arapahoe", "specialized", "line988"} <= set(
        protocol.template_names()
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not = [toml", "not valid TOML"),
        ("[rule]\nid='x'", "needs a [protocol] table"),
        (
            MINIMAL.format(when="{ colour = 'red' }", hours="24/7", extra=""),
            "rule 'rule-under-test'.when.colour: unknown condition",
        ),
        (
            MINIMAL.format(when="{ call_type = 'XYZ' }", hours="24/7", extra=""),
            "not an APCO call type",
        ),
        (
            MINIMAL.format(when="{ weekday_in = ['funday'] }", hours="24/7", extra=""),
            "unknown weekday",
        ),
        (
            MINIMAL.format(when="{ age_under = 'young' }", hours="24/7", extra=""),
            "whole number of years",
        ),
        (
            MINIMAL.format(when="{ cssrs_risk = 'severe' }", hours="24/7", extra=""),
            "cssrs_risk must be one of",
        ),
        (
            MINIMAL.format(when="{ call_type = 'EDP' }", hours="6am-10pm", extra=""),
            "not a time like",
        ),
        (
            MINIMAL.format(
                when="{ call_type = 'EDP' }", hours="24/7", extra="[codes]\n'X' = 'NOPE'"
            ),
            "unknown APCO code",
        ),
        (
            MINIMAL.replace('response_type = "co_response"', 'response_type = "helicopter"').format(
                when="{}", hours="24/7", extra=""
            ),
            "response_type must be one of",
        ),
        (
            MINIMAL.replace('id = "rest"', 'id = "rule-under-test"').format(
                when="{}", hours="24/7", extra=""
            ),
            "used twice",
        ),
    ],
)
def test_a_bad_protocol_file_is_refused_with_the_place_and_reason(text: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=re.escape(message)):
        protocol.parse(text, source="t.toml")


def test_the_last_rule_must_catch_every_call_and_only_the_last() -> None:
    no_catch_all = MINIMAL.replace('id = "rest"\n', 'id = "rest"\nwhen = {{ weapons = true }}\n')
    with pytest.raises(ProtocolError, match="last rule must have no 'when'"):
        protocol.parse(no_catch_all.format(when="{}", hours="24/7", extra=""))
    early = MINIMAL.replace("when = {when}\n", "")
    with pytest.raises(ProtocolError, match="later rules never run"):
        protocol.parse(early.format(hours="24/7", extra=""))


def test_hour_windows_wrap_midnight() -> None:
    p = make("{ hour_in = '22:00-06:00' }")
    assert rule_for(p, time="23:59") == "rule-under-test"
    assert rule_for(p, time="05:59") == "rule-under-test"
    assert rule_for(p, time="06:00") == "rest"
    assert rule_for(p) == "rest"  # time unknown: a window never matches


def test_weekdays_ages_and_unknown_facts() -> None:
    weekend = make("{ weekday_in = ['sat', 'sun'] }")
    assert rule_for(weekend, weekday="sun") == "rule-under-test"
    assert rule_for(weekend, weekday="mon") == "rest"
    youth = make("{ age_under = 18 }")
    assert rule_for(youth, age=17) == "rule-under-test"
    assert rule_for(youth, age=18) == "rest"
    assert rule_for(youth) == "rest"  # unknown age is not young
    older = make("{ age_at_least = 65 }")
    assert rule_for(older, age=70) == "rule-under-test"


def test_any_all_and_not_combine() -> None:
    p = make(
        "{ all = [{ any = [{ weapons = true }, { call_type = 'MTLV' }] },"
        " { not = { veteran = true } }] }"
    )
    assert rule_for(p, weapons=True) == "rule-under-test"
    assert rule_for(p, call_type="MTLV", veteran=False) == "rule-under-test"
    assert rule_for(p, weapons=True, veteran=True) == "rest"
    assert rule_for(p, call_type="EDP") == "rest"


def test_local_cad_types_map_to_apco_and_stay_visible() -> None:
    p = make(
        "{ local_call_type = 'Person in crisis' }",
        extra="[codes]\n'PERSON IN CRISIS' = 'EDP'",
    )
    facts = p.normalise(Facts.from_mapping({"call_type": "person in crisis"}))
    assert (facts.call_type, facts.local_call_type) == ("EDP", "PERSON IN CRISIS")
    assert rule_for(p, call_type="Person in crisis") == "rule-under-test"
    with pytest.raises(ProtocolError, match="neither an APCO code nor mapped"):
        p.decide(Facts.from_mapping({"call_type": "BURGLARY"}))


def test_eligible_calls_outside_service_hours_say_so() -> None:
    p = make(hours="06:00-22:00")
    night = p.decide(Facts.from_mapping({"call_type": "EDP", "time": "23:00"}))
    assert night.eligible and night.outside_service_hours
    assert "outside service hours" in night.explanation
    day = p.decide(Facts.from_mapping({"call_type": "EDP", "time": "12:00"}))
    assert not day.outside_service_hours


@pytest.mark.parametrize(
    ("risk", "rule", "priority"),
    [
        (None, "behavioral-health", 2),
        ("none", "behavioral-health", 2),
        ("low", "behavioral-health", 2),
        ("moderate", "behavioral-health", 2),
        ("high", "high-risk-or-weapon", 1),
    ],
)
def test_cssrs_risk_level_drives_the_co_response_priority(risk, rule, priority) -> None:
    facts = {"call_type": "WELFARE", "behavioral_health": True}
    if risk:
        facts["cssrs_risk"] = risk
    decision = protocol.load("ciru").decide(Facts.from_mapping(facts))
    assert (decision.rule, decision.priority) == (rule, priority)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"call_type": "EDP", "colour": "red"}, "unknown call field"),
        ({"weapons": "yes"}, "weapons must be true or false"),
        ({"age": -3}, "age must be a whole number"),
        ({"time": "25:00"}, "not a time like"),
        ({"requesting_party": "pigeon"}, "requesting_party must be one of"),
    ],
)
def test_bad_call_facts_are_refused_clearly(call, message) -> None:
    with pytest.raises(ProtocolError, match=message):
        Facts.from_mapping(call)


def test_triage_command_writes_one_decision_per_line_and_goes_on_after_errors() -> None:
    lines = "\n".join(
        [
            json.dumps({"id": 7, "call_type": "WELFARE", "time": "10:00"}),
            "{not json",
            json.dumps({"call_type": "EDP", "weapons": "maybe"}),
            json.dumps(["a", "list"]),
            "",
            json.dumps({"id": "z", "call_type": "SERVICE - WELFARE CHECK", "time": "23:30"}),
        ]
    )
    out, err = StringIO(), StringIO()
    command = __import__(
        "corespond.intake.management.commands.triage", fromlist=["Command"]
    ).Command(stdout=out, stderr=err)
    command.stdin = StringIO(lines + "\n")
    call_command(command, "--protocol", "star")
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r.get("id") for r in rows] == [7, None, None, None, "z"]
    assert (
        rows[0]["response_type"] == "clinician_medic"
        and rows[0]["protocol_version"] == "star@2026.1"
    )
    assert "not valid JSON" in rows[1]["error"]
    assert "weapons must be true or false" in rows[2]["error"]
    assert "JSON object" in rows[3]["error"]
    assert rows[4]["outside_service_hours"] is True and rows[4]["line"] == 6
    assert "3 line(s) could not be triaged" in err.getvalue()


def test_protocol_test_command_fails_when_an_example_fails(tmp_path: Path) -> None:
    broken = tmp_path / "draft.toml"
    broken.write_text(
        MINIMAL.format(when="{ call_type = 'EDP' }", hours="24/7", extra="")
        + "\n[[example]]\ncall = { call_type = 'EDP' }\n"
        + "expect = { response_type = 'police_only' }\n"
    )
    out = StringIO()
    with pytest.raises(CommandError, match="1 example"):
        call_command("protocol", "test", str(broken), stdout=out)
    assert (
        "FAIL  example 1: response_type: expected 'police_only', got 'co_response'"
        in out.getvalue()
    )
    out = StringIO()
    call_command("protocol", "test", "star", stdout=out)
    assert "star@2026.1: 6 of 6 examples pass." in out.getvalue()


def test_protocol_commands_explain_missing_files_and_list_templates() -> None:
    with pytest.raises(CommandError, match="templates: arapahoe"):
        call_command("protocol", "test", "nope")
    out = StringIO()
    call_command("protocol", "list", stdout=out)
    assert "star" in out.getvalue() and "ciru" in out.getvalue()
    out = StringIO()
    call_command("protocol", "show", "star", stdout=out)
    assert "service hours 06:00-22:00" in out.getvalue()
