from datetime import UTC, date, datetime, time

from django import forms
from django.utils import timezone

import premiumlic
from licenses import methods
from licenses.models import MAX_GRACE_DAYS, MAX_SEATS

SOURCE_CHOICES = [(source, source) for source in premiumlic.SOURCES]


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def end_of(day: date) -> datetime:
    """A term "until 31 December" includes that day (UTC)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


class LicenseForm(forms.Form):
    name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. Sequencing core, NovaSeq X"})
    )
    sources = forms.MultipleChoiceField(choices=SOURCE_CHOICES, widget=forms.CheckboxSelectMultiple)
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="From 00:00 UTC.")
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="Until 23:59 UTC.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].initial = timezone.now().date()

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "The term must end after it starts.")
        return data

    def term(self) -> tuple[datetime, datetime]:
        return start_of(self.cleaned_data["starts_on"]), end_of(self.cleaned_data["ends_on"])


class LicenseEditForm(forms.Form):
    name = forms.CharField(max_length=100)
    sources = forms.MultipleChoiceField(choices=SOURCE_CHOICES, widget=forms.CheckboxSelectMultiple)
    ends_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="Until 23:59 UTC. Extend or shorten."
    )
    grace_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_GRACE_DAYS,
        label="Grace (days)",
        help_text=f"Tools may keep an expired file this long, with a warning (0 to {MAX_GRACE_DAYS}).",
    )
    seats = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_SEATS,
        label="Seats",
        help_text="At most this many credentials (instruments). Empty: no cap.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for index, source in enumerate(premiumlic.SOURCES):
            self.fields[f"source_end_{index}"] = forms.DateField(
                required=False,
                label=f"{source} ends on",
                widget=forms.DateInput(attrs={"type": "date"}),
                help_text="Empty: with the license.",
            )

    @classmethod
    def for_license(cls, license, data=None):
        initial = {
            "name": license.name,
            "sources": license.sources,
            "ends_on": license.ends_at.date(),
            "grace_days": license.grace_days,
            "seats": license.seats,
        }
        for source, end in license.source_ends().items():
            if end < license.ends_at:
                initial[f"source_end_{premiumlic.SOURCES.index(source)}"] = end.date()
        return cls(data, initial=initial)

    def source_end_fields(self) -> list:
        return [self[f"source_end_{index}"] for index in range(len(premiumlic.SOURCES))]

    def changes(self) -> dict:
        data = self.cleaned_data
        ends = {
            source: end_of(data[f"source_end_{index}"])
            for index, source in enumerate(premiumlic.SOURCES)
            if data.get(f"source_end_{index}") and source in data["sources"]
        }
        ends_at = end_of(data["ends_on"])
        return {
            "name": data["name"],
            "sources": data["sources"],
            "ends_at": ends_at,
            "source_ends": {source: end for source, end in ends.items() if end != ends_at},
            "grace_days": data.get("grace_days"),  # None: left as it is
            "seats": data.get("seats"),  # None: no cap
        }


class CredentialForm(forms.Form):
    """A method, and what it is given (licenses/methods.py): a serial number for a DRAGEN server."""

    method = forms.ChoiceField(
        choices=methods.CHOICES, widget=forms.RadioSelect, initial=next(iter(methods.METHODS))
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for given in methods.GIVEN.values():
            self.fields[given.name] = forms.CharField(
                required=False,
                max_length=100,
                label=given.label,
                help_text=given.help,
                widget=forms.TextInput(attrs={"placeholder": f"e.g. {given.example}", "autocomplete": "off"}),
            )

    def given_fields(self) -> list:
        return [self[name] for name in methods.GIVEN]

    def generated(self) -> str:
        """The methods whose secrets are generated, for the form's hint."""
        return " and ".join(method.label for method in methods.METHODS.values() if method.given is None)

    def clean(self):
        data = super().clean()
        chosen = methods.METHODS.get(data.get("method"))
        for name, given in methods.GIVEN.items():
            if chosen is not None and chosen.given is given:
                if not (data.get(name) or "").strip():
                    self.add_error(name, f"Enter the {given.label.lower()}.")
            else:
                data[name] = None
        return data

    def given(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in methods.GIVEN}
