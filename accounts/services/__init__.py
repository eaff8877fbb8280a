"""Every write to tenants, members, workgroups and invitations goes through these functions."""

from .audit import Actor, event_record, events_prune
from .invitations import (
    invitation_accept,
    invitation_create,
    invitation_id_from_token,
    invitation_revoke,
    invitation_send,
    invitation_token,
    invitations_sweep,
)
from .members import clean_name, member_join, member_remove, member_update, tokens_end, user_set_name
from .tenants import normalize_domain, tenant_create, tenant_policy_update
from .workgroups import (
    workgroup_create,
    workgroup_delete,
    workgroup_member_add,
    workgroup_member_remove,
    workgroup_member_update,
    workgroup_rename,
)

__all__ = [
    "Actor",
    "clean_name",
    "event_record",
    "events_prune",
    "invitation_accept",
    "invitation_create",
    "invitation_id_from_token",
    "invitation_revoke",
    "invitation_send",
    "invitation_token",
    "invitations_sweep",
    "member_join",
    "member_remove",
    "member_update",
    "normalize_domain",
    "tenant_create",
    "tenant_policy_update",
    "tokens_end",
    "user_set_name",
    "workgroup_create",
    "workgroup_delete",
    "workgroup_member_add",
    "workgroup_member_remove",
    "workgroup_member_update",
    "workgroup_rename",
]
