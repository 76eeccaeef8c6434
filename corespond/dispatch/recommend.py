"""Which free team to send: the nearest one whose make-up fits the decision.

The travel model is deliberately simple and written down (docs/dispatch.md): straight-line
distance from the team's last known position to the call, times a road factor, at an average
urban response speed, plus the time to get rolling. It is calibrated so that the demo county's
typical distances give travel times near Lane County's median of 14 minutes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from corespond.core.vocab import ResponseType
from corespond.dispatch.models import Team
from corespond.intake.models import Call

EARTH_RADIUS_KM = 6371.0
ROAD_FACTOR = 1.3  # road distance / straight-line distance in a street grid
AVERAGE_SPEED_KMH = 30.0  # urban response without lights and sirens
START_MINUTES = 3.0  # from "dispatched" to moving

# Which team make-ups can answer each decision. Police-then-team calls take any team that can
# follow police into a secured scene.
FITS: dict[str, frozenset[str]] = {
    ResponseType.CO_RESPONSE: frozenset({ResponseType.CO_RESPONSE}),
    ResponseType.CLINICIAN_MEDIC: frozenset(
        {ResponseType.CLINICIAN_MEDIC, ResponseType.THREE_PERSON}
    ),
    ResponseType.THREE_PERSON: frozenset({ResponseType.THREE_PERSON}),
    ResponseType.SPECIALIZED_YOUTH: frozenset({ResponseType.SPECIALIZED_YOUTH}),
    ResponseType.SPECIALIZED_VETERAN: frozenset({ResponseType.SPECIALIZED_VETERAN}),
    ResponseType.POLICE_THEN_TEAM: frozenset(
        {ResponseType.CO_RESPONSE, ResponseType.THREE_PERSON, ResponseType.CLINICIAN_MEDIC}
    ),
}


@dataclass(frozen=True)
class Option:
    team: Team
    fits: bool
    eta_minutes: float | None

    @property
    def eta_text(self) -> str:
        return "position unknown" if self.eta_minutes is None else f"{self.eta_minutes:.0f} min"


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def eta_minutes(team: Team, call: Call) -> float | None:
    if None in (team.last_latitude, team.last_longitude, call.latitude, call.longitude):
        return None
    km = distance_km(
        team.last_latitude,  # type: ignore[arg-type]
        team.last_longitude,  # type: ignore[arg-type]
        call.latitude,  # type: ignore[arg-type]
        call.longitude,  # type: ignore[arg-type]
    )
    return START_MINUTES + km * ROAD_FACTOR / AVERAGE_SPEED_KMH * 60


def options_for(call: Call, response_type: str, teams: Iterable[Team]) -> list[Option]:
    """Free teams, fitting ones first, each group nearest first (unknown positions last)."""
    fitting = FITS.get(response_type, frozenset())
    options = [Option(t, t.response_type in fitting, eta_minutes(t, call)) for t in teams]
    return sorted(
        options,
        key=lambda o: (
            not o.fits,
            o.eta_minutes is None,
            o.eta_minutes or 0.0,
            o.team.call_sign,
        ),
    )


def recommended(options: list[Option]) -> Option | None:
    return options[0] if options and options[0].fits else None
