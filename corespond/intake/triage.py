"""The foundation's built-in triage protocol.

A pure function from call facts to a decision, so it can be tested without a database and
replayed over history. The protocol issue replaces these built-in rules with versioned,
human-readable protocol files; the ``CallFacts`` in and ``Decision`` out stay the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Protocol

from corespond.core.vocab import BEHAVIORAL_HEALTH_CALL_TYPES, CallType, ResponseType

PROTOCOL_VERSION = "builtin-1"


@dataclass(frozen=True)
class CallFacts:
    call_type: str
    behavioral_health: bool
    weapons: bool = False
    violence_in_progress: bool = False
    medical_emergency: bool = False


@dataclass(frozen=True)
class Decision:
    response_type: str
    priority: int
    eligible: bool
    rule: str
    explanation: str
    outside_service_hours: bool = False


def decide(facts: CallFacts, *, default_response_type: str, in_service_hours: bool) -> Decision:
    """Apply the rules in order; the first that matches decides."""
    if facts.medical_emergency or facts.call_type == CallType.OD:
        return Decision(
            ResponseType.EMS_ONLY,
            1,
            False,
            "medical-first",
            "A medical emergency or overdose: EMS goes first.",
        )
    if facts.violence_in_progress:
        return Decision(
            ResponseType.POLICE_ONLY,
            1,
            False,
            "violence-in-progress",
            "Violence in progress: police respond; the team is not sent.",
        )
    is_bh = facts.behavioral_health or facts.call_type in BEHAVIORAL_HEALTH_CALL_TYPES
    if not is_bh:
        return Decision(
            ResponseType.POLICE_ONLY,
            3,
            False,
            "not-behavioral-health",
            "No behavioural-health need reported: a regular police call.",
        )
    if facts.weapons or facts.call_type == CallType.MTLV:
        decision = Decision(
            ResponseType.POLICE_THEN_TEAM,
            1,
            True,
            "safety-risk",
            "Behavioural-health need with a weapon or violence risk: police secure, team joins.",
        )
    else:
        decision = Decision(
            default_response_type,
            2,
            True,
            "behavioral-health",
            "Behavioural-health need without weapons or violence: send the program's team.",
        )
    if not in_service_hours:
        return Decision(
            decision.response_type,
            decision.priority,
            True,
            decision.rule,
            decision.explanation + " The call came outside service hours.",
            outside_service_hours=True,
        )
    return decision


class ProgramRules(Protocol):
    """What triage needs of a program (a Program instance satisfies it)."""

    default_response_type: str

    @property
    def tzinfo(self) -> tzinfo: ...

    def in_service_hours(self, local_hour: int) -> bool: ...


def decide_for(facts: CallFacts, *, program: ProgramRules, received_at: datetime) -> Decision:
    """``decide`` with the program's default team and its service hours at ``received_at``."""
    local_hour = received_at.astimezone(program.tzinfo).hour
    return decide(
        facts,
        default_response_type=program.default_response_type,
        in_service_hours=program.in_service_hours(local_hour),
    )
