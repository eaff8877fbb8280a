"""“Try sign-in”: a tenant admin tests the identity provider in a new window, in any mode. The
provider's answer is shown (who it says, whether it vouches, which workgroups its groups map
to) and nobody is signed in or made; an answer it vouches for shows the configuration works,
which single sign-on only asks for first."""

import time

from django.utils import timezone

from accounts import addresses
from accounts.models import Membership, User, Workgroup
from accounts.requests import client_ip
from accounts.services import Actor, event_record
from sso.models import SignIn
from sso.services.people import groups_of

SESSION_KEY = "sso_try"
TTL = 600  # seconds from the button to the provider's answer


def sso_try_start(request, signin: SignIn) -> None:
    request.session[SESSION_KEY] = {"provider": signin.provider_id, "at": time.time()}


def trying(request, *, end: bool = False) -> str:
    """The provider id this session's admin is trying, if a try is under way ("" if not); with
    `end`, the try is over (its answer has come)."""
    session = getattr(request, "session", None)
    held = session.get(SESSION_KEY) if session is not None else None
    if not held or time.time() - held.get("at", 0) > TTL:
        return ""
    if end:
        session.pop(SESSION_KEY, None)
    return held.get("provider", "")


def sso_try_record(request, signin: SignIn, sociallogin, *, vouched: list[str]) -> dict:
    """What the provider answered, as the page shows it; an event; and, if it vouched for an
    address, the configuration has worked."""
    emails = [address.email for address in sociallogin.email_addresses]
    email = vouched[0] if vouched else (emails[0] if emails else "")
    groups = groups_of(signin, sociallogin.account.extra_data)
    names = {str(w.pk): w.name for w in Workgroup.objects.filter(tenant=signin.tenant)}
    workgroups = sorted(
        {names[e["workgroup"]] for e in signin.group_map if e["group"] in groups and e["workgroup"] in names}
    )
    if vouched:
        SignIn.objects.filter(pk=signin.pk, worked_at__isnull=True).update(worked_at=timezone.now())
    membership = Membership.objects.filter(tenant=signin.tenant, user=request.user).first()
    by = Actor(user=request.user, membership=membership, ip=client_ip(request))
    event_record(
        tenant=signin.tenant, by=by, action="sso.try", target=signin, email=email, vouched=bool(vouched),
        issuer=signin.idp_name,
    )  # fmt: skip
    return {
        "organisation": signin.organisation or signin.tenant.name,
        "email": email,
        "vouched": bool(vouched),
        "domain_verified": bool(email) and signin.domain_verified(email),
        "name": getattr(sociallogin.user, "full_name", ""),  # as our adapter fills it in
        "groups": groups,
        "workgroups": workgroups,
        "account_exists": bool(email) and User.objects.filter(email=addresses.canonical(email)).exists(),
    }
