"""Where scim2-server reads and writes a tenant's Users and Groups: its members and workgroups.
Reads build SCIM resources from the database; writes go through sso.services.scim. A resource's
version (its ETag) is a digest of what it says, so it changes exactly when the resource does."""

import hashlib
import json
import re
import uuid
from typing import Any

from django.db.models import Prefetch
from scim2_models import (
    ConflictException,
    InvalidValueException,
    Meta,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    SearchRequest,
    UniquenessException,
)
from scim2_server.storage import ScimStorage, SearchPage

from accounts import addresses
from accounts.models import Membership, Workgroup, WorkgroupMembership
from core.errors import Conflict, ServiceError
from sso.models import ScimToken
from sso.scim.resources import Email, Group, GroupMember, Name, User, UserGroup
from sso.services import scim as services

USER_NAME_EQ = re.compile(r'^userName eq "((?:[^"\\]|\\.)*)"$', re.I)  # the lookup clients make most


class PortalStorage(ScimStorage):
    def __init__(self, token: ScimToken | None):
        self.token, self.tenant = token, token.tenant if token is not None else None

    # -- reads ----------------------------------------------------------
    def get(
        self, resource_type: ResourceType, resource_id: str, *, response_parameters=None
    ) -> Resource[Any]:
        if resource_type.name == "User":
            membership = self._memberships().filter(user_id=_uuid(resource_id)).first()
            if membership is None:
                raise NotFoundException(detail=f"No User {resource_id} here.")
            return _user(membership)
        workgroup = self._workgroups().filter(pk=_uuid(resource_id)).first()
        if workgroup is None:
            raise NotFoundException(detail=f"No Group {resource_id} here.")
        return _group(workgroup)

    def search(self, resource_types, search_request: SearchRequest[Any], *, position=None) -> SearchPage:
        scim_filter = search_request.filter
        found: list[Resource[Any]] = []
        for resource_type in resource_types:
            if resource_type.name == "User":
                memberships = self._memberships()
                if scim_filter is not None and (match := USER_NAME_EQ.match(str(scim_filter))):
                    # Addresses are stored canonical and compared exactly (accounts.addresses).
                    memberships = memberships.filter(
                        user__email=addresses.canonical(json.loads(f'"{match[1]}"'))
                    )
                found += [_user(m) for m in memberships]
            else:
                found += [_group(w) for w in self._workgroups()]
        if scim_filter is not None:
            found = [resource for resource in found if scim_filter.match(resource)]
        found.sort(key=lambda resource: resource.id)
        start = search_request.start_index_0 or 0
        stop = None if search_request.count is None else start + search_request.count
        return SearchPage(len(found), found[start:stop])

    def _memberships(self):
        groups = WorkgroupMembership.objects.filter(workgroup__tenant=self.tenant).select_related("workgroup")
        return (
            Membership.objects.filter(tenant=self.tenant)
            .select_related("user", "scim")
            .prefetch_related(Prefetch("user__workgroup_memberships", queryset=groups, to_attr="here"))
        )

    def _workgroups(self):
        members = WorkgroupMembership.objects.all()
        return (
            Workgroup.objects.filter(tenant=self.tenant)
            .select_related("scim")
            .prefetch_related(Prefetch("memberships", queryset=members, to_attr="people"))
        )

    # -- writes ---------------------------------------------------------
    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        with _errors():
            if isinstance(resource, User):
                membership = services.scim_user_create(
                    token=self.token, email=resource.user_name or "", external_id=resource.external_id or "",
                    attributes=_kept(resource), active=resource.active is not False,
                )  # fmt: skip
                return self.get(resource_type, str(membership.user_id))
            workgroup = services.scim_group_create(
                token=self.token, name=resource.display_name or "", external_id=resource.external_id or "",
                members=[m.value for m in resource.members or [] if m.value],
            )  # fmt: skip
            return self.get(resource_type, str(workgroup.pk))

    def update(self, resource_type: ResourceType, resource: Resource[Any], *, expected_version=None):
        current = self.get(resource_type, resource.id)
        _check_version(current, expected_version)
        with _errors():
            if isinstance(resource, User):
                membership = self._memberships().get(user_id=_uuid(resource.id))
                services.scim_user_update(
                    token=self.token, membership=membership, external_id=resource.external_id or "",
                    attributes=_kept(resource), active=resource.active is not False,
                )  # fmt: skip
            else:
                services.scim_group_update(
                    token=self.token, workgroup=self._workgroups().get(pk=_uuid(resource.id)),
                    name=resource.display_name or "", external_id=resource.external_id or "",
                    members=[m.value for m in resource.members or [] if m.value],
                )  # fmt: skip
        return self.get(resource_type, resource.id)

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version=None) -> None:
        current = self.get(resource_type, resource_id)
        _check_version(current, expected_version)
        with _errors():
            if resource_type.name == "User":
                membership = self._memberships().get(user_id=_uuid(resource_id))
                services.scim_user_delete(token=self.token, membership=membership)
            else:
                services.scim_group_delete(
                    token=self.token, workgroup=self._workgroups().get(pk=_uuid(resource_id))
                )


def _user(membership: Membership) -> User:
    scim = getattr(membership, "scim", None)
    kept = scim.attributes if scim is not None else {}
    user = membership.user
    resource = User(
        id=str(user.pk),
        external_id=(scim.external_id if scim is not None else "") or None,
        user_name=user.email,
        name=Name.model_validate(kept["name"]) if kept.get("name") else (
            Name(formatted=user.full_name) if user.full_name and scim is None else None
        ),
        display_name=kept.get("displayName") or None,
        emails=[Email.model_validate(e) for e in kept["emails"]] if kept.get("emails") else None,
        # What the client said; and always when deactivated (here, or by a tenant admin).
        active=membership.is_active if scim is None or "active" in kept or not membership.is_active else None,
        groups=[
            UserGroup(value=str(w.workgroup_id), ref=f"Groups/{w.workgroup_id}", display=w.workgroup.name)
            for w in sorted(getattr(user, "here", []), key=lambda w: str(w.workgroup_id))
        ] or None,
    )  # fmt: skip
    changed = scim.updated_at if scim is not None else membership.created_at
    return _with_meta(resource, "User", membership.created_at, max(changed, membership.created_at))


def _group(workgroup: Workgroup) -> Group:
    scim = getattr(workgroup, "scim", None)
    people = sorted(getattr(workgroup, "people", []), key=lambda m: str(m.user_id))
    resource = Group(
        id=str(workgroup.pk),
        external_id=(scim.external_id if scim is not None else "") or None,
        display_name=workgroup.name,
        members=[GroupMember(value=str(m.user_id), ref=f"Users/{m.user_id}") for m in people] or None,
    )
    changed = scim.updated_at if scim is not None else workgroup.created_at
    return _with_meta(resource, "Group", workgroup.created_at, max(changed, workgroup.created_at))


def _with_meta(resource, kind: str, created, changed):
    said = json.dumps(resource.model_dump(mode="json"), sort_keys=True).encode()
    version = f'W/"{hashlib.sha256(said).hexdigest()[:20]}"'
    resource.meta = Meta(resource_type=kind, created=created, last_modified=changed, version=version)
    return resource


def _kept(user: User) -> dict:
    """What the account does not keep itself, to read back as written."""
    said = user.model_dump(mode="json", include={"name", "display_name", "emails", "active"}, by_alias=True)
    return {key: value for key, value in said.items() if value or value is False}


def _check_version(current: Resource[Any], expected: str | None) -> None:
    if expected is not None and current.meta.version != expected:
        raise PreconditionFailedException(detail="The resource changed since that version.")


class _errors:
    """Our services' refusals as SCIM errors."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, traceback):
        if isinstance(exc, Conflict):
            raise (UniquenessException if exc.code == "uniqueness" else ConflictException)(
                detail=exc.message
            ) from None
        if isinstance(exc, ServiceError):
            raise InvalidValueException(detail=exc.message) from None
        return False


def _uuid(text: str) -> str:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        raise NotFoundException(detail=f"No resource {text} here.") from None
