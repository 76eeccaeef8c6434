"""The call form reads the typed time in the chosen program's zone, whatever the page's zone."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.utils import timezone

from corespond.core.models import Program
from corespond.intake.forms import CallForm


def test_received_time_is_read_in_the_chosen_programs_zone(world) -> None:
    with timezone.override("UTC"):
        form = CallForm(
            {
                "program": world.program.pk,
                "agency": world.riverton.pk,
                "received_at": "2026-03-10T10:15",
                "source": "911",
                "call_type": "EDP",
                "address": "1 Elm St",
            },
            programs=Program.objects.all(),
        )
        assert form.is_valid(), form.errors
    la = zoneinfo.ZoneInfo("America/Los_Angeles")
    assert form.cleaned_data["received_at"] == datetime(2026, 3, 10, 10, 15, tzinfo=la)


def test_agency_outside_the_chosen_program_is_refused(world) -> None:
    form = CallForm(
        {
            "program": world.program.pk,
            "agency": world.far_county.pk,
            "received_at": "2026-03-10T10:15",
            "source": "911",
            "call_type": "EDP",
            "address": "1 Elm St",
        },
        programs=Program.objects.all(),
    )
    assert not form.is_valid()
    assert "does not take part" in form.errors["agency"][0]
