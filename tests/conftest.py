"""Shared fixtures: the named people every test can count on.

The world: program "Riverside" spans Riverton PD (agency A), Lakeside PD (agency B) and Harbor
Behavioral Health. Program "Elsewhere" has Far County Sheriff, whose dispatcher Olga is our
outsider: she should have no access to Riverside's people.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

from corespond.core.models import Agency, Program, User
from corespond.core.vocab import AgencyKind, ResponseType, Role
from corespond.dispatch.models import Team
from tests.factories import (
    AgencyFactory,
    ProgramFactory,
    TeamFactory,
    TeamMemberFactory,
    UserFactory,
)

# Where the real public exports may be: CORESPOND_SHARED_DATA if set, else ../shared/data beside
# the checkout, else the workplace's shared folder (CI runs from a clone elsewhere).
REAL_DATA_CANDIDATES = [
    os.environ.get("CORESPOND_SHARED_DATA", ""),
    os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"),
    "/work/shared/data",
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Password hashing is slow on purpose; tests do not need it to be.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    # The dashboard caches figures for a minute; each test starts from its own records.
    from django.core.cache import cache

    cache.clear()


@dataclass
class World:
    program: Program
    elsewhere: Program
    riverton: Agency
    lakeside: Agency
    harbor: Agency
    far_county: Agency
    alice: User  # dispatcher, Riverton PD
    oscar: User  # officer, Riverton PD, on team CR-1
    clara: User  # clinician, Harbor, on team CR-1
    bob: User  # officer, Lakeside PD (agency B)
    kim: User  # case manager, Harbor
    manny: User  # program manager, Harbor
    eve: User  # evaluator, Harbor: numbers, never rows
    olga: User  # dispatcher in another program: no access to Riverside
    nobody: User  # signed in, no role anywhere
    team: Team  # CR-1, co-response
    medic_team: Team  # CM-1, clinician + medic


@pytest.fixture
def world(db: None) -> World:
    riverton = AgencyFactory(slug="riverton-pd", name="Riverton PD", kind=AgencyKind.POLICE)
    lakeside = AgencyFactory(slug="lakeside-pd", name="Lakeside PD", kind=AgencyKind.POLICE)
    harbor = AgencyFactory(slug="harbor-bh", name="Harbor BH", kind=AgencyKind.BEHAVIORAL_HEALTH)
    far = AgencyFactory(slug="far-county", name="Far County Sheriff", kind=AgencyKind.POLICE)
    program = ProgramFactory(slug="riverside", name="Riverside")
    program.agencies.add(riverton, lakeside, harbor)
    elsewhere = ProgramFactory(slug="elsewhere", name="Elsewhere")
    elsewhere.agencies.add(far)
    # The default data-sharing terms among Riverside's agencies (sharing/services.py).
    from corespond.sharing.services import agreement_install_defaults

    agreement_install_defaults(program=program)
    alice = UserFactory(username="alice", roles=[(riverton, Role.DISPATCHER)])
    oscar = UserFactory(username="oscar", roles=[(riverton, Role.OFFICER)])
    clara = UserFactory(username="clara", roles=[(harbor, Role.CLINICIAN)])
    bob = UserFactory(username="bob", roles=[(lakeside, Role.OFFICER)])
    kim = UserFactory(username="kim", roles=[(harbor, Role.CASE_MANAGER)])
    manny = UserFactory(username="manny", roles=[(harbor, Role.PROGRAM_MANAGER)])
    eve = UserFactory(username="eve", roles=[(harbor, Role.EVALUATOR)])
    olga = UserFactory(username="olga", roles=[(far, Role.DISPATCHER)])
    nobody = UserFactory(username="nobody")
    team = TeamFactory(program=program, agency=riverton, call_sign="CR-1", name="Co-responders")
    TeamMemberFactory(team=team, user=oscar, role=Role.OFFICER)
    TeamMemberFactory(team=team, user=clara, role=Role.CLINICIAN)
    medic_team = TeamFactory(
        program=program, agency=harbor, call_sign="CM-1", response_type=ResponseType.CLINICIAN_MEDIC
    )
    return World(
        program=program,
        elsewhere=elsewhere,
        riverton=riverton,
        lakeside=lakeside,
        harbor=harbor,
        far_county=far,
        alice=alice,
        oscar=oscar,
        clara=clara,
        bob=bob,
        kim=kim,
        manny=manny,
        eve=eve,
        olga=olga,
        nobody=nobody,
        team=team,
        medic_team=medic_team,
    )


def real_data_path(*parts: str) -> str:
    """Path to a file in ../shared/data; skip (or fail under CORESPOND_REAL_DATA=1) if absent."""
    tried = [os.path.normpath(os.path.join(base, *parts)) for base in REAL_DATA_CANDIDATES if base]
    for path in tried:
        if os.path.exists(path):
            return path
    where = ", ".join(tried)
    if os.environ.get("CORESPOND_REAL_DATA") == "1":
        pytest.fail(f"CORESPOND_REAL_DATA=1 but the file is not at any of: {where}")
    pytest.skip(f"real data not available (looked at {where}; set CORESPOND_SHARED_DATA)")
