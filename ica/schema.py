"""The ICA dialect's own OpenAPI document, at /ica/rest/api/schema (Portal's /api/schema keeps to
/api/): the operations Portal implements, in ICA's operation ids and shapes (the serializers
below only describe; `shapes.py` builds the answers)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from ica.shapes import CATEGORIES


def ica_only(endpoints):
    """Preprocessing hook: ICA's paths, without the prefix Portal serves them under."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/ica/rest/api/")]


class Token(serializers.Serializer):
    token = serializers.CharField()


class User(serializers.Serializer):
    id = serializers.UUIDField()
    timeCreated = serializers.DateTimeField()  # camelCase: ICA's names, here and below
    timeModified = serializers.DateTimeField()
    ownerId = serializers.UUIDField()
    tenantId = serializers.UUIDField()
    tenantName = serializers.CharField()
    username = serializers.CharField()
    email = serializers.CharField()
    firstname = serializers.CharField()
    lastname = serializers.CharField()
    active = serializers.BooleanField()
    tenantAdministrator = serializers.BooleanField()
    emailVerified = serializers.BooleanField()
    twoFactorAuthentication = serializers.BooleanField()


class UserIn(serializers.Serializer):
    """ICA's User; Portal reads its names only (a person's own)."""

    firstname = serializers.CharField(required=False, allow_blank=True, max_length=255)
    lastname = serializers.CharField(required=False, allow_blank=True, max_length=255)


class UserList(serializers.Serializer):
    items = User(many=True)


class Workgroup(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()


class WorkgroupList(serializers.Serializer):
    items = Workgroup(many=True)


class EventLogV3(serializers.Serializer):
    id = serializers.UUIDField()
    timeCreated = serializers.DateTimeField()
    timeModified = serializers.DateTimeField()
    ownerId = serializers.UUIDField()
    tenantId = serializers.UUIDField()
    tenantName = serializers.CharField()
    code = serializers.CharField()
    description = serializers.CharField()
    eventTypeCategory = serializers.ChoiceField(choices=CATEGORIES)
    userId = serializers.UUIDField()


class EventLogListV3(serializers.Serializer):
    items = EventLogV3(many=True)


class Identifier(serializers.Serializer):
    id = serializers.UUIDField()


class TenantIdentifier(Identifier):
    name = serializers.CharField()


class EventLogV4(serializers.Serializer):
    id = serializers.UUIDField()
    timeCreated = serializers.DateTimeField()
    owner = Identifier()
    tenant = TenantIdentifier()
    code = serializers.CharField()
    description = serializers.CharField()
    eventTypeCategory = serializers.ChoiceField(choices=CATEGORIES)


class EventLogPagedListV4(serializers.Serializer):
    items = EventLogV4(many=True)
    nextPageToken = serializers.CharField()
    remainingRecords = serializers.IntegerField()
    totalItemCount = serializers.IntegerField()


class SystemInfo(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()


def operation(operation_id: str, **kwargs):
    """One of ICA's operations, by ICA's operation id (libica's method name)."""
    return extend_schema(operation_id=operation_id, **kwargs)


TENANT = OpenApiParameter("tenant", str, description="The tenant, by name, domain or slug")
EMAIL = OpenApiParameter("emailAddress", str, description="Only the user with this address")
