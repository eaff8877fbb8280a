"""Licenses: every change a tenant admin makes, checked and audited in the same transaction; the
premium.lic files issued for them; the sweeps Celery runs over both."""

from .activations import Activation, activation_challenge, activation_issue, activation_read, activation_text
from .credentials import (
    LAST_USE_INTERVAL,
    NewCredential,
    credential_add,
    credential_delete,
    credential_set_enabled,
    credential_use_record,
)
from .files import (
    REFRESH_WITHIN,
    file_is_due,
    files_want,
    license_file_issue,
    license_files_issue,
    license_files_refresh,
    license_jobs_requeue,
    licenses_expire,
)
from .licenses import (
    clean_sources,
    license_create,
    license_delete,
    license_resume,
    license_revoke,
    license_suspend,
    license_update,
)
from .reminders import license_reminders_send
from .revocations import revocations_current, revocations_publish, revocations_refresh
from .usage_alerts import usage_alerts_send

__all__ = [
    "LAST_USE_INTERVAL",
    "REFRESH_WITHIN",
    "Activation",
    "NewCredential",
    "activation_challenge",
    "activation_issue",
    "activation_read",
    "activation_text",
    "clean_sources",
    "credential_add",
    "credential_delete",
    "credential_set_enabled",
    "credential_use_record",
    "file_is_due",
    "files_want",
    "license_create",
    "license_delete",
    "license_file_issue",
    "license_files_issue",
    "license_files_refresh",
    "license_jobs_requeue",
    "license_reminders_send",
    "license_resume",
    "license_revoke",
    "license_suspend",
    "license_update",
    "licenses_expire",
    "revocations_current",
    "revocations_publish",
    "revocations_refresh",
    "usage_alerts_send",
]
