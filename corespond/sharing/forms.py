from __future__ import annotations

from typing import Any

from django import forms

from corespond.core.models import Agency


class ConsentForm(forms.Form):
    """A person's written consent to share their Part 2 records with one agency."""

    recipient = forms.ModelChoiceField(queryset=Agency.objects.none(), label="Share with")
    purpose = forms.CharField(
        max_length=200, label="Purpose", help_text="As written on the signed consent form."
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty if the form gives no end date (it lasts until revoked).",
    )

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        recipient = self.fields["recipient"]
        assert isinstance(recipient, forms.ModelChoiceField)
        recipient.queryset = agencies
