from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from apikeys.services import ALL, OVERLAPS
from core import networks

OVERLAP_LABELS = {
    "none": "None: the old key stops now",
    "1h": "1 hour",
    "24h": "24 hours",
    "7d": "7 days",
}


NAME_REQUIRED = "Give the key a name, e.g. the pipeline or machine that will use it."


class NetworksField(forms.CharField):
    """Where a key may be used from: CIDR ranges, one per line (blank: no limit of its own)."""

    widget = forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocapitalize": "off"})

    def __init__(self, **kwargs):
        help_text = "Optional. CIDR ranges or addresses, one per line, e.g. 192.0.2.0/24 or 2001:db8::/48."
        super().__init__(required=False, label="Usable only from", help_text=help_text, **kwargs)

    def clean(self, value) -> list[str]:
        try:
            return networks.normalised(networks.split(super().clean(value)))
        except networks.BadNetworks as exc:
            raise forms.ValidationError(str(exc)) from None


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "e.g. nightly-annotation"}),
        error_messages={"required": NAME_REQUIRED},
    )
    scope = forms.ChoiceField(
        choices=[(ALL, "All current and future workgroups"), ("chosen", "Only the workgroups I choose")],
        initial=ALL,
        widget=forms.RadioSelect,
    )
    workgroups = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    expires_in = forms.ChoiceField(widget=forms.RadioSelect, label="Expires", required=False)  # "": default
    expires_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Custom date"
    )
    allowed_networks = NetworksField()

    def __init__(self, *args, workgroups, max_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_days = max_days
        self.fields["workgroups"].choices = [(str(wg.pk), wg.name) for wg in workgroups]
        presets = [(str(days), label) for days, label in PRESETS if days < max_days]
        longest = (str(max_days), f"{_days(max_days)} (the longest allowed)")
        self.fields["expires_in"].choices = [*presets, longest, (CUSTOM, "Custom date")]
        self.fields["expires_in"].initial = "90" if max_days > 90 else longest[0]
        today = timezone.now().date()
        self.fields["expires_on"].widget.attrs.update(
            min=(today + timedelta(days=1)).isoformat(), max=(today + timedelta(days=max_days)).isoformat()
        )

    def clean(self):
        data = super().clean()
        if data.get("scope") == "chosen" and not data.get("workgroups"):
            self.add_error("workgroups", "Choose at least one workgroup, or all of them.")
        if data.get("expires_in") == CUSTOM and data.get("expires_on") is None:
            self.add_error("expires_on", "Pick the day the key stops working, or choose a preset.")
        return data

    def expires_at(self) -> datetime:
        """The chosen preset from now, or the end of the chosen day; never beyond the tenant's
        longest lifetime."""
        longest = timezone.now() + timedelta(days=self.max_days)
        chosen = self.cleaned_data["expires_in"] or self.fields["expires_in"].initial
        if chosen != CUSTOM:
            return min(timezone.now() + timedelta(days=int(chosen)), longest)
        day = self.cleaned_data["expires_on"]
        return min(timezone.make_aware(datetime.combine(day, time(23, 59))), longest)


PRESETS = [(30, "30 days"), (90, "90 days"), (365, "1 year")]
CUSTOM = "custom"


def _days(days: int) -> str:
    return f"{days // 365} year{'s' if days // 365 > 1 else ''}" if days % 365 == 0 else f"{days} days"


class RenameForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name", error_messages={"required": NAME_REQUIRED})
    allowed_networks = NetworksField()


class RegenerateForm(forms.Form):
    overlap = forms.ChoiceField(
        choices=[(key, OVERLAP_LABELS[key]) for key in OVERLAPS],
        initial="24h",
        widget=forms.RadioSelect,
        label="Keep the old key working for",
    )
