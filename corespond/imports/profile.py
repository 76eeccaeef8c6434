"""Import profiles: how one export's columns and values map onto corespond's records.

A profile is YAML (docs/import-profiles.md). It is checked completely when loaded, so a typo
in a profile is reported before any row is read, with the key that is wrong.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from corespond.core.vocab import (
    CallSource,
    CallType,
    ContactOutcome,
    Disposition,
    TransportedBy,
)

PROFILE_DIR = Path(__file__).parent / "profiles"

CALL_TIME_FIELDS = ("received_at",)
ENCOUNTER_TIME_FIELDS = (
    "dispatched_at",
    "en_route_at",
    "arrived_at",
    "engaged_at",
    "transport_started_at",
    "destination_arrived_at",
    "cleared_at",
)
TIME_FIELDS = CALL_TIME_FIELDS + ENCOUNTER_TIME_FIELDS
# Target fields with a closed vocabulary: the codes a map may produce.
CODED: dict[str, frozenset[str]] = {
    "call_type": frozenset(CallType.values),
    "source": frozenset(CallSource.values),
    "contact_outcome": frozenset(ContactOutcome.values),
    "disposition": frozenset(Disposition.values),
    "transported_by": frozenset(TransportedBy.values),
}
BOOLEAN = frozenset(
    {
        "behavioral_health",
        "weapons",
        "violence_in_progress",
        "medical_emergency",
        "involuntary_hold",
        "use_of_force",
        "injury_person",
        "injury_staff",
    }
)
NUMBER = frozenset({"latitude", "longitude"})
# Free text, with the longest value each column takes.
TEXT: dict[str, int] = {
    "address": 200,
    "zone": 64,
    "source_call_type": 120,
    "description": 4000,
    "disposition_text": 200,
}
CALL_FIELDS = frozenset(
    {
        "received_at",
        "call_type",
        "source",
        "source_call_type",
        "address",
        "zone",
        "latitude",
        "longitude",
        "description",
        "behavioral_health",
        "weapons",
        "violence_in_progress",
        "medical_emergency",
    }
)
ENCOUNTER_FIELDS = frozenset(
    {
        *ENCOUNTER_TIME_FIELDS,
        "contact_outcome",
        "disposition",
        "disposition_text",
        "transported_by",
        "involuntary_hold",
        "use_of_force",
        "injury_person",
        "injury_staff",
    }
)
TARGETS = CALL_FIELDS | ENCOUNTER_FIELDS
DEFAULTS: dict[str, Any] = {
    "call_type": CallType.OTHER,
    "source": CallSource.OTHER,
    "contact_outcome": ContactOutcome.UNKNOWN,
    "disposition": Disposition.UNKNOWN,
    "transported_by": TransportedBy.NONE,
    "address": "",
}


class ProfileError(ValueError):
    """The profile is not usable; the message names the key."""


def normalize(name: str) -> str:
    """A column name as matched: case, punctuation and stray bytes ignored."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@dataclass(frozen=True)
class FieldMap:
    target: str
    columns: tuple[str, ...] = ()  # normalized; the first present in the file is used
    value: Any = None  # a constant instead of a column
    map: dict[str, Any] = field(default_factory=dict)  # normalized source value -> code
    default: Any = None
    keep_source_in: str | None = None
    # received_at only: columns that date the call when its own time is missing (the
    # encounter's received time then stays unknown, so no interval is made up).
    fallback: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    kind: str  # "calls" or "encounters"
    timezone: zoneinfo.ZoneInfo
    id_columns: tuple[str, ...]
    missing: frozenset[str]
    formats: tuple[str, ...]
    midnight_means_missing: bool
    fields: dict[str, FieldMap]
    source: str = ""

    @property
    def encounter_targets(self) -> set[str]:
        return {t for t in self.fields if t in ENCOUNTER_FIELDS}


def _value_key(value: Any) -> str:
    """A source value as matched against a map: case, spacing and the leading dashes some CAD
    systems put before call types ("--CRISIS COMPLAINT") ignored."""
    return " ".join(str(value).lower().split()).lstrip("- ")


def _columns(spec: Any, where: str) -> tuple[str, ...]:
    names = spec if isinstance(spec, list) else [spec]
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ProfileError(f"{where}: a column name, or a list of them")
    return tuple(normalize(n) for n in names)


def _check_code(target: str, value: Any, where: str) -> Any:
    if target in CODED and value not in CODED[target]:
        allowed = ", ".join(sorted(CODED[target]))
        raise ProfileError(f"{where}: {value!r} is not a code of {target} ({allowed})")
    if target in BOOLEAN and not isinstance(value, bool):
        raise ProfileError(f"{where}: {target} takes true or false, not {value!r}")
    return value


def _field(target: str, spec: Any) -> FieldMap:
    where = f"fields.{target}"
    if target not in TARGETS:
        raise ProfileError(f"{where}: unknown field (one of {', '.join(sorted(TARGETS))})")
    if isinstance(spec, str | list):
        return FieldMap(target, _columns(spec, where))
    if not isinstance(spec, dict):
        raise ProfileError(f"{where}: a column name, or a mapping with column/value/map")
    unknown = set(spec) - {"column", "value", "map", "default", "keep_source_in", "fallback"}
    if unknown:
        raise ProfileError(f"{where}: unknown keys {sorted(unknown)}")
    if ("column" in spec) == ("value" in spec):
        raise ProfileError(f"{where}: give exactly one of column or value")
    if "value" in spec:
        return FieldMap(target, value=_check_code(target, spec["value"], f"{where}.value"))
    mapping = spec.get("map") or {}
    if not isinstance(mapping, dict):
        raise ProfileError(f"{where}.map: source value: code pairs")
    codes = {
        _value_key(k): _check_code(target, v, f"{where}.map[{k!r}]") for k, v in mapping.items()
    }
    default = spec.get("default", DEFAULTS.get(target))
    if default is not None:
        _check_code(target, default, f"{where}.default")
    keep = spec.get("keep_source_in")
    if keep is not None and keep not in TEXT:
        raise ProfileError(f"{where}.keep_source_in: one of {', '.join(sorted(TEXT))}")
    fallback: tuple[str, ...] = ()
    if "fallback" in spec:
        if target != "received_at":
            raise ProfileError(f"{where}.fallback: only received_at takes a fallback")
        fallback = _columns(spec["fallback"], f"{where}.fallback")
    return FieldMap(
        target, _columns(spec["column"], f"{where}.column"), None, codes, default, keep, fallback
    )


def parse(data: Any, *, source: str = "") -> Profile:
    if not isinstance(data, dict):
        raise ProfileError("a profile is a mapping of keys (name, kind, fields...)")
    for key in ("name", "kind", "timezone", "id", "fields"):
        if key not in data:
            raise ProfileError(f"{key}: required")
    if data["kind"] not in ("calls", "encounters"):
        raise ProfileError("kind: calls or encounters")
    try:
        zone = zoneinfo.ZoneInfo(str(data["timezone"]))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ProfileError(f"timezone: unknown zone {data['timezone']!r}") from exc
    stamps = data.get("timestamps") or {}
    formats = stamps.get("formats") or ["%Y-%m-%dT%H:%M:%S"]
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise ProfileError("timestamps.formats: a list of strptime formats")
    if not isinstance(data["fields"], dict):
        raise ProfileError("fields: a mapping of corespond field: column")
    fields = {str(t): _field(str(t), spec) for t, spec in data["fields"].items()}
    if "received_at" not in fields:
        raise ProfileError("fields.received_at: required (when the call came in)")
    missing = data.get("missing", [""])
    if not isinstance(missing, list):
        raise ProfileError("missing: a list of values that mean 'not recorded'")
    return Profile(
        name=str(data["name"]),
        description=str(data.get("description", "")),
        kind=data["kind"],
        timezone=zone,
        id_columns=_columns(data["id"], "id"),
        missing=frozenset(_value_key(m) for m in missing) | {""},
        formats=tuple(formats),
        midnight_means_missing=bool(stamps.get("midnight_means_missing", False)),
        fields=fields,
        source=source,
    )


def load(name_or_path: str) -> Profile:
    """A shipped profile by name (``lane-county-mcslc``), or a YAML file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PROFILE_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        shipped = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.yaml")))
        raise ProfileError(f"No profile {name_or_path!r}: give a YAML file or one of {shipped}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path.name}: not valid YAML ({exc})") from exc
    try:
        return parse(data, source=str(path))
    except ProfileError as exc:
        raise ProfileError(f"{path.name}: {exc}") from exc


def shipped() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))
