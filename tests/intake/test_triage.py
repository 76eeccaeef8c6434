"""The built-in protocol, rule by rule."""

from __future__ import annotations

import pytest

from corespond.intake.triage import CallFacts, decide


def d(in_hours: bool = True, **facts):
    base = {"call_type": "EDP", "behavioral_health": True}
    base.update(facts)
    return decide(CallFacts(**base), default_response_type="co_response", in_service_hours=in_hours)


def test_behavioral_health_call_goes_to_the_programs_team() -> None:
    decision = d()
    assert (decision.response_type, decision.eligible, decision.rule) == (
        "co_response",
        True,
        "behavioral-health",
    )
    assert decision.explanation


def test_weapon_sends_police_first_and_the_team_after() -> None:
    assert d(weapons=True).response_type == "police_then_team"
    assert d(call_type="MTLV").response_type == "police_then_team"


def test_violence_in_progress_is_police_only_and_not_eligible() -> None:
    decision = d(violence_in_progress=True, weapons=True)
    assert (decision.response_type, decision.eligible) == ("police_only", False)


@pytest.mark.parametrize("facts", [{"medical_emergency": True}, {"call_type": "OD"}])
def test_medical_emergency_or_overdose_goes_to_ems_first(facts) -> None:
    decision = d(**facts)
    assert (decision.response_type, decision.eligible, decision.priority) == ("ems_only", False, 1)


def test_call_without_behavioral_health_need_is_not_eligible() -> None:
    decision = d(call_type="OTHER", behavioral_health=False)
    assert (decision.response_type, decision.eligible) == ("police_only", False)


def test_behavioral_health_flag_makes_an_other_call_eligible() -> None:
    assert d(call_type="OTHER", behavioral_health=True).eligible


def test_outside_service_hours_stays_eligible_and_says_so() -> None:
    decision = d(in_hours=False)
    assert decision.eligible and decision.outside_service_hours
    assert "outside service hours" in decision.explanation
