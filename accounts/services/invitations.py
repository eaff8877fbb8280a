from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import addresses, emails
from accounts.models import Invitation, Membership, Tenant, User
from core.errors import Conflict, ServiceError

from .audit import Actor, event_record
from .guards import check_role, require_tenant_admin

_SALT = "accounts.invitation"


def invitation_token(invitation: Invitation) -> str:
    # Signed, not stored: the database never holds a usable invitation secret.
    return signing.dumps(str(invitation.id), salt=_SALT)


def invitation_id_from_token(token: str) -> str | None:
    max_age = settings.PORTAL_INVITATION_DAYS * 86400
    try:
        return signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.BadSignature:
        return None


def invitation_create(*, tenant: Tenant, email: str, role: str, by: Actor) -> Invitation:
    """Invite an email address to the tenant; inviting the same address again re-sends it.

    The one way in for someone a tenant admin names, with an account or without: the answer is the
    same either way (it tells nothing of accounts elsewhere), and nobody becomes a member of a
    tenant without accepting at the emailed address."""
    from accounts import tasks

    require_tenant_admin(by, tenant)
    check_role(role)
    email = addresses.canonical(email)
    problem = addresses.problem(email)
    if problem:
        raise ServiceError(f"{email} {problem}.", code="invalid_email")
    if Membership.objects.filter(tenant=tenant, user__email=email).exists():
        raise Conflict(f"{email} is already a member of {tenant.name}.")
    expires_at = timezone.now() + timedelta(days=settings.PORTAL_INVITATION_DAYS)
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(tenant=tenant, email=email, status=Invitation.Status.PENDING)
            .first()
        )
        if invitation is None:
            invitation = Invitation(tenant=tenant, email=email)
        invitation.role, invitation.expires_at = role, expires_at
        invitation.invited_by, invitation.sent_at = by.user, None
        invitation.save()
        event_record(tenant=tenant, by=by, action="invitation.create", target=invitation, role=role)
        # If the broker is down now, the periodic sweep sends it later (sent_at stays empty).
        transaction.on_commit(lambda: tasks.invitation_send.delay(str(invitation.id)), robust=True)
    return invitation


def invitation_send(*, invitation_id) -> bool:
    """Email one pending, unsent invitation.

    Marked sent only after the mail left: a worker killed in between makes a redelivered task
    send it twice, never zero times.
    """
    invitation = Invitation.objects.select_related("tenant").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_usable() or invitation.sent_at is not None:
        return False
    url = emails.tenant_url(
        invitation.tenant, reverse("invitation_accept", args=[invitation_token(invitation)])
    )
    emails.send(
        "invitation",
        to=invitation.email,
        tenant=invitation.tenant,
        context={"invitation": invitation, "accept_url": url},
    )
    claimed = Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(sent_at=timezone.now())
    return bool(claimed)


def invitation_accept(*, invitation: Invitation, user: User, by: Actor) -> Membership:
    if not invitation.is_usable():
        raise ServiceError(
            "This invitation is no longer valid; ask for a new one.", code="invitation_invalid"
        )
    if user.email != invitation.email:  # both canonical: a lookalike is someone else
        raise ServiceError(f"This invitation is for {invitation.email}.", code="invitation_other_email")
    tenant = invitation.tenant
    with transaction.atomic():
        claimed = Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING).update(
            status=Invitation.Status.ACCEPTED, accepted_at=timezone.now()
        )
        if not claimed:
            raise ServiceError("This invitation has already been used.", code="invitation_invalid")
        membership, created = Membership.objects.get_or_create(
            tenant=tenant, user=user, defaults={"role": invitation.role}
        )
        if created:
            event_record(
                tenant=tenant,
                by=by,
                action="member.join",
                target=membership,
                role=invitation.role,
                via="invitation",
            )
        event_record(tenant=tenant, by=by, action="invitation.accept", target=invitation)
    return membership


def invitation_revoke(*, invitation: Invitation, by: Actor) -> None:
    require_tenant_admin(by, invitation.tenant)
    with transaction.atomic():
        changed = Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING).update(
            status=Invitation.Status.REVOKED
        )
        if changed:
            event_record(tenant=invitation.tenant, by=by, action="invitation.revoke", target=invitation)


def invitations_sweep() -> dict[str, int]:
    """Expire stale invitations and queue any that were never sent (broker down at the time)."""
    from accounts import tasks

    now = timezone.now()
    expired = Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__lte=now).update(
        status=Invitation.Status.EXPIRED
    )
    unsent = Invitation.objects.filter(
        status=Invitation.Status.PENDING, sent_at__isnull=True, created_at__lte=now - timedelta(minutes=1)
    ).values_list("id", flat=True)
    for invitation_id in unsent:
        tasks.invitation_send.delay(str(invitation_id))
    return {"expired": expired, "requeued": len(unsent)}
