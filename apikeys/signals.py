"""Cache invalidation, and only that: the Bearer auth snapshot must never outlive a change.

Receivers rather than calls in each service, because users, memberships and passwords also change
outside our services (allauth's password change and reset, Django admin, `manage.py shell`), and a
missed path would be a token that keeps working after its user was removed.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import Membership, User, Workgroup, WorkgroupMembership
from apikeys import authstate
from apikeys.models import ApiKey


def _user_changed(sender, instance, **kwargs) -> None:
    authstate.invalidate(instance.pk)


def _owner_changed(sender, instance, **kwargs) -> None:
    authstate.invalidate(instance.user_id)


def _workgroup_changed(sender, instance, created=False, **kwargs) -> None:
    if created:
        return  # no members yet
    # Snapshots carry workgroup names (GET /api/me answers from them): a rename reaches every member.
    authstate.invalidate_many(instance.memberships.values_list("user_id", flat=True))


def connect() -> None:
    post_save.connect(_workgroup_changed, sender=Workgroup, dispatch_uid="authstate-workgroup")
    post_save.connect(_user_changed, sender=User, dispatch_uid="authstate-user")
    post_delete.connect(_user_changed, sender=User, dispatch_uid="authstate-user-delete")
    for model in (Membership, WorkgroupMembership, ApiKey):
        post_save.connect(_owner_changed, sender=model, dispatch_uid=f"authstate-{model.__name__}")
        post_delete.connect(_owner_changed, sender=model, dispatch_uid=f"authstate-{model.__name__}-delete")
    m2m_changed.connect(_owner_changed, sender=ApiKey.workgroups.through, dispatch_uid="authstate-scope")
