"""The funder report: PDF and printable HTML, from the CLI and the web, small counts hidden."""

from __future__ import annotations

import zoneinfo
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.journey import finish_encounter

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.fixture
def served(world):
    for name in ("Ash", "Birch", "Cedar"):
        finish_encounter(world, given_name=name)
    return world


def period() -> list[str]:
    # The program's day (America/Los_Angeles, as the catalog reads dates), not UTC's.
    today = timezone.localdate(timezone=LA)
    return ["--from", f"{today.replace(day=1)}", "--to", f"{today}"]


def test_the_report_command_writes_a_pdf_and_html(served, tmp_path) -> None:
    pdf, page = tmp_path / "report.pdf", tmp_path / "report.html"
    call_command(
        "report", *period(), "--program", "riverside", "--out", str(pdf), stdout=StringIO()
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    from corespond.core.models import Program
    from corespond.outcomes import metrics, report

    today = timezone.localdate(timezone=served.program.tzinfo)  # the program's day
    filters = metrics.Filters(
        date_from=today.replace(day=1), date_to=today, program_id=served.program.pk
    )
    document = report.render(report.context(filters, Program.objects.get(slug="riverside")))
    assert len(document.pages) >= 3  # the catalog, charts, costs and methods take pages
    call_command(
        "report", *period(), "--program", "riverside", "--out", str(page), stdout=StringIO()
    )
    html = page.read_text()
    assert "Cost offsets" in html and "Methods" in html
    assert html.count("data:image/svg+xml;base64,") == 4
    # A report is for the public: three calls show as "<11".
    assert "&lt;11" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-05-02", "--to", "2026-05-01", "--program", "riverside"], "on or before"),
        (["--from", "2026-13-01", "--to", "2026-05-01"], "YYYY-MM-DD"),
        (["--from", "2026-05-01", "--to", "2026-05-02"], "Say which program"),
        (["--from", "2026-05-01", "--to", "2026-05-02", "--program", "nope"], "No program"),
    ],
)
def test_the_report_command_refuses_clearly(world, tmp_path, args, message) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("report", *args, "--out", str(tmp_path / "r.pdf"))
    assert not (tmp_path / "r.pdf").exists()


def test_the_report_page_and_its_pdf(served) -> None:
    client = Client()
    client.force_login(served.manny)
    url = reverse("outcomes:report")
    page = client.get(url, {"program": served.program.pk})
    assert page.status_code == 200 and b"Funder" not in page.content  # the report itself
    assert b"program outcomes" in page.content and b"format=pdf" in page.content
    pdf = client.get(url, {"program": served.program.pk, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    client.force_login(served.oscar)
    assert client.get(url).status_code == 403


def test_the_report_carries_the_before_and_after_analysis(served, tmp_path) -> None:
    from datetime import timedelta

    today = timezone.localdate(timezone=served.program.tzinfo)  # the program's day
    served.program.launch_date = today - timedelta(days=150)
    served.program.save()
    page = tmp_path / "report.html"
    start = today - timedelta(days=300)
    call_command(
        "report",
        "--from",
        f"{start}",
        "--to",
        f"{today}",
        "--program",
        "riverside",
        "--out",
        str(page),
        stdout=StringIO(),
    )
    html = page.read_text()
    assert "Before and after the launch" in html
    assert "needs at least 3 months" in html  # one month of data: said, not guessed
