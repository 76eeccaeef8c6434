"""The funder report: the catalog for a period with charts, cost offsets and methods, as
printable HTML and as PDF (WeasyPrint). A report leaves the program, so it is written for the
public: counts under 11 are suppressed throughout."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from corespond.core.models import Program
from corespond.core.vocab import Disposition
from corespond.outcomes import charts, costs, dashboard, equity, its, metrics

SECTIONS = [
    ("How are we performing?", ("response.",)),
    ("What share of eligible calls do we handle?", ("calls.",)),
    ("What happens on scene?", ("contact.", "disposition.", "outcome.")),
    ("Do people get connected to care?", ("care.", "people.")),
    ("Police time and staff", ("police.", "staff.")),
]


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[tuple[str, str, str]]  # metric id, label, text
    charts: list[tuple[str, str]]  # data URI, description


def _uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def context(filters: metrics.Filters, program: Program, *, user: Any = None) -> dict[str, Any]:
    reason = "" if user is not None else "funder report"
    values = dashboard.catalog(filters, user=user, system_reason=reason)
    months = dashboard.monthly(filters, user=user, system_reason=reason)
    small = dashboard.has_small_counts(months)

    def chart(svg: bytes) -> bytes:
        return charts.empty("Some monthly counts are under 11: see the figures.") if small else svg

    labels = [(c, lab) for c, lab in Disposition.choices if c != Disposition.UNKNOWN]
    chart_sets = {
        "How are we performing?": [
            (
                _uri(chart(charts.response_by_month(months))),
                "Median minutes from call to arrival, by month",
            ),
        ],
        "What share of eligible calls do we handle?": [
            (
                _uri(chart(charts.calls_by_month(months))),
                "Calls, eligible calls and eligible calls served, by month",
            ),
        ],
        "What happens on scene?": [
            (
                _uri(
                    chart(
                        charts.shares(
                            [lab for _, lab in labels],
                            [values[f"disposition.share.{c}"]["value"] or 0 for c, _ in labels],
                            "dispositions",
                        )
                    )
                ),
                "Where people ended up",
            )
        ],
        "Do people get connected to care?": [
            (
                _uri(chart(charts.care_by_month(months))),
                "Engaged, diverted and connected to care, by month",
            ),
        ],
    }
    sections = [
        Section(
            title,
            [
                (mid, metrics.LABELS.get(mid, mid), metrics.display(mid, m, suppress=True))
                for mid, m in values.items()
                if mid.startswith(prefixes)
            ],
            chart_sets.get(title, []),
        )
        for title, prefixes in SECTIONS
    ]
    cost_rows = [
        (mid, metrics.LABELS.get(mid, mid), metrics.display(mid, m, suppress=True))
        for mid, m in values.items()
        if mid.startswith("cost.")
    ]
    assumptions = sorted(costs.assumptions(program).values(), key=lambda a: a.key)
    fairness = equity.table(
        equity.breakdown(filters, user=user, system_reason=reason), suppress=True
    )
    launch = program.launch_date
    its_rows: list[dict[str, Any]] = []
    its_missing: list[str] = []
    if (
        launch
        and filters.date_from
        and filters.date_to
        and filters.date_from < launch <= filters.date_to
    ):
        its_rows, its_missing = its.rows(
            its.analyse(filters, launch, user=user, system_reason=reason)
        )
        for row in its_rows:
            row["chart"] = _uri(chart(charts.before_after(row["result"], row["label"])))
    return {
        "program": program,
        "launch": launch,
        "its_rows": its_rows,
        "its_missing": its_missing,
        "its_assumptions": its.ASSUMPTIONS,
        "filters": filters,
        "generated": timezone.now(),
        "sections": sections,
        "cost_rows": cost_rows,
        "assumptions": assumptions,
        "threshold": metrics.SUPPRESSION_THRESHOLD,
        "equity": fairness,
        "measures": [label for _, label in equity.MEASURES],
    }


def html(ctx: dict[str, Any], *, for_pdf: bool = False) -> str:
    return render_to_string("outcomes/report.html", {**ctx, "for_pdf": for_pdf})


def render(ctx: dict[str, Any]) -> Any:
    """The laid-out PDF document (WeasyPrint), pages and all."""
    import weasyprint

    stylesheet = finders.find("report.css")
    assert isinstance(stylesheet, str)
    page = weasyprint.HTML(string=html(ctx, for_pdf=True))
    return page.render(stylesheets=[weasyprint.CSS(filename=stylesheet)])


def pdf(ctx: dict[str, Any]) -> bytes:
    data: bytes = render(ctx).write_pdf()
    return data
