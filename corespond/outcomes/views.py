"""The first metrics page: the catalog for a period, as a program manager reads it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from corespond.core.access import Action, audit_event, programs_for
from corespond.core.models import Program
from corespond.core.roles import OUTCOME_ROLES, require_role
from corespond.core.vocab import Disposition, Role
from corespond.intake.models import Call
from corespond.outcomes import charts, costs, dashboard, equity, its, metrics, records, report
from corespond.outcomes.forms import AssumptionFormSet
from corespond.outcomes.models import CostAssumption


class MetricsFilterForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), required=False)
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        for name in ("date_from", "date_to"):
            value = data.get(name)
            if value and not metrics.EARLIEST_DATE <= value <= metrics.LATEST_DATE:
                self.add_error(name, metrics.ERR_DATE_RANGE)
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "'To' must be on or after 'From'.")
        return data


SECTIONS = [
    ("How are we performing?", ("response.",)),
    ("What share of eligible calls do we handle?", ("calls.",)),
    ("What happens on scene?", ("contact.", "disposition.", "outcome.")),
    ("Do people get connected to care?", ("care.",)),
    ("Who do we serve, and how often do they come back?", ("people.",)),
    ("Police time", ("police.",)),
    ("Staff", ("staff.",)),
    ("Cost offsets", ("cost.",)),
]


def _filter_form(request: HttpRequest) -> tuple[MetricsFilterForm, Any]:
    """The filter form, offering the programs whose figures the user may see."""
    programs = (
        Program.objects.all()
        if request.user.is_superuser
        else programs_for(request.user, OUTCOME_ROLES)
    )
    form = MetricsFilterForm(request.GET or None, initial={"program": programs.first()})
    form.fields["program"].queryset = programs  # type: ignore[attr-defined]
    return form, programs


def _catalog_scope(request: HttpRequest) -> tuple[MetricsFilterForm, metrics.Filters | None]:
    """The metrics page's filters: the chosen program, and the dates as given (none: all
    time)."""
    form, programs = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {}
    program = data.get("program") or programs.first()
    return form, metrics.Filters(
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        program_id=program.pk if program else None,
        tz=program.timezone if program else "",
    )


def _query(filters: metrics.Filters) -> str:
    """The filters as a query string, for links that must show the same scope."""
    return urlencode(
        {
            "program": filters.program_id or "",
            "date_from": filters.date_from or "",
            "date_to": filters.date_to or "",
        }
    )


@login_required
def metrics_page(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OUTCOME_ROLES)
    form, filters = _catalog_scope(request)
    sections: list[tuple[str, list[tuple[str, str, str, bool]]]] = []
    if filters is None:
        return render(request, "outcomes/metrics.html", {"form": form}, status=400)
    values = metrics.compute(filters, user=request.user)
    audit_event(user=request.user, action=Action.AGGREGATE, model=Call, ids=[], purpose="metrics")
    suppress = metrics.suppression_applies(request.user)
    drillable = records.drillable()
    for title, prefix in SECTIONS:
        rows = [
            (
                mid,
                metrics.LABELS.get(mid, mid),
                metrics.display(mid, m, suppress=suppress),
                mid in drillable,
            )
            for mid, m in values.items()
            if mid.startswith(prefix)
        ]
        sections.append((title, rows))
    return render(
        request,
        "outcomes/metrics.html",
        {"form": form, "sections": sections, "query": _query(filters)},
    )


@login_required
def records_page(request: HttpRequest) -> HttpResponse:
    """The records behind one number of the catalog or the dashboard (its numerator, or with
    ?part=denominator its denominator), for the same program and period."""
    require_role(request.user, OUTCOME_ROLES)
    form, filters = _catalog_scope(request)
    if filters is None:
        return render(request, "outcomes/records.html", {"form": form}, status=400)
    try:
        found = records.records(
            filters,
            request.GET.get("metric", ""),
            part=request.GET.get("part", "numerator"),
            user=request.user,
            deidentified=metrics.suppression_applies(request.user),
            page=request.GET.get("page"),
        )
    except records.UnknownMetric as exc:
        raise Http404("This number has no records to list.") from exc
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "outcomes/records.html",
        {
            "form": form,
            "filters": filters,
            "found": found,
            "query": _query(filters),
            "page_query": params.urlencode(),
        },
    )


def _scope(request: HttpRequest) -> tuple[MetricsFilterForm, metrics.Filters | None]:
    """The filter form and, if valid, the dashboard's filters: the chosen program and period,
    by default the last twelve calendar months in the program's time zone."""
    form, programs = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {}
    program = data.get("program") or programs.first()
    zone = program.tzinfo if program else timezone.get_current_timezone()
    today = timezone.localdate(timezone=zone)
    first = (today.replace(day=1) - timedelta(days=330)).replace(day=1)
    filters = metrics.Filters(
        date_from=data.get("date_from") or first,
        date_to=data.get("date_to") or today,
        program_id=program.pk if program else None,
        tz=program.timezone if program else "",
    )
    return form, filters


# The disposition codes in the order the dashboard lists them.
DISPOSITION_LABELS = [(c, label) for c, label in Disposition.choices if c != Disposition.UNKNOWN]
HEADLINES = [
    ("calls.eligible_served_rate", "Eligible calls served"),
    ("response.response_minutes.p50", "Median call to arrival"),
    ("outcome.diversion_rate", "Diverted from ER, arrest and citation"),
    ("care.followup_connected_rate", "Follow-ups connected to care"),
]


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The four questions, with charts and the numbers behind them, for a period."""
    require_role(request.user, OUTCOME_ROLES)
    form, filters = _scope(request)
    if filters is None:
        return render(request, "outcomes/dashboard.html", {"form": form}, status=400)
    suppress = metrics.suppression_applies(request.user)
    values = dashboard.catalog(filters, user=request.user)
    months = dashboard.monthly(filters, user=request.user)
    audit_event(user=request.user, action=Action.AGGREGATE, model=Call, ids=[], purpose="dashboard")
    query = _query(filters)
    drillable = records.drillable()
    return render(
        request,
        "outcomes/dashboard.html",
        {
            "form": form,
            "filters": filters,
            "query": query,
            "headlines": [
                (mid, label, metrics.display(mid, values[mid], suppress=suppress), mid in drillable)
                for mid, label in HEADLINES
            ],
            "months": [
                (
                    m,
                    metrics.display("calls.total", {"value": m.calls}, suppress=suppress),
                    metrics.display("calls.eligible", {"value": m.eligible}, suppress=suppress),
                    metrics.display("calls.served", {"value": m.served}, suppress=suppress),
                )
                for m in months
            ],
            "dispositions": [
                (
                    label,
                    metrics.display(
                        f"disposition.share.{code}",
                        values[f"disposition.share.{code}"],
                        suppress=suppress,
                    ),
                    f"disposition.share.{code}",
                )
                for code, label in DISPOSITION_LABELS
            ],
            "suppress": suppress,
            "equity": equity.table(equity.breakdown(filters, user=request.user), suppress=suppress),
            "measures": [label for _, label in equity.MEASURES],
            **_before_after(request, filters),
        },
    )


def _before_after(request: HttpRequest, filters: metrics.Filters) -> dict[str, Any]:
    """The interrupted time series, when the program has a launch date inside the period."""
    program = Program.objects.filter(pk=filters.program_id or 0).first()
    launch = program.launch_date if program else None
    if launch is None:
        return {"launch": None}
    if not (
        filters.date_from and filters.date_to and filters.date_from < launch <= filters.date_to
    ):
        return {"launch": launch, "its_outside": True}
    found, missing = its.rows(its.analyse(filters, launch, user=request.user))
    short = {mid: name for name, mid in ITS_CHARTS.items()}
    return {
        "launch": launch,
        "its_rows": [row | {"short": short[row["metric_id"]]} for row in found],
        "its_missing": missing,
        "its_assumptions": its.ASSUMPTIONS,
    }


CHARTS = ("calls", "response", "distribution", "dispositions", "care")
# Before/after charts: "its-<short name>" -> metric id.
ITS_CHARTS = {
    "diversion": "outcome.diversion_rate",
    "engaged": "contact.engaged_rate",
    "connected": "care.followup_connected_rate",
}


def _its_chart(request: HttpRequest, filters: metrics.Filters, metric_id: str) -> bytes:
    program = Program.objects.filter(pk=filters.program_id or 0).first()
    if program is None or program.launch_date is None:
        return charts.empty("The program has no launch date.")
    months = dashboard.monthly(filters, user=request.user)
    try:
        result = its.fit(months, program.launch_date, metric_id)
    except its.NotEnoughData as exc:
        return charts.empty(str(exc))
    return charts.before_after(result, metrics.LABELS.get(metric_id, metric_id))


@login_required
def chart(request: HttpRequest, kind: str) -> HttpResponse:
    """One dashboard chart as SVG, for the same filters as the page. Evaluators get no chart
    whose parts fall under the small-cell threshold: the page's tables say "<11" instead."""
    require_role(request.user, OUTCOME_ROLES)
    if kind not in CHARTS and kind.removeprefix("its-") not in ITS_CHARTS:
        raise Http404("No such chart.")
    _, filters = _scope(request)
    if filters is None:
        return HttpResponse("Bad filters.", status=400, content_type="text/plain")
    suppress = metrics.suppression_applies(request.user)
    months = dashboard.monthly(filters, user=request.user)
    values = dashboard.catalog(filters, user=request.user)
    if suppress and dashboard.has_small_counts(months):
        svg = charts.empty("Some monthly counts are under 11: see the table.")
    elif kind == "calls":
        svg = charts.calls_by_month(months)
    elif kind == "response":
        svg = charts.response_by_month(months)
    elif kind == "distribution":
        svg = charts.response_distribution(
            dashboard.response_sample(filters, user=request.user),
            values["response.response_minutes.p50"]["value"],
            values["response.response_minutes.p90"]["value"],
        )
    elif kind.startswith("its-") and kind[4:] in ITS_CHARTS:
        svg = _its_chart(request, filters, ITS_CHARTS[kind[4:]])
    elif kind == "dispositions":
        shown = [
            (label, values[f"disposition.share.{c}"])
            for c, label in DISPOSITION_LABELS
            if not suppress
            or "suppressed"
            not in metrics.display(c, values[f"disposition.share.{c}"], suppress=True)
        ]
        svg = charts.shares(
            [label for label, _ in shown], [m["value"] or 0 for _, m in shown], "dispositions"
        )
    else:
        svg = charts.care_by_month(months)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    return response


@login_required
def report_page(request: HttpRequest) -> HttpResponse:
    """The funder report for the dashboard's program and period: printable HTML, or PDF with
    ?format=pdf. Written for readers outside the program (small counts suppressed)."""
    require_role(request.user, OUTCOME_ROLES)
    _, filters = _scope(request)
    if filters is None or filters.program_id is None:
        return HttpResponse("Choose a program and a valid period.", status=400)
    program = Program.objects.get(pk=filters.program_id)
    ctx = report.context(filters, program, user=request.user)
    audit_event(user=request.user, action=Action.AGGREGATE, model=Call, ids=[], purpose="report")
    params = request.GET.copy()
    params["format"] = "pdf"
    if request.GET.get("format") == "pdf":
        response = HttpResponse(report.pdf(ctx), content_type="application/pdf")
        name = f"{program.slug}-outcomes-{filters.date_from}-{filters.date_to}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return HttpResponse(report.html({**ctx, "pdf_query": params.urlencode()}))


@login_required
def costs_page(request: HttpRequest) -> HttpResponse:
    """The cost model's assumptions for a program: program managers edit them (every figure
    with its low, its high and its source); supervisors and evaluators read them."""
    require_role(request.user, OUTCOME_ROLES)
    form, programs = _filter_form(request)
    chosen = request.POST.get("program") or request.GET.get("program") or ""
    if chosen and not chosen.isdigit():
        raise Http404("No such program.")
    program = programs.filter(pk=int(chosen)).first() if chosen else programs.first()
    if program is None:
        raise Http404("No program to show.")
    editable = request.user.is_superuser or (
        programs_for(request.user, {Role.PROGRAM_MANAGER}).filter(pk=program.pk).exists()
    )
    if editable:
        costs.assumptions_install_defaults(program=program)
    rows = CostAssumption.objects.filter(program=program).select_related("updated_by")
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("Only the program's managers change its cost assumptions.")
        formset = AssumptionFormSet(request.POST, queryset=rows)
        if formset.is_valid():
            changed = costs.assumptions_update(
                program=program,
                user=request.user,
                figures={f.instance.key: f.cleaned_data for f in formset.forms},
            )
            messages.success(
                request,
                f"{len(changed)} assumption{'s' if len(changed) != 1 else ''} changed."
                if changed
                else "Nothing changed.",
            )
            return redirect(f"{reverse('outcomes:costs')}?program={program.pk}")
        status = 400
    else:
        formset = AssumptionFormSet(queryset=rows)
    if not editable:
        for f in formset.forms:
            for field in f.fields.values():
                field.disabled = True
    return render(
        request,
        "outcomes/costs.html",
        {"form": form, "program": program, "formset": formset, "editable": editable},
        status=status,
    )
