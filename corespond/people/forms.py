from __future__ import annotations

from django import forms

from corespond.core.vocab import SafetyFlagKind


class FlagForm(forms.Form):
    kind = forms.ChoiceField(choices=SafetyFlagKind.choices, label="Safety flag")
    note = forms.CharField(max_length=300, required=False, label="What responders need to know")
