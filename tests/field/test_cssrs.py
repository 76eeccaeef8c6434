"""The C-SSRS screener: skip logic, risk level, and what the risk level does in triage."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from corespond.core.access import restrict
from corespond.dispatch.services import unit_assign
from corespond.field import cssrs, services
from corespond.field.models import Screening
from corespond.intake import protocol
from corespond.intake.protocol import Facts
from tests.journey import encounter_of, make_call


def every_valid_screen() -> list[dict[str, bool | None]]:
    """All answer sets the skip logic allows: 2 x 2 x (1 or 8) x (1 or 2) of them."""
    screens: list[dict[str, bool | None]] = []
    for q1, q2, q6 in itertools.product([False, True], repeat=3):
        follow = list(itertools.product([False, True], repeat=3)) if q2 else [(None,) * 3]
        whens = [False, True] if q6 else [None]
        for (q3, q4, q5), q6b in itertools.product(follow, whens):
            screens.append({"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5, "q6": q6, "q6b": q6b})
    return screens


def by_hand(a: dict[str, bool | None]) -> str:
    """The risk level as spec/vocabularies.md words it, read item by item."""
    if a["q4"] is True or a["q5"] is True or (a["q6"] is True and a["q6b"] is True):
        return "high"
    if a["q3"] is True or (a["q6"] is True and a["q6b"] is False):
        return "moderate"
    if a["q1"] is True or a["q2"] is True:
        return "low"
    return "none"


def test_every_screen_the_skip_logic_allows_scores_as_the_spec_says() -> None:
    screens = every_valid_screen()
    # q2 no: 2 (q1) x 3 (q6 no, q6 yes x 2) = 6; q2 yes: 2 x 8 x 3 = 48; total 54.
    assert len(screens) == 54
    levels = {by_hand(s) for s in screens}
    assert levels == set(cssrs.RISK_LEVELS)
    for screen in screens:
        assert cssrs.score(screen).risk_level == by_hand(screen), screen


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"q1": True, "q6": False}, "q2: answer yes or no"),
        ({"q1": True, "q2": True, "q6": False}, "q3: answer yes or no"),
        ({"q1": False, "q2": False, "q3": True, "q6": False}, "q3: not asked"),
        ({"q1": False, "q2": False, "q6": False, "q6b": True}, "q6b: not asked"),
        ({"q1": False, "q2": False, "q6": True}, "q6b: answer yes or no"),
        ({"q1": False, "q2": False, "q6": False, "q9": True}, "unknown item"),
    ],
)
def test_answers_that_break_the_skip_logic_are_refused_by_item(answers, message) -> None:
    with pytest.raises(cssrs.ScreeningError, match=message):
        cssrs.score(answers)


@pytest.mark.parametrize("name", ["ciru", "line988", "mixed"])
def test_every_screen_reaches_the_triage_rule_its_risk_level_calls_for(name: str) -> None:
    """Each template decides a behavioural-health welfare call by its screen's risk level:
    high risk always outranks the others, and the decision depends on the level only."""
    rules = protocol.load(name)
    by_level: dict[str, set[tuple[str, int]]] = {}
    for screen in every_valid_screen():
        level = cssrs.score(screen).risk_level
        facts = Facts.from_mapping(
            {
                "call_type": "WELFARE",
                "behavioral_health": True,
                "cssrs_risk": level,
                "time": "12:00",
            }
        )
        decision = rules.decide(facts)
        by_level.setdefault(level, set()).add((decision.rule, decision.priority))
    assert all(len(outcomes) == 1 for outcomes in by_level.values()), by_level
    priority = {level: next(iter(o))[1] for level, o in by_level.items()}
    assert priority["high"] <= min(priority.values())
    if name == "ciru":
        assert next(iter(by_level["high"])) == ("high-risk-or-weapon", 1)
        assert next(iter(by_level["low"])) == ("behavioral-health", 2)


def _encounter(world):
    call = make_call(world)
    return encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))


HIGH = {"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6": False}


def test_a_clinician_records_a_screen_and_an_officer_cannot_see_it(world) -> None:
    encounter = _encounter(world)
    person = services.encounter_person_add(
        actor=world.clara, encounter_id=encounter.pk, given_name="Ira"
    )
    screening = services.screening_record(
        actor=world.clara, encounter_id=encounter.pk, answers=HIGH, person_id=person.pk
    )
    assert screening.risk_level == "high" and screening.q5 is False and screening.q6b is None
    assert restrict(Screening.objects.all(), world.clara).count() == 1
    # The co-responding officer sees the encounter, never the screening details.
    assert restrict(Screening.objects.all(), world.oscar).count() == 0
    with pytest.raises(PermissionDenied):
        services.screening_record(actor=world.oscar, encounter_id=encounter.pk, answers=HIGH)


def test_a_screen_that_breaks_the_skip_logic_writes_nothing(world) -> None:
    encounter = _encounter(world)
    with pytest.raises(ValidationError, match="q3: answer yes or no"):
        services.screening_record(
            actor=world.clara, encounter_id=encounter.pk, answers={"q1": True, "q2": True}
        )
    assert restrict(Screening.objects.all(), world.clara).count() == 0
