"""What Portal's SCIM 2.0 service serves, as scim2-models describes it: Users (a tenant's members)
and Groups (its workgroups), with only the attributes Portal keeps, so its published schemas say
exactly what a client can set and read back. scim2-server does the protocol around them."""

from typing import Annotated, ClassVar

from pydantic import Field
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Filter,
    Mutability,
    Patch,
    Required,
    Resource,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)
from scim2_models.reference import Reference
from scim2_models.urn import URN

MAX_RESULTS = 200


class Name(ComplexAttribute):
    formatted: str | None = None
    family_name: str | None = None
    given_name: str | None = None


class Email(ComplexAttribute):
    value: str | None = None
    type: str | None = Field(None, examples=["work", "home", "other"])
    primary: bool | None = None


class UserGroup(ComplexAttribute):
    """A workgroup the member is in (read only: set through the Group)."""

    value: Annotated[str | None, Mutability.read_only] = None
    ref: Annotated[Reference["Group"] | None, Mutability.read_only] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display: Annotated[str | None, Mutability.read_only] = None


class User(Resource):
    """A member of the tenant. userName is the account's email address, in one of the tenant's
    verified domains; it is immutable, as the account is everywhere the person is a member."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true, Mutability.immutable] = None
    name: Name | None = None
    Name: ClassVar[type[ComplexAttribute]] = Name
    display_name: str | None = None
    emails: list[Email] | None = None
    Emails: ClassVar[type[ComplexAttribute]] = Email
    active: bool | None = None
    groups: Annotated[list[UserGroup] | None, Mutability.read_only] = None
    Groups: ClassVar[type[ComplexAttribute]] = UserGroup


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable] = None
    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display: Annotated[str | None, Mutability.read_only] = None  # not kept


class Group(Resource):
    """A workgroup of the tenant; its members are the tenant's Users."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    members: list[GroupMember] | None = None
    Members: ClassVar[type[ComplexAttribute]] = GroupMember


def provider() -> ScimProvider:
    """The service's description: its resource types, and what it supports of the protocol."""
    config = ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken, name="SCIM token",
                description="A tenant's SCIM token, made on Settings → Sign-in, as a Bearer token.",
                primary=True,
            )
        ],
    )  # fmt: skip
    resource_types = [
        ResourceType.from_resource(User),
        ResourceType.from_resource(Group),
    ]
    # As Okta and Entra ID send them: attributes we do not keep (locale, password, the enterprise
    # extension…) are dropped, not refused; Entra's `remove` with a value, and its `replace` of an
    # entry no filter matches, do what it means.
    policy = ScimPolicy(
        unknown=ScimPolicy.Unknown.ignore,
        remove_value_as_filter=ScimPolicy.RemoveValue.apply,
        unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
    )
    return ScimProvider([User, Group], resource_types, config, policy)
