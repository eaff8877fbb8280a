from django import forms

from access.passwords import CLASSES
from access.rules import AREAS
from accounts.models import (
    MFA_GRACE_MAX,
    PASSWORD_HISTORY_MAX,
    PASSWORD_MAX_AGE_DAYS,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    MfaRequired,
)
from core import networks


class NetworkPolicyForm(forms.Form):
    allowed_networks = forms.CharField(
        required=False,
        label="Allowed networks",
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "autocapitalize": "off"}),
        help_text="CIDR ranges or single addresses, IPv4 or IPv6, one per line: 192.0.2.0/24, "
        "2001:db8:1::/48. Up to 100.",
    )
    for_pages = forms.BooleanField(required=False, label=f"Apply to {AREAS['pages']}")
    for_api = forms.BooleanField(required=False, label=f"Apply to {AREAS['api']}")
    for_tools = forms.BooleanField(required=False, label=f"Apply to {AREAS['tools']}")

    def clean_allowed_networks(self) -> list[str]:
        try:
            return networks.normalised(networks.split(self.cleaned_data["allowed_networks"]))
        except networks.BadNetworks as exc:
            raise forms.ValidationError(str(exc)) from None

    def guarded(self) -> dict[str, bool]:
        return {area: self.cleaned_data[f"for_{area}"] for area in AREAS}


class PasswordPolicyForm(forms.Form):
    min_length = forms.IntegerField(
        min_value=PASSWORD_MIN_LENGTH, max_value=PASSWORD_MAX_LENGTH, label="Shortest password (characters)"
    )
    classes = forms.MultipleChoiceField(
        required=False,
        choices=[(kind, words[0].upper() + words[1:]) for kind, words in CLASSES.items()],
        widget=forms.CheckboxSelectMultiple,
        label="Every password has",
    )
    history = forms.IntegerField(
        min_value=0, max_value=PASSWORD_HISTORY_MAX, label="Earlier passwords that may not come back",
        help_text="0: any; the current password always counts among them.",
    )  # fmt: skip
    max_age_days = forms.IntegerField(
        min_value=0, max_value=PASSWORD_MAX_AGE_DAYS, label="Change passwords after (days)",
        help_text="0: never. An older password is accepted once more, then must be changed.",
    )  # fmt: skip


class MfaPolicyForm(forms.Form):
    required = forms.ChoiceField(
        choices=MfaRequired.choices, widget=forms.RadioSelect, label="A second factor is required of"
    )
    grace_days = forms.IntegerField(
        min_value=0, max_value=MFA_GRACE_MAX, label="Days to set one up",
        help_text="From now (or from joining, for people who join later); every sign-in in them asks.",
    )  # fmt: skip
    passkey_login = forms.BooleanField(
        required=False, label="Passkeys may sign in on their own (no password)"
    )
