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
