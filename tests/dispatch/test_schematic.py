"""The offline schematic of positions on the board."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from corespond.dispatch import schematic
from corespond.dispatch.models import Team
from corespond.intake.models import Call
from tests.journey import make_call


def test_points_keep_north_up_and_fit_the_box() -> None:
    teams = [
        Team(call_sign="N", last_latitude=45.10, last_longitude=-122.5, status="available"),
        Team(call_sign="S", last_latitude=45.00, last_longitude=-122.5, status="dispatched"),
        Team(call_sign="?", status="available"),  # position unknown: left out
    ]
    calls = [Call(reference="C1", latitude=45.05, longitude=-122.45)]
    points = {p.label: p for p in schematic.place(teams, calls)}
    assert set(points) == {"N", "S", "C1"}
    assert points["N"].y < points["S"].y  # north is up
    assert points["C1"].x > points["N"].x  # east is right
    for p in points.values():
        assert 0 <= p.x <= schematic.WIDTH and 0 <= p.y <= schematic.HEIGHT
    assert schematic.place([], []) == []


def test_board_draws_positions_or_says_none_are_known(world) -> None:
    client = Client()
    client.force_login(world.alice)
    page = client.get(reverse("dispatch:board")).content.decode()
    assert "No team or waiting call has a known position yet." in page
    world.team.last_latitude, world.team.last_longitude = 45.0, -122.5
    world.team.save()
    call = make_call(world, latitude=45.02, longitude=-122.48)
    page = client.get(reverse("dispatch:board")).content.decode()
    assert 'data-point="CR-1"' in page and f'data-point="{call.reference}"' in page


def test_things_at_one_spot_are_drawn_in_the_middle() -> None:
    teams = [Team(call_sign="A", last_latitude=45.0, last_longitude=-122.5, status="available")]
    (point,) = schematic.place(teams, [])
    assert (point.x, point.y) == (schematic.WIDTH / 2, schematic.HEIGHT / 2)
