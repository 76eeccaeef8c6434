from __future__ import annotations

from django import forms

from corespond.core.vocab import AttemptMethod, FollowUpOutcome, ReferralStatus


class AttemptForm(forms.Form):
    method = forms.ChoiceField(choices=AttemptMethod.choices)
    reached = forms.BooleanField(required=False, label="Reached the person")
    outcome = forms.ChoiceField(
        choices=FollowUpOutcome.choices,
        initial=FollowUpOutcome.PENDING,
        help_text="Leave 'Pending' to keep trying.",
    )
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ReferralStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ReferralStatus.choices)
    note = forms.CharField(required=False, max_length=300)


class DirectorySearchForm(forms.Form):
    """Search the directory by need, place, hours and eligibility. Every field is optional."""

    q = forms.CharField(required=False, max_length=100, label="Need, name or organisation")
    category = forms.ChoiceField(required=False, label="Kind of service")
    near = forms.CharField(
        required=False,
        max_length=60,
        label="Near (latitude, longitude)",
        help_text="Filled in when you come from a call or encounter.",
    )
    open_now = forms.BooleanField(required=False, label="Open now")
    age = forms.IntegerField(required=False, min_value=0, max_value=130, label="Person's age")
    language = forms.CharField(required=False, max_length=40, label="Language")

    def __init__(self, *args: object, categories: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", "Any")] + [(c, c.replace("_", " ")) for c in categories]

    def clean_near(self) -> tuple[float, float] | None:
        raw = (self.cleaned_data.get("near") or "").strip()
        if not raw:
            return None
        try:
            lat_text, lon_text = raw.split(",")
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            raise forms.ValidationError(
                "Give a latitude and a longitude, e.g. 44.05, -123.09."
            ) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise forms.ValidationError("Latitude must be -90..90 and longitude -180..180.")
        return (lat, lon)
