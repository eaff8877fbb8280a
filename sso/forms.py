from django import forms

from accounts.models import Membership, Role, User
from sso.models import SignIn


class SignInForm(forms.Form):
    mode = forms.ChoiceField(
        choices=SignIn.Mode.choices, widget=forms.RadioSelect, label="People sign in with"
    )
    organisation = forms.CharField(
        max_length=100, required=False, label="Organisation",
        help_text="Named on the sign-in page's button: “Sign in with …”.",
    )  # fmt: skip
    issuer = forms.URLField(
        max_length=500, required=False, label="Issuer URL", assume_scheme="https",
        help_text="The identity provider's OpenID Connect issuer; its discovery document is read from "
        "<issuer>/.well-known/openid-configuration.",
        error_messages={"invalid": "Give the issuer as a whole URL, e.g. https://login.example.org/tenant."},
    )  # fmt: skip
    client_id = forms.CharField(max_length=200, required=False, label="Client ID")
    client_secret = forms.CharField(
        max_length=500, required=False, label="Client secret", strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Stored sealed and never shown again; leave blank to keep the one stored.",
    )  # fmt: skip
    scopes = forms.CharField(max_length=200, initial="openid email profile", label="Scopes")
    break_glass = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Break-glass admins",
        error_messages={"invalid_choice": "Only this tenant's active admins can be break-glass admins."},
        help_text="Tenant admins with an authenticator app who keep password sign-in when single sign-on "
        "is the only way in, so a broken provider never locks the tenant out. Each use is in the event log.",
    )  # fmt: skip

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        admins = Membership.objects.filter(tenant=tenant, role=Role.ADMIN, is_active=True).values("user_id")
        self.fields["break_glass"].queryset = User.objects.filter(pk__in=admins).order_by("email")
