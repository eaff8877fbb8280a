from datetime import timedelta

from django import forms
from django.utils import timezone

from reports.models import Report
from reports.services import MAX_DAYS, MAX_RECIPIENTS


class ReportForm(forms.Form):
    kind = forms.ChoiceField(choices=Report.Kind.choices, widget=forms.RadioSelect, label="Report")
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="From")
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="To (included)")
    recipients = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocapitalize": "off", "spellcheck": "false"}),
        label="Email it to",
        help_text=f"Up to {MAX_RECIPIENTS} addresses, one per line: members of this tenant, or addresses "
        "in its domains. Empty: download it here only.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.now().date()
        first = today - timedelta(days=MAX_DAYS - 1)
        for name in ("starts_on", "ends_on"):
            self.fields[name].widget.attrs.update(min=first.isoformat(), max=today.isoformat())
        self.fields["starts_on"].initial, self.fields["ends_on"].initial = today - timedelta(days=29), today
        self.fields["kind"].initial = Report.Kind.LOGINS

    def clean_recipients(self) -> list[str]:
        return self.cleaned_data["recipients"].replace(",", " ").split()
