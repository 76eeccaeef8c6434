"""Settings from the environment, the production checks, and the `corespond` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import ProgramFactory


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update({"CORESPOND_DATA_DIR": str(tmp_path)}, **env)
    return subprocess.run(
        [sys.executable, "-m", "corespond", *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
    )


def test_help_lists_each_command_with_one_line(tmp_path: Path) -> None:
    result = run(["--help"], tmp_path)
    assert result.returncode == 0
    for name in ("demo", "seed", "serve", "metrics", "manage"):
        assert any(line.strip().startswith(name) for line in result.stdout.splitlines()), name


def test_unknown_command_is_refused_with_a_hint(tmp_path: Path) -> None:
    result = run(["frobnicate"], tmp_path)
    assert result.returncode == 2
    assert "corespond --help" in result.stderr


def test_manage_reaches_any_django_command(tmp_path: Path) -> None:
    result = run(["manage", "check"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_demo_secret_key_is_generated_into_the_data_dir(tmp_path: Path) -> None:
    assert run(["manage", "check"], tmp_path).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) > 40
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run(["manage", "check"], tmp_path, CORESPOND_PRODUCTION="1")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    result = run(
        ["manage", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        CORESPOND_PRODUCTION="1",
        SECRET_KEY="x" * 20 + "-a-long-random-production-key-0123456789",
        ALLOWED_HOSTS="corespond.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "key.txt"
    secret.write_text("k" * 60)
    result = run(
        ["manage", "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        tmp_path,
        SECRET_KEY_FILE=str(secret),
    )
    assert result.stdout.strip().splitlines()[-1] == "k" * 60


def test_a_redis_cache_url_makes_the_cache_shared(tmp_path: Path) -> None:
    """With CORESPOND_CACHE_URL the cache (API rate limits, dashboard figures) is Redis, so
    two processes see each other's counts: one writes, a second process reads it back."""
    import socket
    import uuid

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no Redis at 127.0.0.1:6379")
    key = f"test-{uuid.uuid4().hex}"
    url = {"CORESPOND_CACHE_URL": "redis://127.0.0.1:6379/1"}
    write = f"from django.core.cache import cache; cache.set('{key}', 41, 30); print('ok')"
    read = (
        "from django.conf import settings; from django.core.cache import cache; "
        f"print(settings.CACHES['default']['BACKEND'], cache.get('{key}'))"
    )
    assert run(["manage", "shell", "-c", write], tmp_path, **url).returncode == 0
    result = run(["manage", "shell", "-c", read], tmp_path, **url)
    assert result.stdout.strip().splitlines()[-1] == (
        "django.core.cache.backends.redis.RedisCache 41"
    )


def test_bad_boolean_in_the_environment_is_a_clear_error(tmp_path: Path) -> None:
    result = run(["manage", "check"], tmp_path, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


@pytest.mark.django_db
def test_sqlite_runs_with_wal_and_immediate_transactions() -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("this run uses PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.django_db
def test_program_rejects_an_unknown_time_zone() -> None:
    from django.core.exceptions import ValidationError

    program = ProgramFactory.build(slug="x", timezone="Mars/Olympus")
    with pytest.raises(ValidationError):
        program.full_clean()
