from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.core import context
from django import forms

from accounts import addresses
from accounts.adapter import invitation_in_session, signup_refusal
from accounts.models import Role, Tenant


class SignupForm(AllauthSignupForm):
    """allauth's signup form, plus the tenant's policy on which email addresses may sign up."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # allauth does not hand the request to its signup form; its middleware keeps it here.
        self.request = context.request
        invitation = invitation_in_session(self.request)
        if invitation is not None and not self.is_bound:
            self.initial["email"] = invitation.email

    def clean_email(self):
        email = super().clean_email()
        invitation = invitation_in_session(self.request)
        if invitation is not None and invitation.email == addresses.canonical(email):
            return email
        reason = signup_refusal(self.request.tenant, email)
        if reason:
            raise forms.ValidationError(reason)
        return email


def _whole(unit: str, low: int, high: int, help_text: str = "", **kwargs) -> forms.IntegerField:
    """A whole number of `unit` from `low` to `high`, with errors in those words."""
    between = f"Give a whole number of {unit} from {low} to {high}."
    return forms.IntegerField(
        min_value=low,
        max_value=high,
        help_text=help_text,
        error_messages={"required": between, "invalid": between, "min_value": between, "max_value": between},
        **kwargs,
    )


class TenantPolicyForm(forms.Form):
    signup_mode = forms.ChoiceField(choices=Tenant.SignupMode.choices, label="Who may sign up")
    allowed_email_domains = forms.CharField(
        required=False,
        label="Allowed email domains",
        help_text="Comma- or space-separated, e.g. example.org, lab.example.org; used when sign-up is "
        "limited to listed domains.",
        widget=forms.TextInput(attrs={"placeholder": "example.org"}),
    )
    jwt_lifetime_minutes = _whole(
        "minutes", 5, 24 * 60, "5 minutes to 24 hours.", label="JWT lifetime (minutes)"
    )
    apikey_max_lifetime_days = _whole(
        "days", 1, 3650, "New API keys may not be valid for longer.", label="Maximum API key lifetime (days)"
    )
    session_idle_minutes = _whole(
        "minutes",
        5,
        24 * 60,
        "Signed out after this long without a request.",
        label="Session idle timeout (minutes)",
    )
    session_max_hours = _whole(
        "hours",
        1,
        30 * 24,
        "Signed out this long after signing in, whatever happens.",
        label="Longest session (hours)",
    )

    def clean(self):
        data = super().clean()
        if data.get("signup_mode") == Tenant.SignupMode.EMAIL_DOMAIN and not data.get(
            "allowed_email_domains"
        ):
            self.add_error(
                "allowed_email_domains", "List at least one email domain for domain-restricted signup."
            )
        return data

    def domains(self) -> list[str]:
        return self.cleaned_data["allowed_email_domains"].replace(",", " ").split()


class WorkgroupNameForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Workgroup name",
        error_messages={
            "required": "Give the workgroup a name (not just spaces).",
            "max_length": "A workgroup name has at most 100 characters.",
        },
    )


class AddPersonForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        error_messages={
            "required": "Give the address to send the invitation to.",
            "invalid": "This is not an email address.",
        },
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER, label="Role")


class WorkgroupMemberForm(forms.Form):
    member = forms.EmailField(
        label="Member to add",
        error_messages={
            "required": "Give the email address of the member to add.",
            "invalid": "Give the member's whole email address.",
        },
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER, label="Role")


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        max_length=200,
        required=False,
        label="Your name",
        help_text="Shown beside your email address to the people you work with here.",
        error_messages={"max_length": "A name has at most 200 characters."},
    )
