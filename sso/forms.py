from django import forms

from accounts.models import Membership, Role, User, Workgroup
from sso import saml
from sso.models import SignIn
from sso.services.settings import CLAIM_KEYS

CLAIM_LABELS = {"email": "Email", "first_name": "First name", "last_name": "Last name", "groups": "Groups"}


class SignInForm(forms.Form):
    mode = forms.ChoiceField(
        choices=SignIn.Mode.choices, widget=forms.RadioSelect, label="People sign in with"
    )
    protocol = forms.ChoiceField(
        choices=SignIn.Protocol.choices,
        widget=forms.RadioSelect,
        initial="oidc",
        label="Protocol",
        required=False,
    )
    organisation = forms.CharField(
        max_length=100, required=False, label="Organisation",
        help_text="Named on the sign-in page's button: “Sign in with …”.",
    )  # fmt: skip
    # OpenID Connect
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
    # SAML
    metadata_file = forms.FileField(
        required=False, label="Identity provider metadata (XML file)",
        help_text="The federation metadata file your identity provider offers for this application.",
    )  # fmt: skip
    metadata_url = forms.URLField(
        max_length=500, required=False, label="…or its metadata URL", assume_scheme="https",
        help_text="Read now, and again every day: a new signing certificate is taken up, a bad or expired "
        "one is reported here and in the event log, and never used.",
        error_messages={"invalid": "Give the metadata's whole URL, e.g. https://login.example.org/metadata.xml."},
    )  # fmt: skip
    saml_signed = forms.BooleanField(
        required=False, initial=True, label="Assertions must be signed",
        help_text="Responses must be signed in any case; unsigned ones are always refused.",
    )  # fmt: skip
    saml_encrypted = forms.BooleanField(
        required=False, label="Assertions must be encrypted",
        help_text="To this tenant's certificate, in the service provider metadata below.",
    )  # fmt: skip
    saml_idp_initiated = forms.BooleanField(
        required=False, label="Allow sign-in started at the identity provider (IdP-initiated)",
        help_text="Off by default. When on, each assertion still signs in once only.",
    )  # fmt: skip
    # Both
    preset = forms.ChoiceField(
        required=False, label="Fill the attribute names for",
        choices=[("", "—")] + [(key, name) for key, name in saml.PRESET_NAMES.items()],
    )  # fmt: skip
    group_map = forms.CharField(
        required=False, label="Groups to workgroups", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One mapping a line: group = workgroup name. At every sign-in, people join each mapped "
        "workgroup while in a group mapped to it, and leave it when they no longer are.",
    )  # fmt: skip
    break_glass = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Break-glass admins",
        error_messages={"invalid_choice": "Only this tenant's active admins can be break-glass admins."},
        help_text="Tenant admins with an authenticator app who keep password sign-in when single sign-on "
        "is the only way in, so a broken provider never locks the tenant out. Each use is in the event log.",
    )  # fmt: skip

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        for key in sorted(CLAIM_KEYS, key=list(CLAIM_LABELS).index):
            self.fields[f"claim_{key}"] = forms.CharField(
                max_length=300,
                required=False,
                label=CLAIM_LABELS[key],
                widget=forms.TextInput(attrs={"spellcheck": "false"}),
            )
        admins = Membership.objects.filter(tenant=tenant, role=Role.ADMIN, is_active=True).values("user_id")
        self.fields["break_glass"].queryset = User.objects.filter(pk__in=admins).order_by("email")

    def clean_protocol(self):
        return self.cleaned_data.get("protocol") or SignIn.Protocol.OIDC

    def clean_metadata_file(self):
        upload = self.cleaned_data.get("metadata_file")
        if upload is None:
            return ""
        if upload.size > saml.MAX_METADATA:
            raise forms.ValidationError("The metadata file is larger than 1 MB.")
        return upload.read()

    def clean_group_map(self):
        names = {w.name.casefold(): str(w.pk) for w in Workgroup.objects.filter(tenant=self.tenant)}
        entries = []
        for number, line in enumerate(self.cleaned_data["group_map"].splitlines(), 1):
            if not line.strip():
                continue
            group, sep, workgroup = line.rpartition("=")
            if not sep or not group.strip() or not workgroup.strip():
                raise forms.ValidationError(f"Line {number}: write it as group = workgroup name.")
            if workgroup.strip().casefold() not in names:
                raise forms.ValidationError(f"Line {number}: no workgroup named {workgroup.strip()!r} here.")
            entries.append({"group": group.strip(), "workgroup": names[workgroup.strip().casefold()]})
        return entries

    def claims(self) -> dict:
        preset = saml.PRESETS.get(self.cleaned_data.get("preset") or "")
        if preset:
            return dict(preset)
        return {key: self.cleaned_data.get(f"claim_{key}", "") for key in CLAIM_KEYS}


def group_map_text(signin: SignIn) -> str:
    """A stored mapping as the form shows it: group = workgroup name, a line each."""
    names = {str(w.pk): w.name for w in Workgroup.objects.filter(tenant=signin.tenant)}
    return "\n".join(f"{e['group']} = {names.get(e['workgroup'], '?')}" for e in signin.group_map)
