"""Reads of tenant data. Every lookup by id also filters by the request's tenant, in one query."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest

from accounts import addresses
from accounts.models import (
    Event,
    Invitation,
    Membership,
    Role,
    Tenant,
    User,
    Workgroup,
    WorkgroupMembership,
)


def current_membership(request: HttpRequest) -> Membership | None:
    """The caller's membership of the request's tenant (active or not), cached per request and user.

    Keyed by user because a DRF request may authenticate someone other than the session's user.
    """
    tenant, user = getattr(request, "tenant", None), request.user
    if tenant is None or not user.is_authenticated:
        return None
    cache = request.__dict__.setdefault("_memberships", {})
    if user.pk not in cache:
        cache[user.pk] = (
            Membership.objects.select_related("tenant", "user").filter(tenant=tenant, user=user).first()
        )
    return cache[user.pk]


def remember_membership(request: HttpRequest, membership: Membership) -> None:
    """Bearer authentication knows the membership from its cache; spare the query above."""
    request.__dict__.setdefault("_memberships", {})[membership.user_id] = membership


def workgroup_scope(request: HttpRequest, membership: Membership) -> frozenset[str] | None:
    """The workgroups a Bearer token may reach, or None for no limit beyond the caller's role (a
    browser session). A member's token reaches its `wgs` ∩ their current workgroups ∩ the key's
    scope; a tenant admin's, every workgroup the key's scope allows: creating, deleting and staffing
    workgroups is tenant-wide power, from a terminal as in the browser."""
    auth = getattr(request, "auth", None)
    scope = getattr(auth, "workgroup_scope", None)
    if scope is not None and membership.is_admin:
        return auth.key_scope
    return scope


def my_workgroups(request: HttpRequest) -> list[dict]:
    """The requester's workgroups here that the request may reach, as {id, name, role}, by name.

    A Bearer request answers from its auth snapshot, with no query; a session reads the database.
    """
    known = getattr(getattr(request, "auth", None), "workgroups", None)
    if known is None:
        known = [
            (str(wgm.workgroup_id), wgm.workgroup.name, wgm.role)
            for wgm in user_workgroups(tenant=request.tenant, user=request.user)
        ]
    rows = [{"id": wg, "name": name, "role": role} for wg, name, role in known]
    return sorted(rows, key=lambda row: (row["name"].casefold(), row["name"], row["id"]))


def members_list(*, tenant: Tenant, search: str = "") -> QuerySet[Membership]:
    qs = Membership.objects.filter(tenant=tenant).select_related("user")
    if search:
        # A substring of the canonical address, compared as stored: no database case folding,
        # which would match a dotless i (U+0131) for an i.
        qs = qs.filter(Q(user__email__contains=search.lower()) | Q(user__full_name__icontains=search))
    return qs.order_by("user__email")


def get_member_for_request(request: HttpRequest, user_id) -> Membership:
    membership = (
        Membership.objects.select_related("tenant", "user")
        .filter(tenant=request.tenant, user_id=user_id)
        .first()
    )
    if membership is None:
        raise Http404("No such member.")
    return membership


def workgroups_visible(*, membership: Membership, scope: frozenset[str] | None = None) -> QuerySet[Workgroup]:
    """Tenant admins see every workgroup; members see the ones they belong to; a token, its scope."""
    qs = Workgroup.objects.filter(tenant_id=membership.tenant_id)
    if scope is not None:
        qs = qs.filter(pk__in=scope)
    elif not membership.is_admin:
        mine = WorkgroupMembership.objects.filter(user_id=membership.user_id).values("workgroup_id")
        qs = qs.filter(pk__in=mine)
    return qs.annotate(member_count=Count("memberships", distinct=True)).order_by("name")


def get_workgroup_for_request(request: HttpRequest, workgroup_id) -> Workgroup:
    membership = current_membership(request)
    if membership is None or not membership.is_active:
        raise Http404("No such workgroup.")
    visible = workgroups_visible(membership=membership, scope=workgroup_scope(request, membership))
    workgroup = visible.select_related("tenant").filter(pk=workgroup_id).first()
    if workgroup is None:
        raise Http404("No such workgroup.")
    return workgroup


def workgroup_members(*, workgroup: Workgroup) -> QuerySet[WorkgroupMembership]:
    return workgroup.memberships.select_related("user").order_by("user__email")


def get_workgroup_member_for_request(
    request: HttpRequest, workgroup: Workgroup, user_id
) -> WorkgroupMembership:
    wgm = workgroup.memberships.select_related("user", "workgroup__tenant").filter(user_id=user_id).first()
    if wgm is None:
        raise Http404("No such workgroup member.")
    return wgm


def workgroup_candidates(*, workgroup: Workgroup, query: str = "", limit: int = 20) -> list[Membership]:
    """Up to `limit` active members of the workgroup's tenant, not in it yet, whose email or name
    contains `query`: the picker asks as one types, so a tenant of thousands sends a few rows."""
    in_group = workgroup.memberships.values("user_id")
    qs = Membership.objects.filter(tenant_id=workgroup.tenant_id, is_active=True).exclude(
        user_id__in=in_group
    )
    if query := query.strip():  # as members_list: the address compared as stored, no case folding
        qs = qs.filter(Q(user__email__contains=query.lower()) | Q(user__full_name__icontains=query))
    return list(qs.select_related("user").order_by("user__email")[:limit])


def workgroup_candidate(*, workgroup: Workgroup, email: str) -> Membership | None:
    """The active member of the workgroup's tenant with this email, if they are not in it yet."""
    in_group = workgroup.memberships.values("user_id")
    return (
        Membership.objects.filter(
            tenant_id=workgroup.tenant_id, is_active=True, user__email=addresses.canonical(email)
        )
        .exclude(user_id__in=in_group)
        .select_related("user")
        .first()
    )


def is_workgroup_admin(*, workgroup: Workgroup, user) -> bool:
    return workgroup.memberships.filter(user=user, role=Role.ADMIN).exists()


def user_workgroups(
    *, tenant: Tenant, user, scope: frozenset[str] | None = None
) -> QuerySet[WorkgroupMembership]:
    if scope is not None and not scope:
        return WorkgroupMembership.objects.none()  # a token reaching no workgroup: no query at all
    qs = WorkgroupMembership.objects.filter(workgroup__tenant=tenant, user=user)
    if scope is not None:
        qs = qs.filter(workgroup_id__in=scope)
    return qs.select_related("workgroup").order_by("workgroup__name")


def invitations_pending(*, tenant: Tenant) -> QuerySet[Invitation]:
    return Invitation.objects.filter(tenant=tenant, status=Invitation.Status.PENDING).order_by("-created_at")


def invitation_for_token(request: HttpRequest, token: str) -> Invitation | None:
    """The usable invitation a link's token names, at this tenant only."""
    from accounts.services import invitation_id_from_token

    invitation_id = invitation_id_from_token(token)
    if invitation_id is None:
        return None
    invitation = (
        Invitation.objects.select_related("tenant", "invited_by")
        .filter(pk=invitation_id, tenant=request.tenant)
        .first()
    )
    return invitation if invitation is not None and invitation.is_usable() else None


def addresses_shown(*, tenant: Tenant, emails) -> dict[str, addresses.Shown]:
    """How these addresses are shown to the tenant's admins: each compared with every member's
    and pending invitee's address here, so an address with a dotless i (U+0131) is marked
    as looking like the one with an i."""
    members = Membership.objects.filter(tenant=tenant).values_list("user__email", flat=True)
    invited = Invitation.objects.filter(tenant=tenant, status=Invitation.Status.PENDING).values_list(
        "email", flat=True
    )
    return addresses.shown(emails, among=[*members, *invited])


def member_names(*, tenant: Tenant, emails) -> dict[str, str]:
    """The names that this tenant's members with these addresses gave themselves."""
    found = Membership.objects.filter(tenant=tenant, user__email__in=emails).exclude(user__full_name="")
    return dict(found.values_list("user__email", "user__full_name"))


def account_exists(email: str) -> bool:
    return User.objects.filter(email=addresses.canonical(email)).exists()


def get_invitation_for_request(request: HttpRequest, invitation_id) -> Invitation:
    invitation = (
        Invitation.objects.select_related("tenant").filter(tenant=request.tenant, pk=invitation_id).first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def events_list(*, tenant: Tenant, action: str = "", actor: str = "") -> QuerySet[Event]:
    qs = Event.objects.filter(tenant=tenant)
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_email=addresses.canonical(actor))
    return qs.order_by("-created_at")


def event_actions(*, tenant: Tenant) -> list[str]:
    return list(
        Event.objects.filter(tenant=tenant).values_list("action", flat=True).distinct().order_by("action")
    )
