from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from apikeys.services import ALL, OVERLAPS

OVERLAP_LABELS = {
    "none": "None: the old key stops now",
    "1h": "1 hour",
    "24h": "24 hours",
    "7d": "7 days",
}


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. nightly-annotation"})
    )
    scope = forms.ChoiceField(
        choices=[(ALL, "All current and future workgroups"), ("chosen", "Only the workgroups I choose")],
        initial=ALL,
        widget=forms.RadioSelect,
    )
    workgroups = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. Empty: the longest this tenant allows.",
    )

    def __init__(self, *args, workgroups, max_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_days = max_days
        self.fields["workgroups"].choices = [(str(wg.pk), wg.name) for wg in workgroups]
        today = timezone.now().date()
        self.fields["expires_on"].widget.attrs.update(
            min=(today + timedelta(days=1)).isoformat(), max=(today + timedelta(days=max_days)).isoformat()
        )

    def clean(self):
        data = super().clean()
        if data.get("scope") == "chosen" and not data.get("workgroups"):
            self.add_error("workgroups", "Choose at least one workgroup, or all of them.")
        return data

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        end_of_day = timezone.make_aware(datetime.combine(day, time(23, 59)))
        return min(end_of_day, timezone.now() + timedelta(days=self.max_days))


class RegenerateForm(forms.Form):
    overlap = forms.ChoiceField(
        choices=[(key, OVERLAP_LABELS[key]) for key in OVERLAPS],
        initial="24h",
        widget=forms.RadioSelect,
        label="Keep the old key working for",
    )
