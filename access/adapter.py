"""allauth's account adapter with the tenant's password policy: every password chosen (sign-up,
change, reset, set) meets it, the one replaced is kept for the no-reuse rule, and a right
password the policy no longer accepts (or grown too old) is accepted once more, to be changed at
once (`access.middleware.PasswordChangeRequired`)."""

import time

from allauth.account.internal.stagekit import clear_login
from allauth.mfa.webauthn.internal.flows import did_use_passwordless_login
from django import forms
from django.contrib import messages
from django.shortcuts import redirect

from access import mfa, passwords
from accounts.models import Membership
from sso.adapter import AccountAdapter as SsoAccountAdapter

CHANGE_REQUIRED = "portal_password_change"  # session: {"user": id, "why": text, "at": epoch seconds}
MFA_ASK = "portal_mfa_ask"  # session: the user id to ask, once, for the second factor the tenant requires


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
        """What this sign-in leaves to do, kept in the session until done (past the second factor,
        whose step is a later request): change the password, set up a second factor. A passkey
        signs in alone only where the tenant allows it."""
        tenant = getattr(request, "tenant", None)
        if tenant is not None and did_use_passwordless_login(request, user) and not tenant.passkey_login:
            clear_login(request)
            messages.error(
                request, f"At {tenant.name} a passkey is a second factor: sign in with your password first."
            )
            return redirect("account_login")
        self._mark(request, CHANGE_REQUIRED, self._password_problem(request, user))
        missing = None if tenant is None else mfa.missing(tenant, _membership(tenant, user), user)
        self._mark(request, MFA_ASK, str(user.pk) if missing else None)  # held or not: the middleware
        return super().pre_login(request, user, **kwargs)

    @staticmethod
    def _password_problem(request, user) -> dict | None:
        problem = getattr(request, "portal_password_problem", None)
        return {"user": str(user.pk), "why": problem, "at": time.time()} if problem else None

    @staticmethod
    def _mark(request, key: str, value) -> None:
        if value:
            request.session[key] = value
        else:
            request.session.pop(key, None)


def _membership(tenant, user):
    return Membership.objects.filter(tenant=tenant, user=user, is_active=True).first()
