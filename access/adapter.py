"""allauth's account adapter with the tenant's password policy: every password chosen (sign-up,
change, reset, set) meets it, the one replaced is kept for the no-reuse rule, and a right
password the policy no longer accepts (or grown too old) is accepted once more, to be changed at
once (`access.middleware.PasswordChangeRequired`)."""

import time

from django import forms

from access import passwords
from sso.adapter import AccountAdapter as SsoAccountAdapter

CHANGE_REQUIRED = "portal_password_change"  # session: {"user": id, "why": text, "at": epoch seconds}


class AccountAdapter(SsoAccountAdapter):
    def clean_password(self, password: str, user=None) -> str:
        password = super().clean_password(password, user)  # Django's validators: common, similar
        tenant = getattr(self.request, "tenant", None)
        if tenant is None:
            return password
        policy = passwords.policy_for(user, tenant)
        problems = passwords.shortfalls(password, policy)
        if user is not None and passwords.reused(user, password, policy):
            problems.append(f"It must differ from your last {policy.history} passwords.")
        if problems:
            raise forms.ValidationError(problems)
        return password

    def set_password(self, user, password: str) -> None:
        passwords.history_record(user)
        super().set_password(user, password)

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        tenant = getattr(request, "tenant", None)
        if user is not None and tenant is not None and "password" in credentials:
            request.portal_password_problem = passwords.sign_in_problem(user, credentials["password"], tenant)
        return user

    def pre_login(self, request, user, **kwargs):
        """The password's verdict, kept in the session until it is changed (past the second factor,
        whose step is a later request)."""
        problem = getattr(request, "portal_password_problem", None)
        if problem:
            request.session[CHANGE_REQUIRED] = {"user": str(user.pk), "why": problem, "at": time.time()}
        else:
            request.session.pop(CHANGE_REQUIRED, None)
        return super().pre_login(request, user, **kwargs)
