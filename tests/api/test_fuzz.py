"""Schemathesis against the OpenAPI documents of the REST API and of the FHIR endpoint: every
operation, with generated requests (valid and invalid), against a live server on the test
database. No response may be a server error, and every response must match the document
(status code, content type, body schema)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corespond.api.models import Scope
from corespond.api.services import token_issue
from tests.journey import finish_encounter

pytestmark = pytest.mark.django_db(transaction=True)
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


@pytest.mark.parametrize(
    ("document", "persona"),
    [("/api/v1/openapi.json", "alice"), ("/fhir/openapi.json", "kim")],
    ids=["rest-api", "fhir"],
)
def test_the_api_survives_schemathesis(
    world, live_server, settings, tmp_path, document, persona
) -> None:
    settings.API_RATE_LIMIT = "100000/min"
    settings.API_ANON_RATE_LIMIT = "100000/min"
    finish_encounter(world, given_name="Robin")
    _, raw = token_issue(user=getattr(world, persona), name="fuzz", scopes=list(Scope.values))
    runner = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert runner, "schemathesis is installed with the test extras"
    examples = os.environ.get("CORESPOND_FUZZ_EXAMPLES", "25")
    result = subprocess.run(
        [
            runner,
            "run",
            f"{live_server.url}{document}",
            "--header",
            f"Authorization: Bearer {raw}",
            "--checks",
            CHECKS,
            "--max-examples",
            examples,
            "--generation-deterministic",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(result.stdout[-6000:])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
