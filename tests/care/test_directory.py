"""The resource directory: Open Referral HSDS in and out, and search by need, distance, hours,
eligibility, with stale capacity marked as stale."""

from __future__ import annotations

import copy
import json
import zipfile
import zoneinfo
from datetime import datetime, time
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corespond.care import directory, selectors
from corespond.care.models import Resource, ResourceSchedule
from tests.factories import ProgramFactory

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
# A Wednesday, 14:00 in the program's zone.
WEDNESDAY_2PM = datetime(2026, 11, 25, 14, 0, tzinfo=LA)


def service(sid: str, **over) -> dict:
    """One HSDS 3.0 service object, written for these tests from the standard's field names."""
    data = {
        "id": sid,
        "name": f"Service {sid}",
        "description": "Walk-in crisis stabilisation",
        "status": "active",
        "eligibility_description": "Adults",
        "minimum_age": 18,
        "maximum_age": None,
        "assured_date": "2026-11-20",
        "organization": {"id": f"org-{sid}", "name": "Harbor Health"},
        "service_at_locations": [
            {
                "id": f"sal-{sid}",
                "location": {
                    "id": f"loc-{sid}",
                    "latitude": 44.05,
                    "longitude": -123.09,
                    "addresses": [
                        {
                            "address_1": "10 Pier Rd",
                            "city": "Riverton",
                            "state_province": "OR",
                            "postal_code": "97401",
                        }
                    ],
                },
            }
        ],
        "phones": [{"id": f"ph-{sid}", "number": "555-0100"}],
        "languages": [{"name": "English"}, {"name": "Spanish"}],
        "schedules": [
            {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "08:00", "closes_at": "17:00"}
        ],
        "capacities": [
            {
                "available": 4,
                "maximum": 16,
                "updated": "2026-11-25T13:00:00-08:00",
                "unit": {"id": "u-bed", "name": "Bed"},
            }
        ],
        "attributes": [{"taxonomy_term": {"code": "crisis_stabilization", "name": "Crisis"}}],
    }
    data.update(over)
    return data


def write(tmp_path: Path, services: list, name: str = "hsds.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(services))
    return path


def test_an_hsds_json_file_loads_once_and_a_second_load_changes_nothing(world, tmp_path) -> None:
    path = write(tmp_path, [service("a"), service("b", name="Night shelter")])
    report = directory.import_file(world.program, path)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    a = Resource.objects.get(program=world.program, external_id="a")
    assert (a.organization, a.category, a.open_beds, a.capacity_maximum, a.capacity_unit) == (
        "Harbor Health",
        "crisis_stabilization",
        4,
        16,
        "bed",
    )
    assert a.address == "10 Pier Rd, Riverton, OR, 97401"
    assert (a.min_age, a.max_age, a.language_list()) == (18, None, ["English", "Spanish"])
    assert [str(s) for s in a.schedules.all()] == [
        f"{d} 08:00-17:00" for d in ("MO", "TU", "WE", "TH", "FR")
    ]
    again = directory.import_file(world.program, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Resource.objects.filter(program=world.program).count() == 2
    # A later capacity figure updates just that service.
    newer = service("a", capacities=[{"available": 0, "updated": "2026-11-25T15:00:00-08:00"}])
    third = directory.import_file(world.program, write(tmp_path, [newer], "newer.json"))
    assert (third.updated, third.not_in_file) == (1, 1)
    assert Resource.objects.get(external_id="a").open_beds == 0


def test_a_bad_file_is_refused_whole_naming_service_and_field(world, tmp_path) -> None:
    bad_location = service("b")
    bad_location["service_at_locations"][0]["location"]["latitude"] = 123
    services = [
        service("a"),  # fine, but must not be written either
        bad_location,
        service("c", name=""),
        service("d", minimum_age=40, maximum_age=20),
        service("e", schedules=[{"freq": "MONTHLY", "byday": "2MO", "opens_at": "9:00"}]),
        service("a"),  # a duplicate id
        service("f", capacities=[{"available": -1, "updated": "2026-11-25T13:00:00Z"}]),
    ]
    with pytest.raises(directory.DirectoryError) as err:
        directory.import_file(world.program, write(tmp_path, services))
    found = {(p.where, p.field) for p in err.value.problems}
    assert ("service 2 (id b)", "service") in found  # latitude outside -90..90
    assert ("service 3 (id c)", "name") in found
    assert ("service 4 (id d)", "maximum_age") in found
    assert ("service 5 (id e) schedule 1", "freq") in found
    assert ("service 6 (id a)", "id") in found
    assert ("service 7 (id f)", "service") in found
    assert "latitude 123" in str(err.value)
    assert not Resource.objects.exists()


@pytest.mark.parametrize("content", [b"{not json", b'"a string"'])
def test_a_file_that_is_not_hsds_json_is_refused(world, tmp_path, content) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(directory.DirectoryError):
        directory.import_file(world.program, path)


def test_times_with_a_utc_offset_are_moved_into_the_programs_zone(world, tmp_path) -> None:
    eastern = service(
        "a",
        schedules=[
            {"byday": "SA", "opens_at": "09:00-05:00", "closes_at": "12:00-05:00"},
            {"byday": "SU", "opens_at": "18:00Z", "closes_at": "20:00Z"},
        ],
    )
    directory.import_file(world.program, write(tmp_path, [eastern]))
    # The program is in Los Angeles (UTC-8 in November): 09:00 EST is 06:00 there.
    got = {
        (s.weekday, s.opens_at, s.closes_at)
        for s in ResourceSchedule.objects.filter(resource__external_id="a")
    }
    assert got == {(5, time(6), time(9)), (6, time(10), time(12))}


def test_json_and_csv_exports_load_back_to_the_same_directory(world, tmp_path) -> None:
    overnight = [{"byday": "FR,SA", "opens_at": "20:00", "closes_at": "08:00"}]
    directory.import_file(
        world.program,
        write(tmp_path, [service("a"), service("b", schedules=overnight, capacities=[])]),
    )
    fields = [*directory.IMPORTED_FIELDS, "external_id"]

    def snapshot(program) -> list:
        return [
            (
                [getattr(r, f) for f in fields],
                sorted((s.weekday, s.opens_at, s.closes_at) for s in r.schedules.all()),
            )
            for r in Resource.objects.filter(program=program).order_by("external_id")
        ]

    as_json = ProgramFactory(slug="copy-json", timezone="America/Los_Angeles")
    directory.import_file(as_json, write(tmp_path, directory.export_json(world.program), "e.json"))
    as_csv = ProgramFactory(slug="copy-csv", timezone="America/Los_Angeles")
    archive = tmp_path / "hsds.zip"
    archive.write_bytes(directory.export_csv_zip(world.program))
    with zipfile.ZipFile(archive) as z:
        assert {"service.csv", "organization.csv", "schedule.csv", "service_capacity.csv"} <= set(
            z.namelist()
        )
    directory.import_file(as_csv, archive)
    assert snapshot(as_json) == snapshot(world.program)
    assert snapshot(as_csv) == snapshot(world.program)
    # And the tables also load from a plain folder, plural file names included.
    folder = tmp_path / "tables"
    folder.mkdir()
    with zipfile.ZipFile(BytesIO(archive.read_bytes())) as z:
        for name in z.namelist():
            target = "services.csv" if name == "service.csv" else name
            (folder / target).write_bytes(z.read(name))
    as_folder = ProgramFactory(slug="copy-folder", timezone="America/Los_Angeles")
    directory.import_file(as_folder, folder)
    assert snapshot(as_folder) == snapshot(world.program)


def test_a_bad_csv_row_is_named_by_file_and_line(world, tmp_path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "organization.csv").write_text("id,name\no1,Harbor\n")
    (folder / "service.csv").write_text(
        "id,organization_id,name,status\ns1,o1,Respite,active\ns2,o1,Shelter,closed-ish\n"
    )
    (folder / "schedule.csv").write_text(
        "id,service_id,freq,byday,opens_at,closes_at\nx,s1,WEEKLY,XX,09:00,17:00\n"
    )
    with pytest.raises(directory.DirectoryError) as err:
        directory.import_file(world.program, folder)
    found = {(p.where, p.field) for p in err.value.problems}
    assert ("service.csv line 3 (id s2)", "status") in found
    assert ("schedule.csv line 2", "byday") in found
    assert not Resource.objects.exists()


def _schedule(day: int, opens: str, closes: str) -> ResourceSchedule:
    return ResourceSchedule(
        weekday=day, opens_at=time.fromisoformat(opens), closes_at=time.fromisoformat(closes)
    )


@pytest.mark.parametrize(
    ("schedules", "at", "expected"),
    [
        ([], WEDNESDAY_2PM, None),
        ([_schedule(2, "08:00", "17:00")], WEDNESDAY_2PM, True),
        ([_schedule(2, "08:00", "14:00")], WEDNESDAY_2PM, False),  # closes at 14:00 sharp
        ([_schedule(1, "08:00", "17:00")], WEDNESDAY_2PM, False),  # Tuesday only
        # Overnight: opens Tuesday 20:00, still open Wednesday 03:00, closed at 09:00.
        ([_schedule(1, "20:00", "08:00")], WEDNESDAY_2PM.replace(hour=3), True),
        ([_schedule(1, "20:00", "08:00")], WEDNESDAY_2PM.replace(hour=9), False),
        ([_schedule(2, "20:00", "08:00")], WEDNESDAY_2PM.replace(hour=23), True),
        ([_schedule(2, "00:00", "23:59")], WEDNESDAY_2PM.replace(hour=23, minute=59), True),
    ],
)
def test_open_now_follows_the_weekly_hours(schedules, at, expected) -> None:
    assert directory.is_open(schedules, at) is expected


def test_distance_is_great_circle_kilometres() -> None:
    # One degree of latitude is about 111.2 km anywhere.
    assert directory.distance_km(44.0, -123.0, 45.0, -123.0) == pytest.approx(111.19, abs=0.01)
    assert directory.distance_km(44.0, -123.0, 44.0, -123.0) == 0


@pytest.fixture
def listed(world, tmp_path):
    services = [
        service("near-adult", name="Harbor Respite"),
        service(
            "far-youth",
            name="Youth Crisis Line Centre",
            minimum_age=12,
            maximum_age=24,
            languages=[{"name": "English"}],
            service_at_locations=[{"location": {"latitude": 44.5, "longitude": -123.09}}],
            attributes=[{"taxonomy_term": {"code": "youth"}}],
        ),
        service(
            "night",
            name="Night Shelter",
            schedules=[
                {"byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": "19:00", "closes_at": "07:00"}
            ],
            capacities=[{"available": 12, "updated": "2026-11-20T08:00:00-08:00"}],
            attributes=[{"taxonomy_term": {"code": "shelter"}}],
        ),
        service("gone", name="Old Clinic", status="defunct"),
    ]
    directory.import_file(world.program, write(tmp_path, services))
    return world


def _names(hits) -> list[str]:
    return [h.resource.name for h in hits]


def test_search_by_need_eligibility_language_hours_and_distance(listed) -> None:
    u, at = listed.clara, WEDNESDAY_2PM
    assert _names(selectors.resource_search(user=u, query="youth", at=at)) == [
        "Youth Crisis Line Centre"
    ]
    # Defunct services are never offered.
    assert "Old Clinic" not in _names(selectors.resource_search(user=u, at=at))
    assert _names(selectors.resource_search(user=u, category="shelter", at=at)) == ["Night Shelter"]
    # A 15-year-old is eligible only for the youth service (the others are 18+).
    assert _names(selectors.resource_search(user=u, age=15, at=at)) == ["Youth Crisis Line Centre"]
    assert "Youth Crisis Line Centre" not in _names(
        selectors.resource_search(user=u, language="spanish", at=at)
    )
    # At 14:00 the night shelter is closed; at 23:00 it is the one open.
    open_2pm = _names(selectors.resource_search(user=u, open_now=True, at=at))
    assert "Night Shelter" not in open_2pm and "Harbor Respite" in open_2pm
    late = at.replace(hour=23)
    assert _names(selectors.resource_search(user=u, open_now=True, at=late)) == ["Night Shelter"]
    # Nearest first from a point beside the respite; the youth centre is ~50 km north.
    hits = selectors.resource_search(user=u, near=(44.05, -123.09), at=at)
    assert hits[-1].resource.name == "Youth Crisis Line Centre"
    assert hits[-1].distance_km == pytest.approx(50.0, abs=0.5)
    assert hits[0].distance_km == pytest.approx(0.0)


def test_capacity_older_than_a_day_is_stale(listed) -> None:
    hits = {
        h.resource.name: h for h in selectors.resource_search(user=listed.clara, at=WEDNESDAY_2PM)
    }
    assert hits["Harbor Respite"].stale is False  # confirmed an hour before
    assert hits["Night Shelter"].stale is True  # confirmed five days before
    # Outsiders see no directory of this program.
    assert selectors.resource_search(user=listed.olga, at=WEDNESDAY_2PM) == []


def test_the_directory_page_filters_and_marks_stale_capacity(listed) -> None:
    client = Client()
    client.force_login(listed.clara)
    url = reverse("care:resources")
    page = client.get(url, {"near": "44.05,-123.09", "category": "shelter"}).content.decode()
    assert "Night Shelter" in page and "Harbor Respite" not in page
    assert "stale: confirmed" in page and " km" in page
    bad = client.get(url, {"near": "north-ish"})
    assert bad.status_code == 400 and "Give a latitude and a longitude" in bad.content.decode()
    export = client.get(reverse("care:resources_export", args=[listed.program.slug, "json"]))
    assert {s["id"] for s in json.loads(export.content)} == {
        "near-adult",
        "far-youth",
        "night",
        "gone",
    }
    client.force_login(listed.olga)
    assert (
        client.get(reverse("care:resources_export", args=[listed.program.slug, "zip"])).status_code
        == 404
    )


def test_directory_command_imports_checks_and_exports(world, tmp_path) -> None:
    path = write(tmp_path, [service("a")])
    out = StringIO()
    call_command(
        "directory", "import", str(path), "--program", world.program.slug, "--dry-run", stdout=out
    )
    assert "nothing written" in out.getvalue() and not Resource.objects.exists()
    call_command("directory", "import", str(path), "--program", world.program.slug, stdout=out)
    assert "1 created" in out.getvalue()
    bad = write(tmp_path, [service("z", name="")], "bad.json")
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("directory", "import", str(bad), "--program", world.program.slug, stderr=err)
    assert "service 1 (id z), name" in err.getvalue()
    target = tmp_path / "out.zip"
    call_command(
        "directory",
        "export",
        "--program",
        world.program.slug,
        "--format",
        "csv",
        "--out",
        str(target),
        stdout=out,
    )
    assert zipfile.is_zipfile(target)


def test_an_import_is_all_or_nothing_even_when_the_database_refuses(
    world, tmp_path, monkeypatch
) -> None:
    directory.import_file(world.program, write(tmp_path, [service("a")]))
    before = list(Resource.objects.values_list("external_id", "open_beds"))
    changed = [service("a", capacities=[]), service("b")]
    records = directory.validate(copy.deepcopy(changed), zone=LA, now=timezone.now())
    real_bulk_create = ResourceSchedule.objects.bulk_create
    calls = {"n": 0}

    def failing(objs, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(ResourceSchedule.objects, "bulk_create", failing)
    with pytest.raises(RuntimeError):
        directory.import_records(world.program, records)
    assert list(Resource.objects.values_list("external_id", "open_beds")) == before
