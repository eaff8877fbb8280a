"""Writes of a tenant's sign-in configuration, and the accounts its identity provider brings."""

import uuid
from dataclasses import dataclass, field

import requests
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, Tenant, User, Workgroup
from accounts.services import Actor, event_record
from accounts.services.guards import require_tenant_admin
from core import sealed
from core.errors import Forbidden, ServiceError
from sso import fetch, saml
from sso.models import SignIn


@dataclass
class Provider:
    """What a tenant admin says of the identity provider: by OpenID Connect (issuer, client) or
    SAML (metadata uploaded, or its URL), and which attributes or claims hold what."""

    protocol: str = SignIn.Protocol.OIDC
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""  # blank: keep the one stored
    scopes: str = "openid email profile"
    metadata_xml: str = ""  # blank: keep what was read before
    metadata_url: str = ""
    saml_signed: bool = True
    saml_encrypted: bool = False
    saml_idp_initiated: bool = False
    claims: dict = field(default_factory=dict)  # email, first_name, last_name, groups
    group_map: list = field(default_factory=list)  # [{"group": …, "workgroup": id}, …]


def signin_update(
    *,
    tenant: Tenant,
    by: Actor,
    mode: str,
    organisation: str = "",
    provider: Provider | None = None,
    break_glass: list[User] | None = None,
) -> SignIn:
    """Set the tenant's sign-in. With single sign-on on, the provider is read first (the OIDC
    discovery document, the SAML metadata) and must be usable; SSO only needs it to have worked
    and a break-glass admin. OIDC: a blank client secret keeps the one stored (it is never shown),
    unless the issuer or client ID changes: the stored one is never sent to another provider."""
    require_tenant_admin(by, tenant)
    provider = provider or Provider()
    if mode not in SignIn.Mode.values:
        raise ServiceError(f"Unknown sign-in mode {mode!r}.")
    if provider.protocol not in SignIn.Protocol.values:
        raise ServiceError(f"Unknown sign-in protocol {provider.protocol!r}.")
    current = SignIn.objects.filter(tenant=tenant).first() or SignIn(tenant=tenant)
    fields = {
        "mode": mode,
        "organisation": organisation.strip(),
        "protocol": provider.protocol,
        "claims": _claims(provider.claims),
        "group_map": _group_map(tenant, provider.group_map),
    }
    if provider.protocol == SignIn.Protocol.SAML:
        fields |= _saml_fields(current, provider, sso=mode != SignIn.Mode.PASSWORD)
    else:
        fields |= _oidc_fields(provider, sso=mode != SignIn.Mode.PASSWORD)
    with transaction.atomic():
        signin, _ = SignIn.objects.select_for_update().get_or_create(tenant=tenant)
        before = signin.provider_id
        changed = sorted(name for name, value in fields.items() if getattr(signin, name) != value)
        for name, value in fields.items():
            setattr(signin, name, value)
        moved = signin.provider_id != before
        if provider.protocol == SignIn.Protocol.OIDC:
            changed += _oidc_secret(signin, provider.client_secret, moved=moved, sso=signin.uses_sso)
        elif not signin.sp_certificate:
            certificate, key = saml.key_pair(tenant.domain)
            signin.sp_certificate, signin.sp_key_sealed = certificate, sealed.seal(key)
        if mode == SignIn.Mode.SSO:
            _require_sso_only_is_safe(tenant, signin, moved, break_glass or [])
        if moved:
            signin.worked_at = None  # a new provider has not worked yet
        signin.updated_at = timezone.now()
        signin.save()
        if break_glass is not None and {u.pk for u in break_glass} != set(
            signin.break_glass.values_list("pk", flat=True)
        ):
            signin.break_glass.set(break_glass)
            changed.append("break_glass")
            fields["break_glass"] = sorted(user.email for user in break_glass)
        changed = [name for name in changed if name not in QUIET]
        if changed:
            shown = {name: fields[name] for name in changed if name in fields}  # never the secret
            event_record(
                tenant=tenant, by=by, action="signin.update", target=signin, changed=changed, **shown
            )
    return signin


# Follow from what is recorded.
QUIET = {"authorization_origin", "end_session_url", "saml_checked_at", "saml_problem", "saml_notice"}


def _oidc_fields(provider: Provider, *, sso: bool) -> dict:
    scopes = " ".join(dict.fromkeys(provider.scopes.split()))
    if "openid" not in scopes.split():
        raise ServiceError("The scopes must include openid.")
    fields = {"issuer": provider.issuer.strip().rstrip("/"), "client_id": provider.client_id.strip(),
              "scopes": scopes}  # fmt: skip
    if "/.well-known/" in fields["issuer"]:
        raise ServiceError("Give the issuer itself, not its discovery document's address.")
    if sso:
        if not (fields["issuer"] and fields["client_id"]):
            raise ServiceError("Single sign-on needs the identity provider's issuer URL and client ID.")
        fields["authorization_origin"], fields["end_session_url"] = _discovered(fields["issuer"])
    return fields


def _oidc_secret(signin: SignIn, secret: str, *, moved: bool, sso: bool) -> list[str]:
    if sso and not secret and (moved or not signin.client_secret_sealed):
        raise ServiceError(
            "Give the client secret the identity provider gave"
            + (" again: the issuer or client ID changed." if signin.client_secret_sealed else ".")
        )
    if secret:
        signin.client_secret_sealed = sealed.seal(secret)
        return ["client_secret"]
    if moved:
        signin.client_secret_sealed = ""
    return []


def _saml_fields(current: SignIn, provider: Provider, *, sso: bool) -> dict:
    """The identity provider from metadata uploaded, or read from its URL when that is new (or
    the last reading had a problem); otherwise what was read before."""
    url = provider.metadata_url.strip()
    fields = {
        "saml_metadata_url": url,
        "saml_signed": provider.saml_signed,
        "saml_encrypted": provider.saml_encrypted,
        "saml_idp_initiated": provider.saml_idp_initiated,
    }
    xml = provider.metadata_xml
    if (
        not xml
        and url
        and (url != current.saml_metadata_url or current.saml_problem or not current.saml_entity_id)
    ):
        xml = saml.metadata_fetch(url)
    if xml:
        idp = saml.metadata_read(xml)
        fields |= {
            "saml_entity_id": idp.entity_id,
            "saml_sso_url": idp.sso_url,
            "saml_slo_url": idp.slo_url,
            "saml_certificate": idp.certificate,
            "saml_problem": "",
            "saml_notice": "",
            "saml_checked_at": timezone.now(),
            "authorization_origin": fetch.origin(idp.sso_url),
        }
    elif sso and not current.saml_entity_id:
        raise ServiceError(
            "SAML single sign-on needs the identity provider's metadata: upload it or give its URL."
        )
    return fields


def _claims(claims: dict) -> dict:
    unknown = set(claims) - CLAIM_KEYS
    if unknown:
        raise ServiceError(
            f"Unknown attribute {', '.join(sorted(unknown))}: use {', '.join(sorted(CLAIM_KEYS))}."
        )
    return {key: str(value).strip() for key, value in sorted(claims.items()) if str(value or "").strip()}


CLAIM_KEYS = {"email", "first_name", "last_name", "groups"}


def _group_map(tenant: Tenant, entries: list) -> list:
    """[{"group", "workgroup"}] with each workgroup this tenant's (by ID), each pair once."""
    clean = []
    for entry in entries:
        group, workgroup = str(entry.get("group", "")).strip(), str(entry.get("workgroup", "")).strip()
        if not group or not workgroup:
            raise ServiceError("Each group mapping needs the provider's group and a workgroup.")
        if not Workgroup.objects.filter(tenant=tenant, pk=_uuid(workgroup)).exists():
            raise ServiceError(f"No workgroup {workgroup} here.")
        if {"group": group, "workgroup": workgroup} not in clean:
            clean.append({"group": group, "workgroup": workgroup})
    return clean


def _uuid(text: str):
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ServiceError(f"No workgroup {text} here.") from None


def _require_sso_only_is_safe(tenant: Tenant, signin: SignIn, moved: bool, break_glass: list[User]) -> None:
    """SSO only once it has worked (someone signed in through this provider), and with at least one
    break-glass admin: an active tenant admin with TOTP, who keeps a password if the provider fails."""
    if moved or signin.worked_at is None:
        raise ServiceError(
            "Single sign-on only is offered once someone has signed in through this provider: "
            "save it with “Password, or the organisation's single sign-on”, try it, then come back."
        )
    if not break_glass:
        raise ServiceError("Name at least one break-glass admin, who keeps password and TOTP sign-in.")
    admins = set(
        Membership.objects.filter(tenant=tenant, role=Role.ADMIN, is_active=True).values_list(
            "user_id", flat=True
        )
    )
    for user in break_glass:
        if user.pk not in admins:
            raise ServiceError(f"{user.email} is not an active tenant admin here.")
        if not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
            raise ServiceError(
                f"{user.email} has no authenticator app (TOTP) yet: a break-glass admin needs one."
            )


def signin_domains_set(*, tenant: Tenant, domains: list[str], by: Actor) -> SignIn:
    """The operators' word that these email domains are the tenant's (manage.py sso_domains): the
    only addresses its identity provider may make or sign in accounts for. Not a tenant admin's."""
    if not by.system:
        raise Forbidden("Only the operators verify a tenant's email domains.")
    clean = sorted({domain.strip().lower().lstrip("@") for domain in domains if domain.strip()})
    for other in SignIn.objects.exclude(tenant=tenant).exclude(verified_domains=[]):
        if shared := set(clean) & set(other.verified_domains):
            raise ServiceError(f"{', '.join(sorted(shared))} is verified as {other.tenant.domain}'s already.")
    with transaction.atomic():
        signin, _ = SignIn.objects.select_for_update().get_or_create(tenant=tenant)
        if clean != signin.verified_domains:
            signin.verified_domains = clean
            signin.save(update_fields=["verified_domains"])
            event_record(tenant=tenant, by=by, action="signin.domains", target=signin, domains=clean)
    return signin


def _discovered(issuer: str) -> tuple[str, str]:
    """Read the issuer's discovery document as a sign-in will: it must name this issuer and its
    endpoints. The origin of its authorization endpoint (where the sign-in page's form leads),
    and its end-session endpoint if it has a usable one (sign-out leads there)."""
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        fetch.check_url(issuer)
        response = fetch.session().get(url)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ServiceError(f"The identity provider's discovery document could not be read: {exc}") from None
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ServiceError(f"The discovery document at {url} names another issuer than {issuer}.")
    endpoints = [document.get(name) for name in ("authorization_endpoint", "token_endpoint")]
    try:
        for endpoint in endpoints:
            fetch.check_url(str(endpoint or ""))
    except fetch.Refused as exc:
        raise ServiceError(f"The discovery document's endpoints are not usable: {exc}") from None
    end_session = str(document.get("end_session_endpoint") or "")
    try:
        fetch.check_url(end_session)
    except fetch.Refused:
        end_session = ""  # no usable RP-initiated logout: signing out ends our session only
    return fetch.origin(endpoints[0]), end_session
