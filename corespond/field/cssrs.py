"""The C-SSRS screener (Columbia Suicide Severity Rating Scale, screen version): its items,
skip logic and risk level exactly as in spec/vocabularies.md, with the LOINC codes that the
FHIR export uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# item -> (short question, LOINC)
ITEMS: dict[str, tuple[str, str]] = {
    "q1": (
        "Wished you were dead or wished you could go to sleep and not wake up (past month)?",
        "93246-7",
    ),
    "q2": ("Had any actual thoughts of killing yourself (past month)?", "93247-5"),
    "q3": ("Been thinking about how you might do this?", "93248-3"),
    "q4": ("Had these thoughts and had some intention of acting on them?", "93249-1"),
    "q5": (
        "Started to work out or worked out the details of how to kill yourself? Do you "
        "intend to carry out this plan?",
        "93250-9",
    ),
    "q6": (
        "Ever done anything, started to do anything, or prepared to do anything to end your life?",
        "93267-3",
    ),
    "q6b": ("Was that within the past 3 months?", "93269-9"),
}
RISK_LOINC = "93374-7"
RISK_LEVELS = ("none", "low", "moderate", "high")
HIGH_RISK_ACTION = (
    "High risk: do not leave the person alone; a behavioural-health professional must evaluate now."
)


class ScreeningError(ValueError):
    """Answers that break the skip logic; the message names the item."""


@dataclass(frozen=True)
class Result:
    answers: dict[str, bool | None]
    risk_level: str


def asked(answers: Mapping[str, bool | None]) -> list[str]:
    """The items the skip logic asks, given the answers so far."""
    items = ["q1", "q2"]
    if answers.get("q2") is True:
        items += ["q3", "q4", "q5"]
    items.append("q6")
    if answers.get("q6") is True:
        items.append("q6b")
    return items


def score(answers: Mapping[str, bool | None]) -> Result:
    """Check the answers against the skip logic and give the risk level.

    Every asked item needs a yes or no; an item that is not asked must be left empty (an
    answer there means the screener was not followed, which a clinician would want to know).
    """
    unknown = set(answers) - set(ITEMS)
    if unknown:
        raise ScreeningError(f"unknown item(s): {', '.join(sorted(unknown))}")
    needed = asked(answers)
    for item in ITEMS:
        value = answers.get(item)
        if item in needed and value is None:
            raise ScreeningError(f"{item}: answer yes or no ({ITEMS[item][0]})")
        if item not in needed and value is not None:
            raise ScreeningError(f"{item}: not asked when the answers before it are no")
    a = {item: answers.get(item) for item in ITEMS}
    if a["q4"] or a["q5"] or (a["q6"] and a["q6b"]):
        level = "high"
    elif a["q3"] or (a["q6"] and a["q6b"] is False):
        level = "moderate"
    elif a["q1"] or a["q2"]:
        level = "low"
    else:
        level = "none"
    return Result(a, level)
