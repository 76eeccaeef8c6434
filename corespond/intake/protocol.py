"""Dispatch protocols as data: a TOML file of ordered rules, decided the same way everywhere.

A protocol file says, for a program, which response a call gets. It is meant to be read by a
program manager and a dispatcher, not only by us::

    [protocol]
    slug = "star"
    name = "Alternative response: clinician + medic, no police"
    version = "2026.1"
    service_hours = "06:00-22:00"        # or "24/7"

    [codes]                               # local CAD call types -> APCO codes
    "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS" = "EDP"

    [[rule]]
    id = "medical-first"
    when = { any = [{ medical_emergency = true }, { overdose = true }] }
    response_type = "ems_only"
    priority = 1
    eligible = false
    explain = "A medical emergency or overdose: EMS goes first."

    [[example]]                           # the protocol's own tests, and its documentation
    call = { call_type = "OD" }
    expect = { response_type = "ems_only", eligible = false, rule = "medical-first" }

Rules are tried in order; the first whose ``when`` holds decides. The last rule must have no
``when`` (it catches every call), so every call gets a decision and a reason.

Conditions (a TOML table; every key must hold):
- a fact name with a value: equal; with a list: one of (``call_type = ["WELFARE", "INTOX"]``);
- ``age_under = 18``, ``age_at_least = 65``;
- ``hour_in = "22:00-06:00"`` (local time of the call, may wrap midnight);
- ``weekday_in = ["sat", "sun"]``;
- ``any = [ {...}, {...} ]``, ``all = [...]``, ``not = {...}``.
A fact that is unknown (absent) never matches a value.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time
from pathlib import Path
from typing import Any

from corespond.core.vocab import CallSource, CallType, ResponseType

TEMPLATES_DIR = Path(__file__).parent / "protocols"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CSSRS_RISK_LEVELS = ("none", "low", "moderate", "high")


class ProtocolError(ValueError):
    """A protocol file or a call cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Decision:
    """Who goes to a call, by which rule, and why (what TriageDecision stores)."""

    response_type: str
    priority: int
    eligible: bool
    rule: str
    explanation: str
    outside_service_hours: bool = False

    def fields(self, protocol_version: str) -> dict[str, Any]:
        """The decision as TriageDecision's fields (and the CLI's JSON keys)."""
        return {
            "response_type": self.response_type,
            "priority": self.priority,
            "eligible": self.eligible,
            "outside_service_hours": self.outside_service_hours,
            "rule": self.rule,
            "explanation": self.explanation,
            "protocol_version": protocol_version,
        }


@dataclass(frozen=True)
class Facts:
    """What is known about a call when it is triaged. Unknown facts stay None."""

    call_type: str | None = None
    # The CAD's own call type, upper-cased, when the call came with one that is not APCO.
    local_call_type: str | None = None
    behavioral_health: bool | None = None
    weapons: bool | None = None
    violence_in_progress: bool | None = None
    medical_emergency: bool | None = None
    overdose: bool | None = None
    cssrs_risk: str | None = None
    age: int | None = None
    veteran: bool | None = None
    hour: int | None = None
    minute: int = 0
    weekday: str | None = None
    zone: str | None = None
    requesting_party: str | None = None
    needs_dispatch: bool | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Facts:
        """Facts from a JSON/TOML mapping; unknown keys and wrong types are errors."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known) - {"id", "time"})
        if unknown:
            raise ProtocolError(f"unknown call field(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in ("id", "time") or value is None:
                continue
            values[name] = _check_fact(name, value)
        if "time" in data and data["time"] is not None:
            values.update(_parse_clock(str(data["time"]), "time"))
        return cls(**values)


_BOOL_FACTS = {
    "behavioral_health",
    "weapons",
    "violence_in_progress",
    "medical_emergency",
    "overdose",
    "veteran",
    "needs_dispatch",
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "cssrs_risk": CSSRS_RISK_LEVELS,
    "weekday": WEEKDAYS,
    "requesting_party": tuple(CallSource.values),
}


def _check_fact(name: str, value: Any) -> Any:
    if name in _BOOL_FACTS:
        if not isinstance(value, bool):
            raise ProtocolError(f"{name} must be true or false, got {value!r}")
    elif name in ("age", "hour", "minute"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ProtocolError(f"{name} must be a whole number, got {value!r}")
        if (name == "hour" and value > 23) or (name == "minute" and value > 59):
            raise ProtocolError(f"{name} out of range: {value!r}")
    elif not isinstance(value, str):
        raise ProtocolError(f"{name} must be text, got {value!r}")
    if name in _CHOICES and value not in _CHOICES[name]:
        raise ProtocolError(f"{name} must be one of {', '.join(_CHOICES[name])}; got {value!r}")
    return value


def _parse_clock(text: str, where: str) -> dict[str, int]:
    try:
        parsed = time.fromisoformat(text)
    except ValueError as exc:
        raise ProtocolError(f"{where}: {text!r} is not a time like 22:30") from exc
    return {"hour": parsed.hour, "minute": parsed.minute}


def _window(text: str, where: str) -> tuple[int, int] | None:
    """'06:00-22:00' -> minutes (360, 1320); '24/7' -> None."""
    if text.strip() == "24/7":
        return None
    try:
        start, end = (part.strip() for part in text.split("-"))
    except ValueError as exc:
        raise ProtocolError(f"{where}: {text!r} is not a window like 06:00-22:00") from exc
    a, b = _parse_clock(start, where), _parse_clock(end, where)
    return a["hour"] * 60 + a["minute"], b["hour"] * 60 + b["minute"]


def _in_window(window: tuple[int, int] | None, facts: Facts) -> bool:
    if window is None:
        return True
    if facts.hour is None:
        return False
    now = facts.hour * 60 + facts.minute
    start, end = window
    return start <= now < end if start <= end else now >= start or now < end


Condition = Callable[[Facts], bool]
_FACT_NAMES = {f.name for f in fields(Facts)} - {"minute"}


def _one_of(key: str, allowed: tuple[Any, ...]) -> Condition:
    def check(f: Facts) -> bool:
        value = getattr(f, key)
        return value is not None and value in allowed

    return check


def _age(under: int | None = None, at_least: int | None = None) -> Condition:
    def check(f: Facts) -> bool:
        if f.age is None:
            return False
        return f.age < under if under is not None else f.age >= (at_least or 0)

    return check


def _combined(subs: list[Condition], *, need_all: bool) -> Condition:
    def check(f: Facts) -> bool:
        results = (s(f) for s in subs)
        return all(results) if need_all else any(results)

    return check


def _negated(sub: Condition) -> Condition:
    return lambda f: not sub(f)


def _hours(window: tuple[int, int] | None) -> Condition:
    return lambda f: _in_window(window, f)


def compile_condition(spec: Any, where: str) -> Condition:
    """Turn a ``when`` table into a predicate, checking every key and value on the way."""
    if not isinstance(spec, Mapping):
        raise ProtocolError(f"{where}: a condition is a table, got {spec!r}")
    parts: list[Condition] = []
    for key, value in spec.items():
        here = f"{where}.{key}"
        if key in ("any", "all"):
            if not isinstance(value, list) or not value:
                raise ProtocolError(f"{here}: needs a non-empty list of conditions")
            subs = [compile_condition(v, f"{here}[{i}]") for i, v in enumerate(value)]
            parts.append(_combined(subs, need_all=key == "all"))
        elif key == "not":
            parts.append(_negated(compile_condition(value, here)))
        elif key in ("age_under", "age_at_least"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ProtocolError(f"{here}: needs a whole number of years")
            parts.append(_age(under=value) if key == "age_under" else _age(at_least=value))
        elif key == "hour_in":
            parts.append(_hours(_window(str(value), here)))
        elif key == "weekday_in":
            days = value if isinstance(value, list) else [value]
            bad = [d for d in days if d not in WEEKDAYS]
            if bad:
                raise ProtocolError(f"{here}: unknown weekday(s) {bad}; use {', '.join(WEEKDAYS)}")
            parts.append(_one_of("weekday", tuple(days)))
        elif key in _FACT_NAMES:
            allowed = value if isinstance(value, list) else [value]
            for item in allowed:
                _check_fact(key, item)
                if key == "call_type" and item not in CallType.values:
                    raise ProtocolError(f"{here}: {item!r} is not an APCO call type code")
            if key == "local_call_type":
                allowed = [str(item).strip().upper() for item in allowed]
            parts.append(_one_of(key, tuple(allowed)))
        else:
            raise ProtocolError(f"{here}: unknown condition {key!r}")
    return _combined(parts, need_all=True)


@dataclass(frozen=True)
class Rule:
    id: str
    when: Condition
    response_type: str
    priority: int
    eligible: bool
    explain: str
    catch_all: bool = False


@dataclass(frozen=True)
class Example:
    call: Mapping[str, Any]
    expect: Mapping[str, Any]
    note: str = ""


@dataclass(frozen=True)
class ExampleResult:
    example: Example
    decision: Decision | None
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Protocol:
    slug: str
    name: str
    version: str
    service_hours: tuple[int, int] | None
    codes: Mapping[str, str]
    rules: tuple[Rule, ...]
    examples: tuple[Example, ...] = field(default=())
    # Where a CAD type is in neither APCO nor [codes]: this APCO code, or None to refuse.
    unmapped_call_types: str | None = None

    @property
    def label(self) -> str:
        return f"{self.slug}@{self.version}"

    def hours_text(self, separator: str = "-") -> str:
        """The service hours as people write them: "24/7" or "07:00-23:00"."""
        if self.service_hours is None:
            return "24/7"
        (h1, m1), (h2, m2) = (divmod(m, 60) for m in self.service_hours)
        return f"{h1:02d}:{m1:02d}{separator}{h2:02d}:{m2:02d}"

    def normalise(self, facts: Facts) -> Facts:
        """Map a local CAD call type onto its APCO code, keeping the local one beside it."""
        if facts.call_type is None or facts.call_type in CallType.values:
            return facts
        local = facts.call_type.strip().upper()
        mapped = self.codes.get(local, self.unmapped_call_types)
        if mapped is None:
            raise ProtocolError(
                f"call type {facts.call_type!r} is neither an APCO code nor mapped in [codes]"
            )
        return replace(facts, call_type=mapped, local_call_type=local)

    def decide(self, facts: Facts) -> Decision:
        facts = self.normalise(facts)
        for rule in self.rules:
            if rule.when(facts):
                outside = rule.eligible and not _in_window(self.service_hours, facts)
                explanation = rule.explain
                if outside:
                    explanation += " The call came outside service hours."
                return Decision(
                    response_type=rule.response_type,
                    priority=rule.priority,
                    eligible=rule.eligible,
                    rule=rule.id,
                    explanation=explanation,
                    outside_service_hours=outside,
                )
        raise AssertionError("unreachable: the last rule catches every call")

    def run_examples(self) -> list[ExampleResult]:
        results = []
        for example in self.examples:
            try:
                decision = self.decide(Facts.from_mapping(example.call))
            except ProtocolError as exc:
                results.append(ExampleResult(example, None, [str(exc)]))
                continue
            problems = [
                f"{key}: expected {want!r}, got {getattr(decision, key)!r}"
                for key, want in example.expect.items()
                if getattr(decision, key) != want
            ]
            results.append(ExampleResult(example, decision, problems))
        return results


_RULE_KEYS = {"id", "when", "response_type", "priority", "eligible", "explain"}
_EXPECT_KEYS = {"response_type", "priority", "eligible", "rule", "outside_service_hours"}


def parse(text: str, *, source: str = "protocol") -> Protocol:
    """Read and check a protocol; every problem names its place (``rule[3].when.age_under``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{source}: not valid TOML: {exc}") from exc
    head = data.get("protocol")
    if not isinstance(head, Mapping):
        raise ProtocolError(f"{source}: needs a [protocol] table with slug, name and version")
    for key in ("slug", "name", "version"):
        if not isinstance(head.get(key), str) or not head[key].strip():
            raise ProtocolError(f"{source}: [protocol] needs a non-empty {key}")
    window = _window(str(head.get("service_hours", "24/7")), f"{source}: service_hours")
    codes_raw = data.get("codes", {})
    codes = {}
    for local, apco in codes_raw.items():
        if apco not in CallType.values:
            raise ProtocolError(f"{source}: [codes] {local!r} maps to unknown APCO code {apco!r}")
        codes[local.strip().upper()] = apco
    raw_rules = data.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ProtocolError(f"{source}: needs at least one [[rule]]")
    rules = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules):
        where = f"{source}: rule[{i}]"
        unknown = set(raw) - _RULE_KEYS
        if unknown:
            raise ProtocolError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            raise ProtocolError(f"{where}: needs an id")
        if rule_id in seen:
            raise ProtocolError(f"{where}: id {rule_id!r} is used twice")
        seen.add(rule_id)
        where = f"{source}: rule {rule_id!r}"
        if raw.get("response_type") not in ResponseType.values:
            raise ProtocolError(f"{where}: response_type must be one of {ResponseType.values}")
        priority = raw.get("priority")
        if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 5:
            raise ProtocolError(f"{where}: priority must be 1 (most urgent) to 5")
        if not isinstance(raw.get("eligible"), bool):
            raise ProtocolError(f"{where}: eligible must be true or false")
        explain = raw.get("explain")
        if not isinstance(explain, str) or not explain.strip():
            raise ProtocolError(f"{where}: needs an explain sentence a dispatcher can read aloud")
        has_when = "when" in raw
        rules.append(
            Rule(
                id=rule_id,
                when=compile_condition(raw["when"], f"{where}.when") if has_when else _always,
                response_type=raw["response_type"],
                priority=priority,
                eligible=raw["eligible"],
                explain=explain.strip(),
                catch_all=not has_when,
            )
        )
    if not rules[-1].catch_all:
        raise ProtocolError(f"{source}: the last rule must have no 'when', to catch every call")
    for rule in rules[:-1]:
        if rule.catch_all:
            raise ProtocolError(
                f"{source}: rule {rule.id!r} has no 'when' but is not last; later rules never run"
            )
    examples = []
    for i, raw in enumerate(data.get("example", [])):
        where = f"{source}: example[{i}]"
        if not isinstance(raw.get("call"), Mapping) or not isinstance(raw.get("expect"), Mapping):
            raise ProtocolError(f"{where}: needs a call table and an expect table")
        unknown = set(raw["expect"]) - _EXPECT_KEYS
        if unknown:
            raise ProtocolError(f"{where}: expect has unknown key(s) {', '.join(sorted(unknown))}")
        examples.append(Example(raw["call"], raw["expect"], str(raw.get("note", ""))))
    unmapped = head.get("unmapped_call_types")
    if unmapped is not None and unmapped not in CallType.values:
        raise ProtocolError(f"{source}: unmapped_call_types must be an APCO code, got {unmapped!r}")
    return Protocol(
        unmapped_call_types=unmapped,
        slug=head["slug"].strip(),
        name=head["name"].strip(),
        version=head["version"].strip(),
        service_hours=window,
        codes=codes,
        rules=tuple(rules),
        examples=tuple(examples),
    )


def _always(facts: Facts) -> bool:
    return True


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES_DIR.glob("*.toml"))


def load(name_or_path: str) -> Protocol:
    """A shipped template by name (``star``) or a protocol file by path."""
    path = Path(name_or_path)
    if not path.suffix and (TEMPLATES_DIR / f"{name_or_path}.toml").exists():
        path = TEMPLATES_DIR / f"{name_or_path}.toml"
    if not path.exists():
        raise ProtocolError(
            f"no protocol file {name_or_path!r}; templates: {', '.join(template_names())}"
        )
    return parse(path.read_text(encoding="utf-8"), source=str(path.name))
