"""The one place django-allauth is customised: tenant signup policy and tenant-aware emails."""

import logging
import re
from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal.ratelimit import parse_rates
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect

from accounts import addresses, emails, services
from accounts.middleware import deactivated
from accounts.models import Invitation, Membership, Tenant
from accounts.requests import client_ip
from accounts.services import Actor

log = logging.getLogger(__name__)
INVITATION_SESSION_KEY = "portal_invitation_id"


def invitation_in_session(request) -> Invitation | None:
    """The still-usable invitation this visitor opened at this tenant, if any."""
    invitation_id = request.session.get(INVITATION_SESSION_KEY)
    tenant = getattr(request, "tenant", None)
    if not invitation_id or tenant is None:
        return None
    invitation = Invitation.objects.filter(pk=invitation_id, tenant=tenant).select_related("tenant").first()
    return invitation if invitation is not None and invitation.is_usable() else None


def signup_refusal(tenant: Tenant, email: str) -> str | None:
    """Why `email` may not sign up at `tenant` without an invitation, or None when it may."""
    if tenant.signup_mode == Tenant.SignupMode.OPEN:
        return None
    if tenant.signup_mode == Tenant.SignupMode.EMAIL_DOMAIN:
        if tenant.email_domain_allowed(email):
            return None
        allowed = ", ".join(tenant.allowed_email_domains)
        return f"Sign-up at {tenant.name} is limited to email addresses at {allowed}."
    return f"{tenant.name} is open by invitation only."


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return False
        return (
            tenant.signup_mode != Tenant.SignupMode.INVITE_ONLY or invitation_in_session(request) is not None
        )

    def pre_login(self, request, user, **kwargs):
        """A member deactivated here is not signed in at all, so the one message says why (not a
        green "Successfully signed in" beside it). Asked only once the password was right, and
        again at the moment of signing in (`login`), after any second factor."""
        return _refused_if_deactivated(request, user) or super().pre_login(request, user, **kwargs)

    def login(self, request, user):
        refused = _refused_if_deactivated(request, user)  # deactivated while at the second factor
        if refused is not None:
            raise ImmediateHttpResponse(refused)
        super().login(request, user)

    def validation_error(self, code, *args):
        """allauth's lockout says 'try again later'; this says how much later at most (the longest
        window of ACCOUNT_RATE_LIMITS["login_failed"])."""
        if code == "too_many_login_attempts":
            rates = parse_rates((settings.ACCOUNT_RATE_LIMITS or {}).get("login_failed"))
            wait = max((rate.duration for rate in rates), default=60)
            minutes = max(1, round(wait / 60))
            unit = "minute" if minutes == 1 else "minutes"
            return forms.ValidationError(
                f"Too many failed sign-ins. Try again in {minutes} {unit} at most.", code=code
            )
        return super().validation_error(code, *args)

    def save_user(self, request, user, form, commit=True):
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                self._join_tenant(request, user)
        return user

    def _join_tenant(self, request, user) -> None:
        by = Actor(user=user, ip=self.get_client_ip(request))
        invitation = invitation_in_session(request)
        if invitation is not None and invitation.email == user.email:  # canonical, both
            services.invitation_accept(invitation=invitation, user=user, by=by)
            request.session.pop(INVITATION_SESSION_KEY, None)
        else:
            services.member_join(tenant=request.tenant, user=user, by=by, via="signup")

    def clean_email(self, email: str) -> str:
        """Sign-up and every address added later: one whose mail could reach another mailbox is
        refused (accounts.addresses.problem)."""
        problem = addresses.problem(addresses.canonical(email))
        if problem:
            raise forms.ValidationError(f"This address {problem}.")
        return email

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every allauth email (confirmation, password reset, unknown account) links to the tenant's
        configured address: allauth builds its links from the request's Host, whose port (and, on
        an operator host, name) the sender of the request chose."""
        if addresses.problem(addresses.canonical(email)):  # an account made before such were refused
            log.warning("not sending %s to %r: its mail could reach another mailbox", template_prefix, email)
            return
        request = allauth_context.request
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            here = re.compile(rf"^https?://{re.escape(request.get_host())}(?=/)")
            there = emails.tenant_url(tenant, "")
            context = {
                name: here.sub(lambda _: there, value) if isinstance(value, str) else value
                for name, value in context.items()
            }
            context["current_site"] = SimpleNamespace(name=tenant.name, domain=tenant.domain)
        super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject: str) -> str:
        tenant = getattr(self.request, "tenant", None)
        return f"[{tenant.name}] {subject}" if tenant is not None else subject

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # One counter per account for the whole portal: allauth's own key adds the site's domain,
        # which would give an attacker a fresh allowance at every tenant's host. (Lower-cased and
        # stripped as every sign-in path reads the email: the login form, HTTP Basic, admin.)
        return addresses.canonical(credentials.get("email", credentials.get("username", "")))

    def get_client_ip(self, request) -> str:
        # One rule for every client address the portal records and rate-limits by.
        return client_ip(request) or "0.0.0.0"  # noqa: S104 (an address, not a bind)


def _refused_if_deactivated(request, user):
    tenant = getattr(request, "tenant", None)
    if tenant is None or not Membership.objects.filter(tenant=tenant, user=user, is_active=False).exists():
        return None
    clear_login(request)
    messages.info(request, deactivated(tenant))
    return redirect("account_login")
