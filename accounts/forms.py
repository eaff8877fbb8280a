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


class TenantPolicyForm(forms.Form):
    signup_mode = forms.ChoiceField(choices=Tenant.SignupMode.choices)
    allowed_email_domains = forms.CharField(
        required=False,
        help_text="Comma- or space-separated, e.g. example.org, lab.example.org",
        widget=forms.TextInput(attrs={"placeholder": "example.org"}),
    )
    jwt_lifetime_minutes = forms.IntegerField(
        min_value=5, max_value=24 * 60, help_text="5 minutes to 24 hours."
    )
    apikey_max_lifetime_days = forms.IntegerField(min_value=1, max_value=3650)
    session_idle_minutes = forms.IntegerField(
        min_value=5, max_value=24 * 60, help_text="Signed out after this long without a request."
    )
    session_max_hours = forms.IntegerField(
        min_value=1, max_value=30 * 24, help_text="Signed out this long after signing in, whatever happens."
    )

    def domains(self) -> list[str]:
        return self.cleaned_data["allowed_email_domains"].replace(",", " ").split()


class WorkgroupNameForm(forms.Form):
    name = forms.CharField(max_length=100)


class AddPersonForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class WorkgroupMemberForm(forms.Form):
    user_id = forms.UUIDField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
