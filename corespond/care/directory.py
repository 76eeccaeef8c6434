"""The resource directory in and out of Open Referral HSDS 3.0, and its search helpers.

HSDS comes in two shapes, both handled here:

* JSON: a list of ``service`` objects with their organization, ``service_at_locations``
  (each with a ``location``, its ``addresses``), ``phones``, ``languages``, ``schedules``,
  ``capacities`` (with a ``unit``) and ``attributes`` (taxonomy terms, used for the category).
* Tabular CSV: one file per table (``organization.csv``, ``service.csv``, ``location.csv``,
  ``service_at_location.csv``, ``address.csv``, ``phone.csv``, ``schedule.csv``,
  ``language.csv``, ``service_capacity.csv``, ``unit.csv``, ``attribute.csv``,
  ``taxonomy_term.csv``), in a folder or a .zip. Tables are joined into the JSON shape first,
  so one validator serves both.

An import checks every service before it writes any: a bad file is refused whole, with the
service, row and field of each problem, and the directory is left as it was. Services are
matched on their HSDS id, so the same file twice changes nothing. Only weekly schedules are
read (``freq`` WEEKLY or empty); times without a UTC offset are in the program's time zone.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from corespond.care.models import Resource, ResourceSchedule
from corespond.core.models import Program

WEEKDAYS = ResourceSchedule.WEEKDAYS
STALE_AFTER = timedelta(hours=24)
TABLES = (
    "organization",
    "service",
    "location",
    "service_at_location",
    "address",
    "phone",
    "schedule",
    "language",
    "service_capacity",
    "unit",
    "attribute",
    "taxonomy_term",
)
# Resource fields an import sets; anything else (program, pk) is ours.
IMPORTED_FIELDS = (
    "organization",
    "organization_external_id",
    "name",
    "category",
    "description",
    "status",
    "address",
    "latitude",
    "longitude",
    "location_external_id",
    "phone",
    "email",
    "hours",
    "languages",
    "eligibility",
    "min_age",
    "max_age",
    "open_beds",
    "capacity_maximum",
    "capacity_unit",
    "capacity_updated_at",
    "verified_at",
)


@dataclass(frozen=True)
class Problem:
    where: str  # "service 3 (id x)" or "schedule.csv line 7"
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message}"


class DirectoryError(Exception):
    """The file was refused; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s): {shown}{more}")


@dataclass
class ServiceRecord:
    external_id: str
    values: dict[str, Any]
    schedules: list[tuple[int, time, time]] = field(default_factory=list)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_file: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged; "
            f"{self.not_in_file} service(s) in the directory were not in the file (kept)"
        )


# --- reading ---------------------------------------------------------------------------


def read(path: Path | str) -> list[dict[str, Any]]:
    """The services of an HSDS file (.json), folder of CSV tables, or .zip of them."""
    path = Path(path)
    if path.is_dir():
        return _join_tables(_tables_from_folder(path))
    if path.suffix.lower() == ".zip":
        return _join_tables(_tables_from_zip(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DirectoryError([Problem(path.name, "file", f"not valid JSON ({exc})")]) from exc
    if isinstance(data, dict):
        # A single service, or a paged list as the HSDS API returns it ({"contents": [...]})
        data = data.get("contents", [data])
    if not isinstance(data, list):
        raise DirectoryError([Problem(path.name, "file", "expected a list of services")])
    return data


def _table_name(filename: str) -> str | None:
    stem = Path(filename).stem.lower()
    for name in TABLES:
        if stem in (name, name + "s", name.replace("_", "") + "s"):
            return name
    if stem == "taxonomy_terms":
        return "taxonomy_term"
    return None


def _rows(text: str, table: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for line, row in enumerate(reader, start=2):
        clean = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        clean["_where"] = f"{table}.csv line {line}"
        rows.append(clean)
    return rows


def _tables_from_folder(folder: Path) -> dict[str, list[dict[str, str]]]:
    tables: dict[str, list[dict[str, str]]] = {}
    for file in sorted(folder.glob("*.csv")):
        name = _table_name(file.name)
        if name:
            tables[name] = _rows(file.read_text(encoding="utf-8-sig"), name)
    return tables


def _tables_from_zip(path: Path) -> dict[str, list[dict[str, str]]]:
    tables: dict[str, list[dict[str, str]]] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = _table_name(info.filename)
                if name and info.filename.lower().endswith(".csv"):
                    text = archive.read(info).decode("utf-8-sig")
                    tables[name] = _rows(text, name)
    except zipfile.BadZipFile as exc:
        raise DirectoryError([Problem(path.name, "file", "not a zip archive")]) from exc
    return tables


def _join_tables(tables: dict[str, list[dict[str, str]]]) -> list[dict[str, Any]]:
    """Nest the tabular rows into HSDS JSON service objects."""
    if "service" not in tables:
        raise DirectoryError([Problem("tables", "service.csv", "no service table found")])

    def by(table: str, key: str) -> dict[str, list[dict[str, str]]]:
        grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in tables.get(table, []):
            grouped[row.get(key, "")].append(row)
        return grouped

    orgs = {row.get("id", ""): row for row in tables.get("organization", [])}
    locations = {row.get("id", ""): row for row in tables.get("location", [])}
    units = {row.get("id", ""): row for row in tables.get("unit", [])}
    terms = {row.get("id", ""): row for row in tables.get("taxonomy_term", [])}
    addresses = by("address", "location_id")
    at_locations = by("service_at_location", "service_id")
    phones = by("phone", "service_id")
    schedules = by("schedule", "service_id")
    languages = by("language", "service_id")
    capacities = by("service_capacity", "service_id")
    attributes = by("attribute", "link_id")
    services = []
    for row in tables["service"]:
        sid = row.get("id", "")
        service: dict[str, Any] = dict(row)
        service["organization"] = orgs.get(row.get("organization_id", ""))
        service["service_at_locations"] = [
            {
                "location": {
                    **locations.get(link.get("location_id", ""), {}),
                    "addresses": addresses.get(link.get("location_id", ""), []),
                }
            }
            for link in at_locations.get(sid, [])
            if link.get("location_id", "") in locations
        ]
        service["phones"] = phones.get(sid, [])
        service["schedules"] = schedules.get(sid, [])
        service["languages"] = languages.get(sid, [])
        service["capacities"] = [
            {**cap, "unit": units.get(cap.get("unit_id", ""))} for cap in capacities.get(sid, [])
        ]
        service["attributes"] = [
            {**attr, "taxonomy_term": terms.get(attr.get("taxonomy_term_id", ""))}
            for attr in attributes.get(sid, [])
        ]
        services.append(service)
    return services


# --- validating --------------------------------------------------------------------------


def _time_of_day(text: str, zone: zoneinfo.ZoneInfo, today: date) -> time:
    """HH:MM, optionally with Z or ±HH:MM; converted into the program's zone."""
    raw = text.strip()
    offset = None
    if raw.endswith("Z"):
        raw, offset = raw[:-1], "+00:00"
    elif len(raw) > 5 and raw[-6] in "+-":
        raw, offset = raw[:-6], raw[-6:]
    parsed = time.fromisoformat(raw)
    if offset is None:
        return parsed.replace(second=0, microsecond=0)
    aware = datetime.fromisoformat(f"{today.isoformat()}T{parsed:%H:%M}{offset}")
    return aware.astimezone(zone).time().replace(second=0, microsecond=0)


def _number(value: Any, *, integer: bool) -> float | int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError("expected a number")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise ValueError("expected a finite number")
    if integer:
        if number != int(number):
            raise ValueError("expected a whole number")
        return int(number)
    return number


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise ValueError("expected text")
    text = str(value).strip()
    if len(text) > limit:
        raise ValueError(f"longer than {limit} characters")
    return text


def _list(service: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = service.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"{key} must be a list of objects")
    return items


def validate(
    services: list[Any], *, zone: zoneinfo.ZoneInfo, now: datetime | None = None
) -> list[ServiceRecord]:
    """Every service checked; DirectoryError lists every problem found, nothing is kept."""
    now = now or timezone.now()
    problems: list[Problem] = []
    records: list[ServiceRecord] = []
    seen: set[str] = set()
    for index, service in enumerate(services, start=1):
        if not isinstance(service, dict):
            problems.append(Problem(f"service {index}", "service", "expected an object"))
            continue
        where = str(service.get("_where") or f"service {index}")
        sid = str(service.get("id") or "").strip()
        if sid:
            where += f" (id {sid})"

        def bad(name: str, message: str, at: str = "", where: str = where) -> None:
            problems.append(Problem(at or where, name, message))

        if not sid:
            bad("id", "every service needs its HSDS id")
        elif len(sid) > 64:
            bad("id", "longer than 64 characters")
        elif sid in seen:
            bad("id", "the same id appears twice in the file")
        seen.add(sid)
        values: dict[str, Any] = {}
        for key, name, limit in (
            ("name", "name", 200),
            ("description", "description", 4000),
            ("email", "email", 200),
            ("eligibility_description", "eligibility", 200),
        ):
            try:
                values[name] = _text(service.get(key), limit)
            except ValueError as exc:
                bad(key, str(exc))
        if not values.get("name"):
            bad("name", "every service needs a name")
        status = str(service.get("status") or "active").strip().lower()
        if status not in Resource.Status.values:
            bad("status", f"{status!r} is not one of {', '.join(Resource.Status.values)}")
        values["status"] = status
        org = service.get("organization")
        if not isinstance(org, dict) or not str(org.get("name") or "").strip():
            bad("organization", "every service needs an organization with a name")
        else:
            values["organization"] = str(org["name"]).strip()[:200]
            values["organization_external_id"] = str(org.get("id") or "")[:64]
        for key, name in (("minimum_age", "min_age"), ("maximum_age", "max_age")):
            try:
                age = _number(service.get(key), integer=True)
                if age is not None and not 0 <= age <= 130:
                    raise ValueError("an age from 0 to 130")
                values[name] = age
            except (TypeError, ValueError) as exc:
                bad(key, str(exc))
        if (
            values.get("min_age") is not None
            and values.get("max_age") is not None
            and values["min_age"] > values["max_age"]
        ):
            bad("maximum_age", "is below minimum_age")
        assured = str(service.get("assured_date") or "").strip()
        values["verified_at"] = None
        if assured:
            try:
                values["verified_at"] = datetime.combine(
                    date.fromisoformat(assured[:10]), time(), zone
                )
            except ValueError:
                bad("assured_date", f"{assured!r} is not a date (YYYY-MM-DD)")
        try:
            _location_values(service, values)
            _phone_language_values(service, values)
            _capacity_values(service, values, now)
            values["category"] = _category(service)
            schedules = _schedules(service, zone, now.date(), problems, where)
            values["hours"] = str(service.get("_hours") or "") or _hours_text(schedules)
        except ValueError as exc:
            bad("service", str(exc))
            continue
        records.append(ServiceRecord(sid, values, schedules))
    if problems:
        raise DirectoryError(problems)
    return records


def _location_values(service: dict[str, Any], values: dict[str, Any]) -> None:
    links = _list(service, "service_at_locations")
    location = (links[0].get("location") or {}) if links else {}
    if not isinstance(location, dict):
        raise ValueError("service_at_locations[0].location must be an object")
    values["location_external_id"] = str(location.get("id") or "")[:64]
    lat = _number(location.get("latitude"), integer=False)
    lon = _number(location.get("longitude"), integer=False)
    if lat is not None and not -90 <= lat <= 90:
        raise ValueError(f"location latitude {lat} is outside -90..90")
    if lon is not None and not -180 <= lon <= 180:
        raise ValueError(f"location longitude {lon} is outside -180..180")
    if (lat is None) != (lon is None):
        raise ValueError("a location needs both latitude and longitude, or neither")
    values["latitude"], values["longitude"] = lat, lon
    addresses = _list(location, "addresses") if location else []
    if addresses:
        a = addresses[0]
        parts = [a.get("address_1"), a.get("city"), a.get("state_province"), a.get("postal_code")]
        values["address"] = ", ".join(str(p).strip() for p in parts if p)[:200]
    else:
        values["address"] = ""


def _phone_language_values(service: dict[str, Any], values: dict[str, Any]) -> None:
    phones = _list(service, "phones")
    values["phone"] = str(phones[0].get("number") or "").strip()[:32] if phones else ""
    names = [
        str(lang.get("name") or lang.get("code") or "").strip()
        for lang in _list(service, "languages")
    ]
    values["languages"] = ", ".join(n for n in names if n)[:200]


def _capacity_values(service: dict[str, Any], values: dict[str, Any], now: datetime) -> None:
    capacities = _list(service, "capacities")
    values.update(open_beds=None, capacity_maximum=None, capacity_unit="", capacity_updated_at=None)
    if not capacities:
        return
    cap = capacities[0]
    available = _number(cap.get("available"), integer=True)
    maximum = _number(cap.get("maximum"), integer=True)
    if available is None or available < 0:
        raise ValueError("capacities[0].available must be a whole number of 0 or more")
    if maximum is not None and maximum < 0:
        raise ValueError("capacities[0].maximum must be 0 or more")
    updated = parse_datetime(str(cap.get("updated") or ""))
    if updated is None:
        raise ValueError("capacities[0].updated must be a date-time (when the figure was true)")
    if timezone.is_naive(updated):
        updated = timezone.make_aware(updated, timezone.get_default_timezone())
    if updated > now + timedelta(minutes=5):
        raise ValueError("capacities[0].updated is in the future")
    unit = cap.get("unit") or {}
    values.update(
        open_beds=available,
        capacity_maximum=maximum,
        capacity_unit=str(unit.get("name") or "bed").strip().lower()[:40]
        if isinstance(unit, dict)
        else "bed",
        capacity_updated_at=updated,
    )


def _category(service: dict[str, Any]) -> str:
    for attr in _list(service, "attributes"):
        term = attr.get("taxonomy_term") or {}
        if isinstance(term, dict):
            code = str(term.get("code") or term.get("name") or "").strip()
            if code:
                return code.lower().replace(" ", "_")[:64]
    return "other"


def _schedules(
    service: dict[str, Any],
    zone: zoneinfo.ZoneInfo,
    today: date,
    problems: list[Problem],
    where: str,
) -> list[tuple[int, time, time]]:
    out: list[tuple[int, time, time]] = []
    for n, sched in enumerate(_list(service, "schedules"), start=1):
        at = str(sched.get("_where") or f"{where} schedule {n}")
        freq = str(sched.get("freq") or "WEEKLY").upper()
        if freq != "WEEKLY":
            problems.append(Problem(at, "freq", f"only weekly schedules are read, not {freq}"))
            continue
        days = [d.strip().upper() for d in str(sched.get("byday") or "").split(",") if d.strip()]
        unknown = [d for d in days if d not in WEEKDAYS]
        if not days or unknown:
            problems.append(
                Problem(
                    at, "byday", f"days must be among {','.join(WEEKDAYS)}, got {days or 'none'}"
                )
            )
            continue
        try:
            opens = _time_of_day(str(sched.get("opens_at") or ""), zone, today)
            closes = _time_of_day(str(sched.get("closes_at") or ""), zone, today)
        except ValueError:
            problems.append(Problem(at, "opens_at/closes_at", "times must be HH:MM"))
            continue
        out += [(WEEKDAYS.index(d), opens, closes) for d in days]
        if sched.get("description") and not service.get("_hours"):
            service["_hours"] = str(sched["description"])[:120]
    return out


# --- writing -----------------------------------------------------------------------------


@transaction.atomic
def import_records(program: Program, records: list[ServiceRecord]) -> ImportReport:
    """Create or update every service in one transaction (all or nothing)."""
    report = ImportReport()
    existing = {r.external_id: r for r in Resource.objects.filter(program=program)}
    for record in records:
        values = dict(record.values)
        resource = existing.get(record.external_id)
        wanted_schedules = sorted(record.schedules)
        if resource is None:
            resource = Resource.objects.create(
                program=program, external_id=record.external_id, **values
            )
            report.created += 1
        else:
            current_schedules = sorted(
                (s.weekday, s.opens_at, s.closes_at) for s in resource.schedules.all()
            )
            changed = {k: v for k, v in values.items() if getattr(resource, k) != v}
            if not changed and current_schedules == wanted_schedules:
                report.unchanged += 1
                continue
            for key, value in changed.items():
                setattr(resource, key, value)
            resource.save()
            report.updated += 1
        resource.schedules.all().delete()
        ResourceSchedule.objects.bulk_create(
            ResourceSchedule(resource=resource, weekday=d, opens_at=o, closes_at=c)
            for d, o, c in wanted_schedules
        )
    in_file = {r.external_id for r in records}
    report.not_in_file = sum(1 for key in existing if key and key not in in_file)
    return report


def import_file(program: Program, path: Path | str) -> ImportReport:
    """Read, validate and write: the whole file or nothing."""
    records = validate(read(path), zone=program.tzinfo)
    return import_records(program, records)


def _hours_text(schedules: Iterable[tuple[int, time, time]]) -> str:
    by_time: dict[tuple[time, time], list[str]] = defaultdict(list)
    for day, opens, closes in sorted(schedules):
        by_time[(opens, closes)].append(WEEKDAYS[day])
    parts = [f"{','.join(days)} {o:%H:%M}-{c:%H:%M}" for (o, c), days in by_time.items()]
    return "; ".join(parts)[:120]


# --- exporting ---------------------------------------------------------------------------


def _service_json(resource: Resource, zone: zoneinfo.ZoneInfo) -> dict[str, Any]:
    sid = resource.external_id or f"corespond-resource-{resource.pk}"
    org_id = resource.organization_external_id or f"corespond-org-{resource.organization}"
    loc_id = resource.location_external_id or f"{sid}-location"
    location: dict[str, Any] = {
        "id": loc_id,
        "location_type": "physical",
        "name": resource.name,
        "latitude": resource.latitude,
        "longitude": resource.longitude,
        "addresses": (
            [
                {
                    "id": f"{loc_id}-address",
                    "location_id": loc_id,
                    "address_1": resource.address,
                    "city": "",
                    "state_province": "",
                    "postal_code": "",
                    "country": "US",
                    "address_type": "physical",
                }
            ]
            if resource.address
            else []
        ),
    }
    service: dict[str, Any] = {
        "id": sid,
        "organization_id": org_id,
        "name": resource.name,
        "description": resource.description,
        "status": resource.status,
        "email": resource.email,
        "eligibility_description": resource.eligibility,
        "minimum_age": resource.min_age,
        "maximum_age": resource.max_age,
        "assured_date": resource.verified_at.astimezone(zone).date().isoformat()
        if resource.verified_at
        else None,
        "organization": {"id": org_id, "name": resource.organization, "description": ""},
        "service_at_locations": [
            {
                "id": f"{sid}-at-{loc_id}",
                "service_id": sid,
                "location_id": loc_id,
                "location": location,
            }
        ],
        "phones": (
            [{"id": f"{sid}-phone", "service_id": sid, "number": resource.phone}]
            if resource.phone
            else []
        ),
        "languages": [
            {"id": f"{sid}-language-{i}", "service_id": sid, "name": name}
            for i, name in enumerate(resource.language_list(), start=1)
        ],
        "schedules": [
            {
                "id": f"{sid}-schedule-{s.pk}",
                "service_id": sid,
                "freq": "WEEKLY",
                "byday": WEEKDAYS[s.weekday],
                "opens_at": f"{s.opens_at:%H:%M}",
                "closes_at": f"{s.closes_at:%H:%M}",
                "description": resource.hours,
            }
            for s in resource.schedules.all()
        ],
        "capacities": (
            [
                {
                    "id": f"{sid}-capacity",
                    "service_id": sid,
                    "unit_id": f"corespond-unit-{resource.capacity_unit or 'bed'}",
                    "unit": {
                        "id": f"corespond-unit-{resource.capacity_unit or 'bed'}",
                        "name": resource.capacity_unit or "bed",
                    },
                    "available": resource.open_beds,
                    "maximum": resource.capacity_maximum,
                    "updated": resource.capacity_updated_at.isoformat()
                    if resource.capacity_updated_at
                    else None,
                }
            ]
            if resource.open_beds is not None and resource.capacity_updated_at
            else []
        ),
        "attributes": [
            {
                "id": f"{sid}-category",
                "link_id": sid,
                "link_type": "service_type",
                "link_entity": "service",
                "taxonomy_term_id": f"corespond-category-{resource.category}",
                "taxonomy_term": {
                    "id": f"corespond-category-{resource.category}",
                    "code": resource.category,
                    "name": resource.category.replace("_", " "),
                    "description": "corespond resource category",
                    "taxonomy": "corespond",
                },
            }
        ],
    }
    return service


def export_json(program: Program) -> list[dict[str, Any]]:
    zone = program.tzinfo
    resources = Resource.objects.filter(program=program).prefetch_related("schedules")
    return [_service_json(r, zone) for r in resources]


# Columns written per table: the HSDS fields corespond holds.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "organization": ("id", "name", "description"),
    "service": (
        "id",
        "organization_id",
        "name",
        "description",
        "status",
        "email",
        "eligibility_description",
        "minimum_age",
        "maximum_age",
        "assured_date",
    ),
    "location": ("id", "location_type", "name", "latitude", "longitude"),
    "service_at_location": ("id", "service_id", "location_id"),
    "address": (
        "id",
        "location_id",
        "address_1",
        "city",
        "state_province",
        "postal_code",
        "country",
        "address_type",
    ),
    "phone": ("id", "service_id", "number"),
    "language": ("id", "service_id", "name"),
    "schedule": ("id", "service_id", "freq", "byday", "opens_at", "closes_at", "description"),
    "service_capacity": ("id", "service_id", "unit_id", "available", "maximum", "updated"),
    "unit": ("id", "name"),
    "attribute": ("id", "link_id", "link_type", "link_entity", "taxonomy_term_id"),
    "taxonomy_term": ("id", "code", "name", "description", "taxonomy"),
}


def export_csv_zip(program: Program) -> bytes:
    """The tabular form: one CSV per HSDS table, zipped."""
    rows: dict[str, dict[str, dict[str, Any]]] = {table: {} for table in CSV_COLUMNS}
    for service in export_json(program):
        org = service["organization"]
        rows["organization"][org["id"]] = org
        rows["service"][service["id"]] = service
        for link in service["service_at_locations"]:
            rows["service_at_location"][link["id"]] = link
            rows["location"][link["location"]["id"]] = link["location"]
            for address in link["location"]["addresses"]:
                rows["address"][address["id"]] = address
        for key, table in (
            ("phones", "phone"),
            ("languages", "language"),
            ("schedules", "schedule"),
        ):
            for item in service[key]:
                rows[table][item["id"]] = item
        for cap in service["capacities"]:
            rows["service_capacity"][cap["id"]] = cap
            rows["unit"][cap["unit"]["id"]] = cap["unit"]
        for attr in service["attributes"]:
            rows["attribute"][attr["id"]] = attr
            rows["taxonomy_term"][attr["taxonomy_term"]["id"]] = attr["taxonomy_term"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table, columns in CSV_COLUMNS.items():
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows[table].values():
                writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
            archive.writestr(f"{table}.csv", text.getvalue())
    return buffer.getvalue()


# --- search helpers ----------------------------------------------------------------------


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius 6,371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def is_open(schedules: list[ResourceSchedule], local: datetime) -> bool | None:
    """Open at the local time ``local``? None when the service publishes no weekly hours."""
    if not schedules:
        return None
    today, now = local.weekday(), local.time()
    yesterday = (today - 1) % 7
    for s in schedules:
        overnight = s.closes_at <= s.opens_at
        if s.weekday == today and (
            s.opens_at <= now < s.closes_at or (overnight and now >= s.opens_at)
        ):
            return True
        # An overnight opening that began yesterday is still open this morning.
        if overnight and s.weekday == yesterday and now < s.closes_at:
            return True
        # 00:00-23:59 is how HSDS says "all day".
        if s.weekday == today and s.opens_at == time(0, 0) and s.closes_at == time(23, 59):
            return True
    return False


def capacity_is_stale(resource: Resource, now: datetime) -> bool:
    """A capacity figure older than 24 hours is shown as stale, not as fact."""
    stamp = resource.capacity_updated_at or resource.verified_at
    return stamp is None or now - stamp > STALE_AFTER
