"""Replaying real Seattle CAD calls through the STAR and CIRU templates (docs/protocols.md)."""

from __future__ import annotations

import csv
from collections import Counter

from corespond.intake import protocol
from tests.conftest import real_data_path


def replay(name: str) -> tuple[int, Counter[str]]:
    path = real_data_path("seattle-spd", "calls-sample.csv")
    p = protocol.load(name)
    eligible: Counter[str] = Counter()
    total = 0
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle):
            total += 1
            # The initial call type is what the call-taker knew when triage happened.
            facts = protocol.Facts.from_mapping({"call_type": row["Initial.Call.Type"]})
            if p.decide(facts).eligible:
                eligible[row["Initial.Call.Type"]] += 1
    return total, eligible


def test_ciru_takes_the_behavioral_health_calls_and_little_else() -> None:
    total, eligible = replay("ciru")
    assert total == 2706
    share = sum(eligible.values()) / total
    assert 0.01 < share < 0.06
    assert set(eligible) == {
        "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS",
        "OBS - MENTAL - PERSON OR PICKUP/TRANSPORT",
    }


def test_star_adds_disturbance_and_trespass_calls() -> None:
    total, eligible = replay("star")
    share = sum(eligible.values()) / total
    assert 0.05 < share < 0.25
    assert eligible["PERSON IN BEHAVIORAL/EMOTIONAL CRISIS"] > 0
    assert eligible["DISTURBANCE"] > eligible["PERSON IN BEHAVIORAL/EMOTIONAL CRISIS"]
    assert "OVERDOSE" not in eligible  # medical first
