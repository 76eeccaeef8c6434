"""The first metrics page: the catalog for a period, as a program manager reads it."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from corespond.core.access import Action, audit_event, programs_for, roles_of
from corespond.core.models import Program
from corespond.core.roles import OUTCOME_ROLES, require_role
from corespond.core.vocab import Role
from corespond.intake.models import Call
from corespond.outcomes import metrics


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
    ("Cost offsets (assumptions in the admin: Outcomes > Cost assumptions)", ("cost.",)),
]


@login_required
def metrics_page(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OUTCOME_ROLES)
    programs = (
        Program.objects.all()
        if request.user.is_superuser
        else programs_for(request.user, OUTCOME_ROLES)
    )
    form = MetricsFilterForm(request.GET or None, initial={"program": programs.first()})
    form.fields["program"].queryset = programs  # type: ignore[attr-defined]
    sections: list[tuple[str, list[tuple[str, str, str]]]] = []
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        status = 200
        data = form.cleaned_data if form.is_bound else {}
        program = data.get("program") or programs.first()
        filters = metrics.Filters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            program_id=program.pk if program else None,
            tz=program.timezone if program else "",
        )
        values = metrics.compute(filters, user=request.user)
        audit_event(
            user=request.user, action=Action.AGGREGATE, model=Call, ids=[], purpose="metrics"
        )
        # Evaluators and the public see small counts suppressed (spec/metrics.md).
        suppress = Role.EVALUATOR in roles_of(request.user) and not request.user.is_superuser
        for title, prefix in SECTIONS:
            rows = [
                (mid, metrics.LABELS.get(mid, mid), metrics.display(mid, m, suppress=suppress))
                for mid, m in values.items()
                if mid.startswith(prefix)
            ]
            sections.append((title, rows))
    return render(
        request, "outcomes/metrics.html", {"form": form, "sections": sections}, status=status
    )
