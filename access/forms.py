from django import forms

from access.rules import AREAS
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
