from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from corespond.core.models import Agency, Program
from corespond.core.vocab import CallSource, CallType, UnservedReason


class CallForm(forms.Form):
    """What a call-taker asks. Labels are the questions, in the order they are asked."""

    program = forms.ModelChoiceField(queryset=Program.objects.none())
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label="Receiving agency")
    received_at = forms.DateTimeField(
        label="Received",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Local time of the chosen program.",
    )
    source = forms.ChoiceField(choices=CallSource.choices, initial=CallSource.PHONE_911)
    # The call-taker starts here: program, agency, time and source are usually pre-filled.
    call_type = forms.ChoiceField(
        choices=CallType.choices,
        label="Call type (APCO)",
        widget=forms.Select(attrs={"autofocus": True}),
    )
    source_call_type = forms.CharField(
        required=False, max_length=120, label="Call type as the CAD wrote it"
    )
    address = forms.CharField(max_length=200)
    behavioral_health = forms.BooleanField(
        required=False, label="Behavioural-health need (mental health or substance use)"
    )
    weapons = forms.BooleanField(required=False, label="Weapon reported")
    violence_in_progress = forms.BooleanField(required=False, label="Violence in progress")
    medical_emergency = forms.BooleanField(required=False, label="Medical emergency or overdose")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self, *args: Any, programs: Any, home_agency: Agency | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["program"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = programs
        agencies = self.fields["agency"]
        assert isinstance(agencies, forms.ModelChoiceField)
        agencies.queryset = Agency.objects.filter(programs__in=programs).distinct()
        if programs.count() == 1:
            field.initial = programs.first()
        # Most calls are received by the dispatcher's own agency.
        agencies.initial = home_agency
        self.fields["received_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        program, agency = data.get("program"), data.get("agency")
        if program and agency and not program.agencies.filter(pk=agency.pk).exists():
            self.add_error("agency", "That agency does not take part in the chosen program.")
        received = data.get("received_at")
        if program and received:
            # The field parsed the typed wall-clock time in the page's zone; the call-taker
            # meant the chosen program's zone.
            wall_clock = timezone.make_naive(received)
            data["received_at"] = timezone.make_aware(wall_clock, program.tzinfo)
        return data


class CloseUnservedForm(forms.Form):
    # No reason is pre-selected: the dispatcher must choose one (the metric counts them).
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *UnservedReason.choices], label="Why no team went"
    )


class ProtocolSourceForm(forms.Form):
    source = forms.CharField(
        label="Protocol (TOML)",
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 28, "spellcheck": "false", "class": "code", "autocomplete": "off"}
        ),
        help_text=(
            'Rules are tried in order; the first that holds decides. Change version = "..." '
            "at the top for a new version. docs/protocols.md describes every key."
        ),
    )
