"""Forms of the outcomes pages."""

from __future__ import annotations

from typing import Any

from django import forms

from corespond.outcomes.costs import assumption_problems
from corespond.outcomes.models import CostAssumption


class AssumptionForm(forms.ModelForm):
    """One row of the cost model: its figure, range and source."""

    class Meta:
        model = CostAssumption
        fields = ["value", "low", "high", "source"]
        widgets = {
            "value": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "low": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "high": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "source": forms.TextInput(attrs={"size": 50}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The page lays the rows out as a table; each input still names its row and column.
        for name, field in self.fields.items():
            field.widget.attrs["aria-label"] = (
                f"{self.instance.get_key_display()}: {field.label or name}"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problems = assumption_problems(
            self.instance.key, data.get("value"), data.get("low"), data.get("high")
        )
        for name, message in problems.items():
            self.add_error(name, message)
        return data


AssumptionFormSet = forms.modelformset_factory(
    CostAssumption, form=AssumptionForm, extra=0, can_delete=False
)
