"""Trading credentials for a JWT: an API key, an email and password, or a password-derived token.

Every refusal raises `Refused` with a reason for the log; the caller answers the same 401 whatever
the reason, so the answer never tells whether an email, a key or a tenant exists.
"""

import logging
import time
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from access import mfa, passwords
from access import services as access_services
from access.rules import API, AREAS, key_refusal, tenant_refusal
from accounts import addresses
from accounts.hosts import tenant_by_id
from accounts.models import Membership, Tenant, User
from accounts.requests import client_ip
from apikeys import authstate, keyring, keys, tokens
from apikeys.models import USAGE_TOKENS
from apikeys.selectors import KeyOwner, apikey_owner
from apikeys.services import apikey_use_record
from core import usage
from core.errors import Forbidden
from sso import services as sso_services

log = logging.getLogger(__name__)


class Refused(Exception):
    """The credentials do not yield a token; the message is for the log only."""


class Locked(Exception):
    """Too many failed attempts for this account or address; try again later."""


@dataclass(frozen=True)
class Issued:
    token: str
    expires_in: int
    claims: dict


def token_for_apikey(*, key_text: str, tenant: Tenant | None, ip: str | None) -> Issued:
    """`tenant` is the host's tenant; None on a host that is no tenant's (the key's tenant then)."""
    holder = apikey_holder(key_text=key_text, tenant=tenant, ip=ip)
    key_expiry = holder.snap.keys[holder.owner.apikey_id]["expires_at"]
    issued = _mint(
        holder.snap,
        holder.owner.user_id,
        holder.tenant,
        tokens.AMR_APIKEY,
        holder.scope,
        key_expiry,
        holder.owner.apikey_id,
        None,
    )
    usage.count(USAGE_TOKENS, holder.owner.apikey_id, detail=ip)  # where keys are used from, by day
    return issued


@dataclass(frozen=True)
class KeyHolder:
    owner: KeyOwner
    tenant: Tenant
    snap: authstate.Snapshot
    scope: set[str]


def apikey_holder(*, key_text: str, tenant: Tenant | None, ip: str | None, area: str = API) -> KeyHolder:
    """Who holds a usable portal API key (its use is recorded), or Refused; OutsideNetworks when
    the key is good but `ip` is outside its networks. `tenant` is the host's tenant (whose host
    checked its own networks); None on a host that is no tenant's (the key's tenant then, whose
    networks for `area` are checked here)."""
    if not keys.is_well_formed(key_text):
        raise Refused("malformed key or bad checksum")  # refused before any database work
    owner = apikey_owner(keys.digest(key_text))
    if owner is None:
        raise Refused("unknown key")
    on_host = tenant is not None
    if tenant is None:
        tenant = tenant_by_id(owner.tenant_id)
        if tenant is None:
            raise Refused("key's tenant is gone or inactive")
    elif str(tenant.pk) != owner.tenant_id:
        raise Refused("key of another tenant")
    snap = authstate.snapshot(owner.user_id, owner.tenant_id)
    scope = _key_scope(snap, owner.apikey_id)
    outside = None if on_host else tenant_refusal(tenant, area, ip)
    if outside := outside or key_refusal(snap.keys[owner.apikey_id]["networks"], ip):
        what = f"API key {owner.apikey_id} used for {AREAS[area]}"
        access_services.refused_record(tenant=tenant, refusal=outside, what=what, attempt=True)
        raise outside
    apikey_use_record(apikey_id=owner.apikey_id, ip=ip)
    return KeyHolder(owner=owner, tenant=tenant, snap=snap, scope=scope)


def token_for_password(
    *, request: HttpRequest, email: str, password: str, tenant: Tenant | None, named_by_domain: bool = True
) -> Issued:
    """Email and password through allauth, so its failed-login lockout applies here too. No tenant
    (an operator host's `?tenant=` naming none) is refused only after the password is checked.

    On an operator host, a tenant named by its domain (public) from outside its networks is
    refused before any password is checked, as its own host would; one found by another name (ICA's
    `?tenant=` by name or slug) is checked only after the password, and refused as a wrong password
    is, so that no answer or timing tells which names exist."""
    request.signin_tenant = tenant  # whom a failure counts against, also on an operator host (?tenant=)
    ip = client_ip(request)
    outside = tenant_refusal(tenant, API, ip) if request.tenant is None and tenant is not None else None
    if outside and named_by_domain:  # no password guessing from outside; the domain is public
        access_services.refused_record(tenant=tenant, refusal=outside, what="password sign-in", attempt=True)
        raise outside
    try:
        user = get_adapter(request).authenticate(request, email=addresses.canonical(email), password=password)
    except ValidationError:
        raise Locked() from None
    if user is None:
        raise Refused("wrong email or password")
    if tenant is None:
        raise Refused("no tenant: use the tenant's host or ?tenant=<domain>")
    if outside:
        access_services.refused_record(tenant=tenant, refusal=outside, what="password sign-in", attempt=True)
        raise Refused("outside the networks of a tenant named by name: answered as a wrong password")
    if not sso_services.password_allowed(tenant=tenant, user=user):
        raise Refused("the tenant signs in through its identity provider only: exchange an API key")
    if not EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists():
        raise Refused("email not verified")
    if is_mfa_enabled(user):
        raise Refused("account uses two-factor authentication: exchange an API key instead")
    snap = authstate.snapshot(user.pk, tenant.pk)
    _require_member(snap)
    if _second_factor_required(tenant, user):  # a right password, without the factor it needs
        raise Forbidden(
            f"{tenant.name} requires a second factor: sign in with `portal login`, or exchange an API key.",
            code="second_factor_required",
        )
    if problem := passwords.sign_in_problem(user, password, tenant):
        raise Forbidden(
            f"{problem} Sign in at {tenant.domain} to change it.", code="password_change_required"
        )
    access_services.signin_record(tenant=tenant, user=user, ip=ip, method="password", application="api")
    now = int(time.time())
    return _mint(
        snap, user.pk, tenant, tokens.AMR_PASSWORD, set(snap.workgroups), now + _longest(tenant), None, now
    )


def token_refresh(*, claims: dict, user, tenant: Tenant) -> Issued:
    """A fresh token for a valid one a person signed in for (a password, or `portal login`'s
    browser sign-in); key-derived tokens exchange the key again.

    A chain of refreshes ends with the tenant's longest session, counted from the sign-in
    (`auth_time`, carried along; a token minted before the claim existed counts from its `iat`).
    A password alone is not refreshed once the account has a second factor it lacks, nor once the
    tenant requires one; a password not at all at a single-sign-on-only tenant (but its break-glass
    admins'), nor once older than the tenant allows; one through the identity provider only while
    the tenant still signs in through it."""
    amr = claims["amr"]
    if amr not in tokens.AMRS or amr == [tokens.AMR_APIKEY]:
        raise Refused("only tokens from a sign-in are refreshed; exchange the API key again")
    signed_in = claims.get("auth_time", claims["iat"])
    ends = signed_in + _longest(tenant)
    if ends <= time.time():
        raise Refused("this sign-in is older than the tenant's longest session: sign in again")
    if amr == [tokens.AMR_PASSWORD] and is_mfa_enabled(user):
        raise Refused("the account now uses two-factor authentication: exchange an API key instead")
    user = User.objects.filter(pk=user.pk).first()  # the row: its password's age (a TokenUser has not)
    if user is None:
        raise Refused("no such user")
    _check_sign_in_still_good(tenant, user, amr)
    snap = authstate.snapshot(claims["sub"], tenant.pk)
    _require_member(snap)
    return _mint(snap, claims["sub"], tenant, amr, set(snap.workgroups), ends, None, signed_in)


def token_for_sign_in(*, user_id, tenant: Tenant, amr: list[str], auth_time: int) -> Issued:
    """`portal login`: a token for someone who signed in in the browser (and let the CLI act as
    them), as that sign-in was: its methods, and its longest session from when it was made."""
    if amr not in tokens.AMRS or amr == [tokens.AMR_APIKEY]:
        raise Refused(f"not a sign-in: {amr!r}")
    ends = auth_time + _longest(tenant)
    if ends <= time.time():
        raise Refused("this sign-in is older than the tenant's longest session: sign in again")
    # As at a refresh: the tenant may have changed how it signs in since the browser said yes.
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Refused("no such user")
    _check_sign_in_still_good(tenant, user, amr)
    snap = authstate.snapshot(user_id, tenant.pk)
    _require_member(snap)
    return _mint(
        snap, user_id, tenant, amr, set(snap.workgroups), ends, None, min(auth_time, int(time.time()))
    )


def _check_sign_in_still_good(tenant: Tenant, user, amr: list[str]) -> None:
    """As at a refresh or a `portal login` redemption: the tenant may have changed how it signs in,
    or begun to require a second factor, since the sign-in."""
    if amr != [tokens.AMR_SSO] and not sso_services.password_allowed(tenant=tenant, user=user):
        raise Refused("the tenant signs in through its identity provider only: sign in through it")
    if amr == [tokens.AMR_SSO] and not sso_services.uses_sso(tenant):
        raise Refused("the tenant no longer signs in through an identity provider: sign in again")
    if amr == [tokens.AMR_PASSWORD] and _second_factor_required(tenant, user):
        raise Refused("the tenant requires a second factor: sign in again with it")
    if amr == [tokens.AMR_HWK, tokens.AMR_MFA] and not tenant.passkey_login:
        raise Refused("the tenant no longer lets a passkey sign in alone: sign in with the password")
    if tokens.AMR_PASSWORD in amr and passwords.expired(user, passwords.Policy.of(tenant)):
        raise Refused("the password is older than the tenant allows: sign in and change it")


def _second_factor_required(tenant: Tenant, user) -> bool:
    """Whether the tenant now requires of `user` a second factor (past its grace days)."""
    membership = Membership.objects.filter(tenant=tenant, user=user, is_active=True).first()
    required = mfa.requirement(tenant, membership)
    return required is not None and required.enforced


def _longest(tenant: Tenant) -> int:
    return tenant.session_max_hours * 3600


def _require_member(snap: authstate.Snapshot | None) -> None:
    if snap is None or not snap.user["is_active"]:
        raise Refused("no such user, or deactivated")
    if snap.membership is None or not snap.membership["is_active"]:
        raise Refused("not an active member of the tenant")


def _key_scope(snap: authstate.Snapshot | None, key_id: str) -> set[str]:
    _require_member(snap)
    key = snap.keys.get(key_id)
    if key is None or key["expires_at"] <= time.time():
        raise Refused("key revoked or expired")
    mine = set(snap.workgroups)
    return mine if key["scope"] is None else mine & set(key["scope"])


def _mint(snap, user_id, tenant: Tenant, amr, scope: set[str], ends, key_id, auth_time) -> Issued:
    """`ends`: the latest a token may live (its key's expiry, or its sign-in's longest session)."""
    now = int(time.time())
    expires_at = now + tenant.jwt_lifetime_seconds
    if ends is not None:
        expires_at = min(expires_at, int(ends))
    body = tokens.claims(
        issuer=settings.PORTAL_JWT_ISSUER,
        user_id=str(user_id),
        tenant_id=str(tenant.pk),
        workgroup_ids=scope,
        amr=amr,
        now=now,
        expires_at=expires_at,
        apikey_id=key_id,
        auth_time=auth_time,
    )
    return Issued(tokens.encode(body, keyring.current().signing), expires_at - now, body)
