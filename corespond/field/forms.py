from __future__ import annotations

from typing import Any

from django import forms

from corespond.core.vocab import ContactOutcome, Disposition, TransportedBy
from corespond.field import cssrs
from corespond.field.models import EncounterPerson


class EncounterForm(forms.Form):
    """The encounter record, laid out for a phone: big controls, nothing that needs a mouse."""

    contact_outcome = forms.ChoiceField(choices=ContactOutcome.choices, label="Contact outcome")
    disposition = forms.ChoiceField(choices=Disposition.choices)
    disposition_text = forms.CharField(
        required=False, max_length=200, label="Disposition details (for 'other')"
    )
    transported_by = forms.ChoiceField(choices=TransportedBy.choices, label="Transported by")
    service_provided = forms.BooleanField(
        required=False, label="Service given on scene (intervention or referral)"
    )
    involuntary_hold = forms.BooleanField(required=False, label="Involuntary hold")
    use_of_force = forms.BooleanField(required=False, label="Use of force")
    injury_person = forms.BooleanField(required=False, label="Person injured")
    injury_staff = forms.BooleanField(required=False, label="Staff injured")
    # The values the page showed, so that only this user's changes are saved (see
    # field.services.encounter_update_merged).
    original = forms.CharField(required=False, widget=forms.HiddenInput)

    RECORD = (
        "contact_outcome",
        "disposition",
        "disposition_text",
        "transported_by",
        "service_provided",
        "involuntary_hold",
        "use_of_force",
        "injury_person",
        "injury_staff",
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("disposition") == Disposition.OTHER and not data.get("disposition_text"):
            self.add_error("disposition_text", "Say what 'other' was.")
        return data


class PersonForm(forms.Form):
    given_name = forms.CharField(max_length=100, label="Given name")
    family_name = forms.CharField(max_length=100, required=False, label="Family name")
    birth_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Date of birth"
    )
    involvement = forms.ChoiceField(
        choices=EncounterPerson.Involvement.choices, initial=EncounterPerson.Involvement.SUBJECT
    )


YES_NO = [("yes", "Yes"), ("no", "No")]


class ScreeningForm(forms.Form):
    """The C-SSRS screen: one yes/no per item; the page hides items the skip logic does not
    ask, and the service refuses answers that break it."""

    person = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Person")

    def __init__(self, *args: object, people: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        person = self.fields["person"]
        assert isinstance(person, forms.TypedChoiceField)
        person.choices = [("", "Not recorded"), *[(str(pk), name) for pk, name in people]]
        for item, (question, _) in cssrs.ITEMS.items():
            self.fields[item] = forms.ChoiceField(
                choices=YES_NO, required=False, label=question, widget=forms.RadioSelect
            )

    def answers(self) -> dict[str, bool | None]:
        data = self.cleaned_data
        return {item: {"yes": True, "no": False}.get(data.get(item) or "") for item in cssrs.ITEMS}


class FindPersonForm(forms.Form):
    """Look for someone the program already knows before recording a new person."""

    name = forms.CharField(max_length=100, label="Name to look for", required=False)
    birth_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Born"
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not (data.get("name") or "").strip() and not data.get("birth_date"):
            raise forms.ValidationError("Type a name or a date of birth to look for.")
        return data


def _people_field(people: list[tuple[int, str]], label: str, required: bool) -> forms.Field:
    empty = [] if required else [("", "Not about one person")]
    return forms.TypedChoiceField(
        choices=[*empty, *[(str(pk), name) for pk, name in people]],
        coerce=int,
        empty_value=None,
        required=required,
        label=label,
    )


class NoteForm(forms.Form):
    text = forms.CharField(max_length=8000, label="Note", widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(
        self, *args: object, people: list[tuple[int, str]], part2_allowed: bool, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["person_id"] = _people_field(people, "About", required=False)
        if part2_allowed:
            self.fields["part2"] = forms.BooleanField(
                required=False,
                label="Substance-use treatment record (42 CFR Part 2)",
                help_text="Shared outside your agency only with the person's written consent.",
            )


class ResourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.category.replace('_', ' ')}: {obj.name} ({obj.organization})"


class ReferralForm(forms.Form):
    def __init__(
        self, *args: object, people: list[tuple[int, str]], resources: object, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["person"] = _people_field(people, "Person", required=True)
        self.fields["resource"] = ResourceChoiceField(
            queryset=resources,  # type: ignore[arg-type]
            label="Refer to",
            empty_label="Choose a service",
        )
