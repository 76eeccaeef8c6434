"""The demo county: a deterministic, synthetic year of a co-responder program.

Nothing here describes a real person: names, addresses and histories are drawn from small
generic word lists with a seeded random generator, so the same seed always gives the same
county. Rates and intervals come from ``params`` (sources in docs/demo-county.md).

Loading is idempotent: reference data is matched by stable keys, and the synthetic history for
a seed is written in one transaction and skipped if that seed's calls are already there.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from corespond.care.models import (
    FollowUp,
    FollowUpAttempt,
    Referral,
    ReferralStatusChange,
    Resource,
    ResourceSchedule,
)
from corespond.core.access import Action, audit_event, system
from corespond.core.models import Agency, Membership, Program, User
from corespond.core.vocab import (
    AgencyKind,
    ContactOutcome,
    Disposition,
    FollowUpOutcome,
    ProgramModel,
    ReferralStatus,
    ResponseType,
    Role,
    SafetyFlagKind,
    TransportedBy,
    UnitStatus,
    UnservedReason,
)
from corespond.core.vocab import Intervention as InterventionKind
from corespond.demo import params as P
from corespond.dispatch.models import Assignment, Shift, Team, TeamMember
from corespond.field.models import Encounter, EncounterPerson, Intervention
from corespond.intake.models import Call, TriageDecision
from corespond.intake.protocols_store import active_protocol, protocol_install_template
from corespond.intake.services import call_facts
from corespond.outcomes.costs import assumptions_install_defaults
from corespond.people.models import Person, SafetyFlag
from corespond.sharing.services import agreement_install_defaults

PROGRAM_SLUG = "demo-county"
TIMEZONE = "America/Los_Angeles"
# Demo only: printed at the end of `corespond demo`. A production install has no demo users.
DEMO_PASSWORD = "demo-county-2026"
# The demo program's dispatch protocol (service hours 07:00-23:00; the three-person team
# works nights too): corespond/intake/protocols/mixed.toml.
PROTOCOL_TEMPLATE = "mixed"

AGENCIES = [
    ("riverton-pd", "Riverton Police Department", AgencyKind.POLICE),
    ("lakeside-pd", "Lakeside Police Department", AgencyKind.POLICE),
    ("harbor-bh", "Harbor Behavioral Health", AgencyKind.BEHAVIORAL_HEALTH),
]


@dataclass(frozen=True)
class Persona:
    username: str
    first_name: str
    last_name: str
    agency: str
    role: str
    team: str = ""


PERSONAS = [
    Persona("dispatch.riverton", "Dana", "Ruiz", "riverton-pd", Role.DISPATCHER),
    Persona("dispatch.lakeside", "Lee", "Okafor", "lakeside-pd", Role.DISPATCHER),
    Persona("officer.riverton", "Omar", "Reyes", "riverton-pd", Role.OFFICER, "CR-1"),
    Persona("officer.lakeside", "Olivia", "Lund", "lakeside-pd", Role.OFFICER, "CR-2"),
    Persona("clinician.harbor", "Claire", "Hughes", "harbor-bh", Role.CLINICIAN, "CR-1"),
    Persona("clinician2.harbor", "Chris", "Hale", "harbor-bh", Role.CLINICIAN, "CR-2"),
    Persona("clinician3.harbor", "Cam", "Harper", "harbor-bh", Role.CLINICIAN, "CM-1"),
    Persona("medic.harbor", "Max", "Hill", "harbor-bh", Role.PARAMEDIC, "CM-1"),
    Persona("clinician4.harbor", "Casey", "Holt", "harbor-bh", Role.CLINICIAN, "TP-1"),
    Persona("medic2.harbor", "Mia", "Hart", "harbor-bh", Role.PARAMEDIC, "TP-1"),
    Persona("peer.harbor", "Pat", "Hayes", "harbor-bh", Role.PEER, "TP-1"),
    Persona("casemanager.harbor", "Kim", "Hardy", "harbor-bh", Role.CASE_MANAGER),
    Persona("manager.harbor", "Morgan", "Hunt", "harbor-bh", Role.PROGRAM_MANAGER),
    Persona("evaluator.harbor", "Eve", "Hollis", "harbor-bh", Role.EVALUATOR),
    Persona("admin.riverton", "Ari", "Rowe", "riverton-pd", Role.AGENCY_ADMIN),
    Persona("admin.lakeside", "Alex", "Lowe", "lakeside-pd", Role.AGENCY_ADMIN),
]

TEAMS = [
    ("CR-1", "Riverton co-responders", "riverton-pd", ResponseType.CO_RESPONSE),
    ("CR-2", "Lakeside co-responders", "lakeside-pd", ResponseType.CO_RESPONSE),
    ("CM-1", "Clinician and medic", "harbor-bh", ResponseType.CLINICIAN_MEDIC),
    ("TP-1", "Three-person crisis team", "harbor-bh", ResponseType.THREE_PERSON),
]
# Where each team starts the demo (its station's zone).
TEAM_BASES = {"CR-1": "North", "CR-2": "West", "CM-1": "Central", "TP-1": "South"}
# Daily shifts in local hours (start, end); the three-person team covers the clock.
SHIFTS = {
    "CR-1": [(8, 18)],
    "CR-2": [(12, 22)],
    "CM-1": [(7, 15), (15, 23)],
    "TP-1": [(6, 14), (14, 22), (22, 30)],
}

GIVEN = [
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Morgan",
    "Casey",
    "Riley",
    "Jamie",
    "Avery",
    "Quinn",
    "Rowan",
    "Skyler",
    "Drew",
    "Emery",
    "Harper",
    "Jesse",
    "Kai",
    "Logan",
    "Reese",
    "Sage",
    "Blake",
    "Cameron",
    "Dakota",
    "Elliot",
    "Finley",
    "Hayden",
    "Jules",
    "Kendall",
    "Marlowe",
    "Noel",
    "Parker",
    "Remy",
    "Shawn",
    "Tatum",
    "Wren",
    "Ellis",
    "Frankie",
    "Lane",
    "Micah",
    "Robin",
]
FAMILY = [
    "Ashford",
    "Brennan",
    "Calder",
    "Dalton",
    "Easton",
    "Fairly",
    "Garrow",
    "Hadley",
    "Irwin",
    "Jessup",
    "Kestrel",
    "Langley",
    "Marsh",
    "Norwood",
    "Oakes",
    "Pell",
    "Quarry",
    "Redfern",
    "Stroud",
    "Thorne",
    "Underhill",
    "Vance",
    "Whitlow",
    "Yardley",
    "Abbot",
    "Birch",
    "Colby",
    "Dunmore",
    "Elwood",
    "Fenwick",
    "Gilford",
    "Holloway",
    "Ingram",
    "Kirkby",
    "Linden",
    "Mercer",
]
STREETS = [
    "Alder",
    "Birch",
    "Cedar",
    "Dogwood",
    "Elm",
    "Fir",
    "Hawthorn",
    "Juniper",
    "Laurel",
    "Maple",
    "Oak",
    "Pine",
    "Spruce",
    "Willow",
]
SUFFIXES = ["St", "Ave", "Rd", "Ln", "Way", "Ct"]
ZONES = {
    "North": (45.05, -122.52),
    "Central": (45.00, -122.50),
    "South": (44.95, -122.49),
    "East": (45.00, -122.44),
    "West": (45.01, -122.57),
}
RESOURCE_KINDS = [
    ("crisis_stabilization", "Crisis Stabilization Unit", 16),
    ("detox", "Withdrawal Management", 12),
    ("sobering", "Sobering Center", 20),
    ("shelter", "Emergency Shelter", 40),
    ("outpatient_mental_health", "Counseling Clinic", None),
    ("substance_use_treatment", "Recovery Services", None),
    ("peer_support", "Peer Support Drop-in", None),
    ("housing", "Housing Navigation", None),
    ("youth", "Youth Crisis Services", 6),
    ("veterans", "Veteran Resource Center", None),
    ("food", "Community Pantry", None),
    ("medical", "Community Health Clinic", None),
]
ORG_WORDS = [
    "Harbor",
    "Riverton",
    "Lakeside",
    "Cascade",
    "Summit",
    "Bridgeway",
    "Evergreen",
    "Meridian",
    "Northstar",
    "Valley",
]


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    skipped_history: bool = False

    def add(self, name: str, n: int) -> None:
        self.created[name] = self.created.get(name, 0) + n


def pick(rng: random.Random, weights: Mapping[Any, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def lognormal_minutes(rng: random.Random, median_p90: tuple[float, float]) -> float:
    median, p90 = median_p90
    sigma = math.log(p90 / median) / 1.2815515655446004  # z of the 90th percentile
    return rng.lognormvariate(math.log(median), sigma)


def poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method; lam is a daily count of a dozen or so, well inside its useful range.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# ---------------------------------------------------------------- reference data


def load_reference(report: LoadReport) -> Program:
    """Agencies, program, personas, teams, shifts, resources: matched by stable keys."""
    agencies = {}
    for slug, name, kind in AGENCIES:
        agencies[slug], created = Agency.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": kind}
        )
        report.add("agencies", created)
    program, created = Program.objects.get_or_create(
        slug=PROGRAM_SLUG,
        defaults={
            "name": "Demo County Crisis Response",
            "model": ProgramModel.MIXED,
            "timezone": TIMEZONE,
        },
    )
    report.add("programs", created)
    program.agencies.add(*agencies.values())
    agreement_install_defaults(program=program)
    assumptions_install_defaults(program=program)
    if not program.protocols.exists():
        protocol_install_template(program=program, name=PROTOCOL_TEMPLATE)
        report.add("protocols", 1)

    # One hash for every demo login: hashing is deliberately slow, and these share a password.
    demo_hash = make_password(DEMO_PASSWORD)
    users = {}
    for p in PERSONAS:
        user, created = User.objects.get_or_create(
            username=p.username,
            defaults={"first_name": p.first_name, "last_name": p.last_name},
        )
        if created:
            user.password = demo_hash
            user.save(update_fields=["password"])
        report.add("users", created)
        Membership.objects.get_or_create(user=user, agency=agencies[p.agency], role=p.role)
        users[p.username] = user
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True, "first_name": "Admin"}
    )
    if created:
        admin.password = demo_hash
        admin.save(update_fields=["password"])
    report.add("users", created)

    teams = {}
    for call_sign, name, agency, response_type in TEAMS:
        team, created = Team.objects.get_or_create(
            program=program,
            call_sign=call_sign,
            defaults={
                "name": name,
                "agency": agencies[agency],
                "response_type": response_type,
                "status": UnitStatus.AVAILABLE,
                "status_changed_at": timezone.now(),
                "last_latitude": ZONES[TEAM_BASES[call_sign]][0],
                "last_longitude": ZONES[TEAM_BASES[call_sign]][1],
            },
        )
        report.add("teams", created)
        teams[call_sign] = team
    for p in PERSONAS:
        if p.team:
            TeamMember.objects.get_or_create(
                team=teams[p.team], user=users[p.username], defaults={"role": p.role}
            )
    _load_shifts(program, teams, report)
    _load_resources(program, report)
    return program


def _load_shifts(program: Program, teams: dict[str, Team], report: LoadReport) -> None:
    today = timezone.localdate(timezone=program.tzinfo)
    for call_sign, hours in SHIFTS.items():
        for day in range(-1, 7):
            for start, end in hours:
                base = datetime.combine(
                    today + timedelta(days=day), datetime.min.time(), program.tzinfo
                )
                _, created = Shift.objects.get_or_create(
                    team=teams[call_sign],
                    starts_at=base + timedelta(hours=start),
                    defaults={"ends_at": base + timedelta(hours=end)},
                )
                report.add("shifts", created)


# Weekly hours of the demo services: (days 0=Monday..6, opens, closes, as published).
DEMO_HOURS = {
    "24/7": (range(7), time(0, 0), time(23, 59)),
    "Mon-Fri 8-17": (range(5), time(8, 0), time(17, 0)),
    "Daily 7-21": (range(7), time(7, 0), time(21, 0)),
    "Mon-Sat 9-18": (range(6), time(9, 0), time(18, 0)),
    "Nightly 19-7": (range(7), time(19, 0), time(7, 0)),
}
DEMO_ELIGIBILITY = {
    "Adults 18+": (18, None),
    "All ages": (None, None),
    "Youth 12-24": (12, 24),
    "Veterans": (18, None),
    "": (None, None),
}


def _load_resources(program: Program, report: LoadReport) -> None:
    """Directory entries in the HSDS shape: a place, weekly hours, eligibility, and for beds
    a capacity figure that is sometimes deliberately stale (older than 24 hours)."""
    rng = random.Random(f"resources-{PROGRAM_SLUG}")
    now = timezone.now()
    zones = list(ZONES.values())
    for i in range(P.RESOURCE_COUNT):
        category, kind_name, beds = RESOURCE_KINDS[i % len(RESOURCE_KINDS)]
        org_kind = rng.choice(["Health", "Community Services", "Alliance", "Network"])
        org = f"{ORG_WORDS[(i * 7) % len(ORG_WORDS)]} {org_kind}"
        hours = "Nightly 19-7" if category == "shelter" else rng.choice(list(DEMO_HOURS)[:4])
        if category in ("crisis_stabilization", "detox", "sobering"):
            hours = "24/7"
        eligibility = (
            "Youth 12-24"
            if category == "youth"
            else rng.choice(
                ["Adults 18+", "All ages", "Veterans" if category == "veterans" else "", ""]
            )
        )
        lat, lon = zones[i % len(zones)]
        confirmed = now - timedelta(hours=rng.choice([1, 3, 6, 20, 30, 72]))
        resource, created = Resource.objects.get_or_create(
            program=program,
            external_id=f"demo-resource-{i:03d}",
            defaults={
                "organization": org,
                "name": f"{ORG_WORDS[i % len(ORG_WORDS)]} {kind_name}",
                "category": category,
                "address": f"{rng.randint(100, 9999)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}",
                "latitude": round(lat + rng.uniform(-0.03, 0.03), 5),
                "longitude": round(lon + rng.uniform(-0.03, 0.03), 5),
                "phone": f"555-01{i:02d}",
                "hours": hours,
                "languages": rng.choice(
                    ["English", "English, Spanish", "English, Spanish, Vietnamese"]
                ),
                "eligibility": eligibility,
                "min_age": DEMO_ELIGIBILITY[eligibility][0],
                "max_age": DEMO_ELIGIBILITY[eligibility][1],
                "open_beds": None if beds is None else rng.randint(0, beds),
                "capacity_maximum": beds,
                "capacity_unit": "bed" if beds else "",
                "capacity_updated_at": confirmed if beds else None,
                "verified_at": confirmed,
            },
        )
        if created:
            days, opens, closes = DEMO_HOURS[hours]
            ResourceSchedule.objects.bulk_create(
                ResourceSchedule(resource=resource, weekday=d, opens_at=opens, closes_at=closes)
                for d in days
            )
        report.add("resources", created)


# ---------------------------------------------------------------- synthetic history


@dataclass
class _Rows:
    calls: list[Call] = field(default_factory=list)
    triage: list[TriageDecision] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    encounters: list[Encounter] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)  # (encounter row, person row)


def _arrivals(rng: random.Random, start: date, days: int, tz: Any, end: datetime) -> list[datetime]:
    per_day = P.CALLS_PER_YEAR / 365.0
    mean_weekday = sum(P.WEEKDAY_WEIGHTS) / 7
    times = []
    # days + 1: the history runs up to the load's own hour, so today's calls are there too.
    for d in range(days + 1):
        day = start + timedelta(days=d)
        lam = per_day * P.WEEKDAY_WEIGHTS[day.weekday()] / mean_weekday
        for _ in range(poisson(rng, lam)):
            hour = rng.choices(range(24), weights=P.HOUR_WEIGHTS)[0]
            at = datetime(
                day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=tz
            )
            if at < end:
                times.append(at)
    times.sort()
    return times


def on_shift(call_sign: str, local_hour: int) -> bool:
    return any(
        start <= local_hour < end or start <= local_hour + 24 < end
        for start, end in SHIFTS[call_sign]
    )


def _choose_team(rng: random.Random, decision_type: str, agency_slug: str, local_hour: int) -> str:
    """The team a dispatcher would have sent: the agency's co-responders for calls with police
    need, otherwise a share to the no-police teams; only teams on shift at that hour."""
    own = "CR-1" if agency_slug == "riverton-pd" else "CR-2"
    if decision_type == ResponseType.POLICE_THEN_TEAM or (
        decision_type == ResponseType.CO_RESPONSE and rng.random() >= 0.45
    ):
        preferred = [own, "CR-1", "CR-2", "TP-1", "CM-1"]
    else:
        preferred = ["CM-1", "TP-1"] if rng.random() < 0.6 else ["TP-1", "CM-1"]
        preferred += [own]
    return next((t for t in preferred if on_shift(t, local_hour)), "TP-1")


def generate_history(
    *,
    program: Program,
    seed: int,
    years: float,
    end: datetime,
    report: LoadReport,
    progress: Callable[[Iterable[Any], int, str], Iterable[Any]] | None = None,
) -> None:
    rng = random.Random(seed)
    tz = program.tzinfo
    prefix = f"demo-{seed}-"
    days = max(1, round(365 * years))
    end_local = end.astimezone(tz)
    start = end_local.date() - timedelta(days=days)
    agencies = {a.slug: a for a in program.agencies.all()}
    teams = {t.call_sign: t for t in program.teams.all()}
    resources = list(program.resources.order_by("pk"))
    police = [agencies["riverton-pd"], agencies["lakeside-pd"]]
    times = _arrivals(rng, start, days, tz, end)
    wrap = progress or (lambda it, total, desc: it)

    version, rules = active_protocol(program)
    rows = _Rows()
    received: datetime
    frequent: list[int] = []
    returning: list[int] = []
    for k in range(P.FREQUENT_PEOPLE):
        rows.people.append(_person(rng, program, agencies["harbor-bh"], f"{prefix}fp{k:04d}"))
        frequent.append(k)

    for i, received in enumerate(wrap(times, len(times), "calls")):
        agency = police[0] if rng.random() < 0.55 else police[1]
        call_type = pick(rng, P.CALL_TYPE_WEIGHTS)
        zone = rng.choice(list(ZONES))
        lat, lon = ZONES[zone]
        behavioral_health = call_type != "OTHER" or rng.random() < 0.3
        weapons = rng.random() < P.P_WEAPONS
        violence = rng.random() < P.P_VIOLENCE
        medical = rng.random() < P.P_MEDICAL
        local_hour = received.astimezone(tz).hour
        call = Call(
            program=program,
            agency=agency,
            reference=f"D{seed}-{i:06d}",
            received_at=received,
            source=pick(rng, P.SOURCE_WEIGHTS),
            call_type=call_type,
            behavioral_health=behavioral_health,
            weapons=weapons,
            violence_in_progress=violence,
            medical_emergency=medical,
            address=f"{rng.randint(100, 9999)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}",
            zone=zone,
            latitude=lat + rng.uniform(-0.02, 0.02),
            longitude=lon + rng.uniform(-0.02, 0.02),
            external_id=f"{prefix}{i:06d}",
            status=Call.Status.CLOSED,
        )
        rows.calls.append(call)
        # The same facts and protocol as a call entered by hand (intake.services.call_triage).
        decision = rules.decide(call_facts(call))
        rows.triage.append(TriageDecision(call=call, **decision.fields(version.label)))
        call.closed_at = received + timedelta(minutes=30)
        if not decision.eligible:
            continue
        if end - received < timedelta(minutes=120) and not decision.outside_service_hours:
            # The last calls of the day are still on the board when the demo opens.
            call.status, call.closed_at = Call.Status.WAITING, None
            continue
        # Outside service hours only the 24/7 three-person team can go, and often cannot.
        served = rng.random() < (0.55 if decision.outside_service_hours else P.P_SERVED_IN_HOURS)
        if decision.outside_service_hours and not on_shift("TP-1", local_hour):
            served = False
        if not served:
            call.unserved_reason = (
                UnservedReason.OUTSIDE_HOURS
                if decision.outside_service_hours and rng.random() < 0.8
                else pick(rng, P.UNSERVED_REASON_WEIGHTS)
            )
            continue
        _encounter_for(
            rng,
            rows,
            i,
            call,
            decision.response_type,
            agency.slug,
            local_hour,
            teams,
            frequent,
            returning,
            program,
            agencies["harbor-bh"],
            prefix,
        )

    _write(rows, rng, program, resources, end, report)


def _person(rng: random.Random, program: Program, agency: Agency, external_id: str) -> Person:
    age = int(min(85, max(13, rng.gauss(38, 14))))
    return Person(
        program=program,
        recorded_by_agency=agency,
        given_name=rng.choice(GIVEN),
        family_name=rng.choice(FAMILY),
        birth_date=date(2026 - age, rng.randint(1, 12), rng.randint(1, 28)),
        sex=rng.choice(["female", "male", "male", "female", "nonbinary", ""]),
        race_ethnicity=rng.choice(
            ["white", "white", "black", "hispanic", "asian", "native_american", "multiracial", ""]
        ),
        veteran=rng.random() < 0.07,
        address=f"{rng.randint(100, 9999)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}",
        external_id=external_id,
    )


def _encounter_for(
    rng: random.Random,
    rows: _Rows,
    i: int,
    call: Call,
    response_type: str,
    agency_slug: str,
    local_hour: int,
    teams: dict[str, Team],
    frequent: list[int],
    returning: list[int],
    program: Program,
    provider: Agency,
    prefix: str,
) -> None:
    call_sign = _choose_team(rng, response_type, agency_slug, local_hour)
    received = call.received_at
    dispatched = received + timedelta(minutes=lognormal_minutes(rng, P.QUEUE_MINUTES))
    en_route = dispatched + timedelta(minutes=lognormal_minutes(rng, P.EN_ROUTE_AFTER_DISPATCH))
    arrived: datetime | None = dispatched + timedelta(
        minutes=lognormal_minutes(rng, P.TRAVEL_MINUTES)
    )
    outcome = pick(rng, P.CONTACT_WEIGHTS)
    engaged = outcome == ContactOutcome.ENGAGED
    assert arrived is not None
    cleared = arrived + timedelta(minutes=lognormal_minutes(rng, P.ON_SCENE_MINUTES))
    engaged_at = (
        arrived + timedelta(minutes=lognormal_minutes(rng, P.ENGAGE_AFTER_ARRIVAL))
        if engaged
        else None
    )
    if rng.random() < P.P_NEGATIVE_ON_SCENE:
        cleared = arrived - timedelta(minutes=rng.randint(2, 30))  # a data-entry slip, counted
    if not engaged and rng.random() < P.P_MISSING_ARRIVAL_NOT_ENGAGED:
        arrived = None
    if engaged:
        disposition = pick(rng, P.DISPOSITION_WEIGHTS)
    else:
        disposition = (
            Disposition.REMAINED_IN_COMMUNITY if rng.random() < 0.9 else Disposition.UNKNOWN
        )
    hold = engaged and rng.random() < P.P_HOLD_ENGAGED
    if hold:
        disposition = Disposition.EMERGENCY_DEPARTMENT
    transport_by_disposition: dict[str, str] = {
        Disposition.EMERGENCY_DEPARTMENT: TransportedBy.EMS
        if call_sign != "CM-1"
        else TransportedBy.TEAM,
        Disposition.CRISIS_FACILITY: TransportedBy.TEAM,
        Disposition.SOBERING_DETOX: TransportedBy.TEAM,
        Disposition.ARREST: TransportedBy.POLICE,
    }
    transported = transport_by_disposition.get(disposition, TransportedBy.NONE)
    assignment = Assignment(
        call=call, team=teams[call_sign], assigned_at=dispatched, cleared_at=cleared
    )
    rows.assignments.append(assignment)
    encounter = Encounter(
        call=call,
        assignment=assignment,
        team=teams[call_sign],
        received_at=received,
        dispatched_at=dispatched,
        en_route_at=en_route,
        arrived_at=arrived,
        engaged_at=engaged_at,
        cleared_at=cleared,
        contact_outcome=outcome,
        disposition=disposition,
        disposition_text="Left with family" if disposition == Disposition.OTHER else "",
        involuntary_hold=hold,
        use_of_force=engaged and rng.random() < P.P_FORCE,
        injury_person=engaged and rng.random() < P.P_INJURY,
        transported_by=transported,
        service_provided=engaged and rng.random() < P.P_SERVICE_ENGAGED,
        completed_at=max(cleared, arrived or cleared),
        external_id=call.external_id,
    )
    rows.encounters.append(encounter)
    call.closed_at = encounter.completed_at
    if not engaged:
        return
    roll = rng.random()
    if roll < P.P_FREQUENT:
        person_row = rng.choice(frequent)
    elif roll < P.P_FREQUENT + P.P_RETURNING and returning:
        person_row = rng.choice(returning)
    else:
        rows.people.append(_person(rng, program, provider, f"{prefix}p{i:06d}"))
        person_row = len(rows.people) - 1
        returning.append(person_row)
    rows.links.append((len(rows.encounters) - 1, person_row))


BATCH = 2000


@transaction.atomic
def _write(
    rows: _Rows,
    rng: random.Random,
    program: Program,
    resources: list[Resource],
    end: datetime,
    report: LoadReport,
) -> None:
    Call.objects.bulk_create(rows.calls, batch_size=BATCH)
    TriageDecision.objects.bulk_create(rows.triage, batch_size=BATCH)
    # bulk_create fills each call_id / assignment_id from the objects saved just before.
    Assignment.objects.bulk_create(rows.assignments, batch_size=BATCH)
    Encounter.objects.bulk_create(rows.encounters, batch_size=BATCH)
    Person.objects.bulk_create(rows.people, batch_size=BATCH)
    EncounterPerson.objects.bulk_create(
        [
            EncounterPerson(encounter=rows.encounters[e], person=rows.people[p])
            for e, p in rows.links
        ],
        batch_size=BATCH,
    )
    report.add("calls", len(rows.calls))
    report.add("encounters", len(rows.encounters))
    report.add("people", len(rows.people))
    _write_field_details(rows, report)
    _write_care(rows, rng, program, resources, end, report)
    audit_event(user="demo loader", action=Action.CHANGE, model=Call, ids=[], purpose="demo data")


# What teams tap when they give a service on scene, by how often (an assumption of the demo).
DEMO_INTERVENTIONS = {
    InterventionKind.DE_ESCALATION: 40,
    InterventionKind.ASSESSMENT: 35,
    InterventionKind.CRISIS_COUNSELING: 30,
    InterventionKind.RESOURCE_CONNECTION: 25,
    InterventionKind.SAFETY_PLANNING: 15,
    InterventionKind.PEER_SUPPORT: 8,
    InterventionKind.BASIC_NEEDS: 8,
    InterventionKind.FAMILY_SUPPORT: 6,
    InterventionKind.MEDICAL_CARE: 4,
}
DEMO_FLAGS = [
    (SafetyFlagKind.ANIMAL, "Large dog in the yard"),
    (SafetyFlagKind.WEAPONS, "Reported firearm in the home"),
    (SafetyFlagKind.COMMUNICATION, "Deaf: bring a text pad or ASL interpreter"),
    (SafetyFlagKind.MEDICAL, "Diabetic; check blood sugar"),
    (SafetyFlagKind.PREMISES, "Steep stairs, no rail"),
]


def _write_field_details(rows: _Rows, report: LoadReport) -> None:
    """Interventions for encounters that gave a service, and safety flags for a few people.
    Their own random streams, so the calls and encounters stay as calibrated."""
    rng = random.Random(f"field-details-{PROGRAM_SLUG}")
    kinds, weights = list(DEMO_INTERVENTIONS), list(DEMO_INTERVENTIONS.values())
    interventions = []
    for encounter in rows.encounters:
        if not encounter.service_provided:
            continue
        chosen = set(rng.choices(kinds, weights=weights, k=rng.randint(1, 3)))
        at = encounter.engaged_at or encounter.arrived_at or encounter.received_at or timezone.now()
        interventions += [Intervention(encounter=encounter, kind=k, recorded_at=at) for k in chosen]
    Intervention.objects.bulk_create(interventions, batch_size=BATCH)
    flags = []
    for person in rows.people:
        if rng.random() < 0.04:
            kind, note = rng.choice(DEMO_FLAGS)
            flags.append(
                SafetyFlag(
                    person=person,
                    agency_id=person.recorded_by_agency_id,
                    kind=kind,
                    note=note,
                    created_at=person.created_at or timezone.now(),
                )
            )
    SafetyFlag.objects.bulk_create(flags, batch_size=BATCH)
    report.add("interventions", len(interventions))
    report.add("safety flags", len(flags))


CLOSING_PATHS: dict[str, list[str]] = {
    ReferralStatus.DRAFT: [ReferralStatus.DRAFT],
    ReferralStatus.REQUESTED: [ReferralStatus.REQUESTED],
    ReferralStatus.ACCEPTED: [ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED],
    ReferralStatus.REJECTED: [ReferralStatus.REQUESTED, ReferralStatus.REJECTED],
    ReferralStatus.CANCELLED: [ReferralStatus.REQUESTED, ReferralStatus.CANCELLED],
    ReferralStatus.ON_HOLD: [
        ReferralStatus.REQUESTED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.ON_HOLD,
    ],
    ReferralStatus.IN_PROGRESS: [
        ReferralStatus.REQUESTED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.IN_PROGRESS,
    ],
    ReferralStatus.COMPLETED: [
        ReferralStatus.REQUESTED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.COMPLETED,
    ],
    ReferralStatus.FAILED: [
        ReferralStatus.REQUESTED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.FAILED,
    ],
    ReferralStatus.ENTERED_IN_ERROR: [ReferralStatus.REQUESTED, ReferralStatus.ENTERED_IN_ERROR],
}
REFERRAL_STATUS_WEIGHTS = {
    ReferralStatus.COMPLETED: 40,
    ReferralStatus.IN_PROGRESS: 10,
    ReferralStatus.ACCEPTED: 10,
    ReferralStatus.REQUESTED: 12,
    ReferralStatus.REJECTED: 6,
    ReferralStatus.FAILED: 6,
    ReferralStatus.CANCELLED: 6,
    ReferralStatus.ON_HOLD: 5,
    ReferralStatus.DRAFT: 3,
    ReferralStatus.ENTERED_IN_ERROR: 2,
}


def _write_care(
    rows: _Rows,
    rng: random.Random,
    program: Program,
    resources: list[Resource],
    end: datetime,
    report: LoadReport,
) -> None:
    window = timedelta(hours=program.followup_window_hours)
    followups: list[FollowUp] = []
    attempts: list[tuple[int, FollowUpAttempt]] = []
    referrals: list[Referral] = []
    history: list[tuple[int, ReferralStatusChange]] = []
    statuses = list(CLOSING_PATHS)
    for n, (e_row, p_row) in enumerate(rows.links):
        encounter, person = rows.encounters[e_row], rows.people[p_row]
        created = encounter.cleared_at or encounter.dispatched_at or encounter.received_at
        assert created is not None
        if encounter.disposition in program.followup_dispositions:
            f = FollowUp(
                encounter=encounter, person=person, created_at=created, due_at=created + window
            )
            followups.append(f)
            _attempts_for(rng, len(followups) - 1, f, end, attempts)
        if rng.random() < P.P_REFERRAL_ENGAGED and resources:
            # The first ten referrals walk every status once, so every status is on show.
            final = statuses[n] if n < len(statuses) else pick(rng, REFERRAL_STATUS_WEIGHTS)
            path = CLOSING_PATHS[final]
            at = created
            for status in path:
                at = min(at + timedelta(hours=rng.uniform(2, 24 * 6)), end - timedelta(minutes=1))
                history.append((len(referrals), ReferralStatusChange(status=status, at=at)))
            referrals.append(
                Referral(
                    person=person,
                    encounter=encounter,
                    resource=rng.choice(resources),
                    status=final,
                    status_changed_at=at,
                    created_at=created,
                )
            )
    FollowUp.objects.bulk_create(followups, batch_size=BATCH)
    for f_row, a in attempts:
        a.followup = followups[f_row]
    FollowUpAttempt.objects.bulk_create([a for _, a in attempts], batch_size=BATCH)
    Referral.objects.bulk_create(referrals, batch_size=BATCH)
    for r_row, h in history:
        h.referral = referrals[r_row]
    ReferralStatusChange.objects.bulk_create([h for _, h in history], batch_size=BATCH)
    report.add("followups", len(followups))
    report.add("referrals", len(referrals))


def _attempts_for(
    rng: random.Random, row: int, f: FollowUp, end: datetime, out: list[tuple[int, FollowUpAttempt]]
) -> None:
    recent = f.due_at > end
    outcome = (
        FollowUpOutcome.PENDING
        if recent or rng.random() < 0.04
        else pick(rng, P.FOLLOWUP_OUTCOME_WEIGHTS)
    )
    tries_by_outcome: dict[str, int] = {
        FollowUpOutcome.NOT_REACHED: 3,
        FollowUpOutcome.PENDING: rng.randint(0, 1),
    }
    tries = tries_by_outcome.get(outcome, rng.randint(1, 2))
    at = f.created_at
    for k in range(tries):
        # Most first attempts fall inside the 72-hour window; some do not.
        at = at + timedelta(hours=rng.uniform(2, 84) if k == 0 else rng.uniform(12, 48))
        if at >= end:
            break
        reached = (
            outcome not in (FollowUpOutcome.NOT_REACHED, FollowUpOutcome.PENDING) and k == tries - 1
        )
        out.append(
            (
                row,
                FollowUpAttempt(
                    at=at, method=rng.choice(["phone", "phone", "visit", "text"]), reached=reached
                ),
            )
        )
    if outcome != FollowUpOutcome.PENDING:
        f.outcome, f.closed_at = outcome, min(at, end - timedelta(minutes=1))


def load(
    *, seed: int = 2026, years: float = 1.0, end: datetime | None = None, progress: Any = None
) -> LoadReport:
    """Load the demo county; running it again for the same seed changes nothing."""
    report = LoadReport()
    with transaction.atomic():
        program = load_reference(report)
    existing = system(
        Call.objects.filter(program=program, external_id__startswith=f"demo-{seed}-"),
        reason="demo loader: idempotency check",
    ).exists()
    if existing:
        report.skipped_history = True
        return report
    end = end or timezone.now().replace(minute=0, second=0, microsecond=0)
    generate_history(
        program=program, seed=seed, years=years, end=end, report=report, progress=progress
    )
    return report
