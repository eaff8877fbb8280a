"""Portal's rows in the shapes of ICA's v3 API (libica's models): camelCase, UUID ids, lists as
`{"items": [...]}`. Pure: callers load the rows; nothing here reads the database."""

import uuid
from datetime import datetime

PREFIX = "/ica/rest/"  # where ICA's clients find the API
NOBODY = str(uuid.UUID(int=0))  # ICA's events always name a user: Portal's own (system) events name this


def when(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def user(membership, *, verified: bool, second_factor: bool) -> dict:
    person, tenant = membership.user, membership.tenant
    first, _, last = person.full_name.strip().partition(" ")
    return {
        "id": str(person.pk),
        "timeCreated": when(membership.created_at),
        "timeModified": when(membership.created_at),
        "ownerId": str(person.pk),
        "tenantId": str(tenant.pk),
        "tenantName": tenant.name,
        "username": person.email,
        "email": person.email,
        "firstname": first,
        "lastname": last.strip(),
        "active": membership.is_active and person.is_active,
        "tenantAdministrator": membership.is_admin,
        "emailVerified": verified,
        "twoFactorAuthentication": second_factor,
    }


def workgroup(group) -> dict:
    # ICA requires a description; Portal's workgroups have only a name.
    return {"id": str(group.pk), "name": group.name, "description": group.name}


def event_v3(event, tenant) -> dict:
    actor = str(event.actor_id) if event.actor_id else NOBODY
    return {
        "id": str(event.pk),
        "timeCreated": when(event.created_at),
        "timeModified": when(event.created_at),
        "ownerId": actor,
        "tenantId": str(tenant.pk),
        "tenantName": tenant.name,
        "code": event.action,
        "description": describe(event),
        "eventTypeCategory": category(event.action),
        "userId": actor,
    }


def event_v4(event, tenant) -> dict:
    return {
        "id": str(event.pk),
        "timeCreated": when(event.created_at),
        "owner": {"id": str(event.actor_id) if event.actor_id else NOBODY},
        "tenant": {"id": str(tenant.pk), "name": tenant.name},
        "code": event.action,
        "description": describe(event),
        "eventTypeCategory": category(event.action),
    }


WARNING_MARKS = (
    "fail",
    "refused",
)  # in an action: a refused or failed attempt (login.failed, access.refused)
CATEGORIES = ("INFO", "WARN", "ERROR")  # ICA's event categories are severities


def category(action: str) -> str:
    return "WARN" if any(mark in action for mark in WARNING_MARKS) else "INFO"


def describe(event) -> str:
    who = event.actor_email or "Portal"
    what = " ".join(part for part in (event.target_type, event.target_label) if part)
    return f"{who}: {event.action}{f' {what}' if what else ''}"[:1000]
