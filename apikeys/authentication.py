"""DRF Bearer authentication: ES256 signature, then the cached auth snapshot. No database query.

One 401 for every reason a token is refused: its signature, algorithm, audience, issuer or time
window; a revoked or expired key; a user deactivated, removed from the tenant or whose password
changed since; a token older than the membership's start or last deactivation (rejoining
revives nothing); or one naming another tenant than the host's (on a host that is no tenant's,
its `tid` picks the tenant). A good token used from outside its key's networks (or, on an
operator host, its tenant's) is a 403 naming the rule."""

import logging
import time
import uuid
from dataclasses import dataclass

from rest_framework import authentication, exceptions

from access.rules import API, SAFE_METHODS, OutsideNetworks, key_refusal, tenant_refusal
from access.services import exchange_failure_record, refused_record
from accounts.hosts import tenant_by_id
from accounts.models import Membership, Tenant
from accounts.requests import client_ip
from accounts.selectors import remember_membership
from apikeys import authstate, grants, keyring, keys, tokens
from apikeys.models import USAGE_REQUESTS, TokenUser
from apikeys.services import apikey_use_record
from apikeys.throttles import api_key_header, client_unit, key_failure_limits
from core import usage
from core.instances import loaded

log = logging.getLogger(__name__)
INVALID = "The bearer token is invalid, expired or revoked."


@dataclass(frozen=True)
class TokenAuth:
    """`request.auth` of a Bearer request."""

    claims: dict
    workgroup_scope: frozenset[str]  # the only workgroups this request may see
    key_scope_all: bool  # minted from a password, or from a key scoped to all workgroups
    key_scope: frozenset[str] | None  # the key's current scope; None: all workgroups (or no key)
    workgroups: tuple[tuple[str, str, str], ...]  # (id, name, role) of the scope, as the snapshot has them
    key_networks: tuple[str, ...] = ()  # where the token's key may be used from; empty: no limit of its own

    @property
    def apikey_id(self) -> str | None:
        return self.claims.get("akid")


class BearerAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        token = _bearer_token(request)
        if token is None:
            return None
        on_host = request.tenant is not None
        try:
            claims = keyring.decode(token)
            tenant = _tenant_for(request, claims["tid"])
            snap = authstate.snapshot(claims["sub"], claims["tid"])
            refusal(snap, claims, now=time.time())
        except tokens.InvalidToken as exc:
            log.info("bearer token refused: %s", exc)
            raise exceptions.AuthenticationFailed(INVALID, code="invalid_token") from None
        ip = client_ip(request)
        if outside := network_refusal(snap, claims, None if on_host else tenant, ip):
            what, attempt = f"{request.method} {request.path}", request.method not in SAFE_METHODS
            refused_record(tenant=tenant, refusal=outside, what=what, attempt=attempt)
            raise outside  # a 403 naming the rule: the token is good, the place is not
        user = _user_from(snap, claims["sub"])
        remember_membership(request, loaded(Membership, tenant=tenant, user=user, **snap.membership))
        if claims.get("akid"):
            apikey_use_record(apikey_id=claims["akid"], ip=ip)
            usage.count(USAGE_REQUESTS, claims["akid"])
        return user, _auth_for(snap, claims)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="portal"'


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`X-API-Key` on a call, as ICA allows: the request acts as a token minted from the key
    would (the same scope, revocation and networks), without the exchange. The digest's owner is
    memoised, so a known key costs a SHA-256 and the auth snapshot, no query. A refused key is a
    401, counted against the client's failed exchanges; past their limit every key from there is
    a 429 (`_locked`)."""

    def authenticate(self, request):
        text = api_key_header(request)
        if not text:
            return None
        ip = client_ip(request)
        _refuse_if_locked(request)
        try:
            holder = grants.apikey_holder(key_text=text, tenant=request.tenant, ip=ip)
        except grants.Refused as exc:
            log.info("api key refused on %s %s: %s", request.method, request.path, exc)
            _key_refused(request, text, ip)
        if request.tenant is None:  # a host that is no tenant's: the key names it
            request._request.tenant = holder.tenant
        owner = holder.owner
        claims = {"sub": owner.user_id, "tid": owner.tenant_id, "wgs": sorted(holder.scope)}
        claims |= {"akid": owner.apikey_id, "amr": [tokens.AMR_APIKEY]}
        user = _user_from(holder.snap, owner.user_id)
        membership = loaded(Membership, tenant=holder.tenant, user=user, **holder.snap.membership)
        remember_membership(request, membership)
        usage.count(USAGE_REQUESTS, owner.apikey_id)
        return user, _auth_for(holder.snap, claims)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="portal"'


# Client addresses past their failed exchanges, as this process learned from a refused key: until
# then their keys are refused too, good ones included, as at the token endpoint. Learned at a
# refusal, so a good key costs no counter read; another process learns at its own first refusal.
_locked: dict[str, float] = {}


def _refuse_if_locked(request) -> None:
    until = _locked.get(client_unit(request))
    if until is not None and (wait := until - time.monotonic()) > 0:
        raise exceptions.Throttled(int(wait) + 1)


def _key_refused(request, text: str, ip: str | None):
    limits = key_failure_limits(request)
    limits.failed()
    wait = limits.retry_after()
    if wait is not None:
        if len(_locked) >= 10_000:
            _locked.clear()
        _locked[client_unit(request)] = time.monotonic() + wait
        raise exceptions.Throttled(wait)
    prefix = keys.display_prefix(text) if keys.is_well_formed(text) else ""
    exchange_failure_record(tenant=request.tenant, ip=ip, key_prefix=prefix)
    raise exceptions.AuthenticationFailed("Invalid credentials.", code="invalid_credentials")


def refusal(snap: authstate.Snapshot | None, claims: dict, *, now: float) -> None:
    """Raise InvalidToken when the user, membership, password or key no longer backs the token."""
    if snap is None or not snap.user["is_active"]:
        raise tokens.InvalidToken("user gone or deactivated")
    if snap.membership is None or not snap.membership["is_active"]:
        raise tokens.InvalidToken("not an active member of the tenant")
    changed = snap.user["password_changed_at"]
    if changed is not None and claims["iat"] < changed:
        raise tokens.InvalidToken("password changed since the token was issued")
    if snap.tokens_valid_from is not None and claims["iat"] < snap.tokens_valid_from:
        raise tokens.InvalidToken("issued before this membership began or was last deactivated")
    akid = claims.get("akid")
    if akid is not None:
        key = snap.keys.get(akid)
        if key is None or key["expires_at"] <= now:
            raise tokens.InvalidToken("key revoked or expired")


def network_refusal(snap, claims: dict, tenant: Tenant | None, ip: str | None) -> OutsideNetworks | None:
    """The key's own networks, for a token minted from one; `tenant`'s, when its host did not
    check them already (an operator host: the token named the tenant)."""
    if tenant is not None and (outside := tenant_refusal(tenant, API, ip)):
        return outside
    akid = claims.get("akid")
    return key_refusal(snap.keys[akid]["networks"], ip) if akid else None


def _bearer_token(request) -> str | None:
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].lower() != b"bearer":
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed(INVALID, code="invalid_token")
    try:
        return header[1].decode("ascii")
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed(INVALID, code="invalid_token") from None


def _tenant_for(request, tenant_id: str) -> Tenant:
    tenant = request.tenant
    if tenant is None:  # a host that is no tenant's: the token names it
        tenant = tenant_by_id(tenant_id)
        if tenant is None:
            raise tokens.InvalidToken("token's tenant is gone or inactive")
        request._request.tenant = tenant
    elif str(tenant.pk) != tenant_id:
        raise tokens.InvalidToken("token of another tenant")
    return tenant


def _user_from(snap: authstate.Snapshot, user_id: str) -> TokenUser:
    fields = {k: snap.user[k] for k in ("email", "full_name", "is_active")}
    return loaded(TokenUser, id=uuid.UUID(user_id), **fields)  # a UUID, as loaded: compares equal


def _auth_for(snap: authstate.Snapshot, claims: dict) -> TokenAuth:
    """Effective workgroups: the token's `wgs` ∩ the user's current workgroups ∩ the key's current
    scope, so leaving a workgroup or narrowing a key narrows every live token at once."""
    scope = set(claims["wgs"]) & set(snap.workgroups)
    key_scope, key_networks = None, ()
    if claims.get("akid"):
        key_scope, key_networks = snap.keys[claims["akid"]]["scope"], snap.keys[claims["akid"]]["networks"]
        if key_scope is not None:
            key_scope = frozenset(key_scope)
            scope &= key_scope
    names = snap.workgroup_names
    return TokenAuth(
        claims=claims,
        workgroup_scope=frozenset(scope),
        key_scope_all=key_scope is None,
        key_scope=key_scope,
        workgroups=tuple((wg, names[wg], snap.workgroups[wg]) for wg in scope),
        key_networks=key_networks,
    )
