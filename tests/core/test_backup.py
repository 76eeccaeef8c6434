"""Backup and restore on the database this run uses (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from corespond.core.access import system
from corespond.intake.models import Call
from tests.journey import make_call


def references() -> set[str]:
    return set(system(Call.objects.all(), reason="test").values_list("reference", flat=True))


@pytest.mark.django_db(transaction=True)
def test_restore_brings_back_exactly_what_the_backup_held(world, tmp_path: Path) -> None:
    kept = make_call(world)
    out = tmp_path / "corespond.backup"
    call_command("backup", "--out", str(out))
    assert out.stat().st_size > 0
    later = make_call(world)
    assert references() == {kept.reference, later.reference}

    call_command("restore", str(out), "--yes")

    assert references() == {kept.reference}


@pytest.mark.django_db
@pytest.mark.django_db(transaction=True)
def test_restore_asks_first_and_changes_nothing_when_refused(world, tmp_path, monkeypatch) -> None:
    out = tmp_path / "x.backup"
    call_command("backup", "--out", str(out))  # holds no calls
    call = make_call(world)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", str(out))
    assert references() == {call.reference}


def test_restore_from_a_missing_file_is_a_clear_error(db, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no backup at"):
        call_command("restore", str(tmp_path / "missing.backup"), "--yes")
