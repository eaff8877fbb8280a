"""Celery and its schedule, and how long the jobs keep what they make."""

from portal.settings.accounts import ACCOUNT_DEFAULT_HTTP_PROTOCOL
from portal.settings.base import DEBUG, REDIS_URL
from portal.settings.environment import VAR_DIR, env_int, env_str

# Celery: Redis in production and tests; kombu's filesystem transport for the embedded default.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "celery-broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),  # kombu's default: ./control, wherever run
    }
else:
    # A message taken by a worker that died is handed out again after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "portal")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "expire-invitations": {"task": "accounts.tasks.invitations_expire", "schedule": 3600.0},
    "expire-licenses": {"task": "licenses.tasks.licenses_expire", "schedule": 300.0},
    "refresh-license-files": {"task": "licenses.tasks.license_files_refresh", "schedule": 120.0},
    # After a Redis outage: queue the license jobs the broker refused, make the cache changes owed.
    "requeue-license-jobs": {
        "task": "licenses.tasks.license_jobs_requeue",
        "schedule": float(env_int("PORTAL_REQUEUE_SECONDS", 30)),
    },
    "settle-cache-changes": {
        "task": "accounts.tasks.cache_changes_settle",
        "schedule": float(env_int("PORTAL_REQUEUE_SECONDS", 30)),
    },
    "remind-license-ends": {"task": "licenses.tasks.license_reminders_send", "schedule": 3600.0},
    "alert-credential-usage": {"task": "licenses.tasks.usage_alerts_send", "schedule": 3600.0},
    "refresh-revocations": {"task": "licenses.tasks.revocations_refresh", "schedule": 3600.0},
    "prune-usage-counts": {"task": "accounts.tasks.usage_prune", "schedule": 86400.0},
    "check-saml-metadata": {"task": "sso.tasks.saml_metadata_check", "schedule": 86400.0},
    "prune-seen-assertions": {"task": "sso.tasks.seen_assertions_prune", "schedule": 3600.0},
    "sweep-reports": {"task": "reports.tasks.reports_sweep", "schedule": 600.0},
    "prune-events": {"task": "accounts.tasks.events_prune", "schedule": 86400.0},
    "sweep-outbox": {"task": "core.tasks.mail_sweep", "schedule": 60.0},
}
# The event log keeps this many days; reports are kept (and downloadable) this many, and are
# attached to their email up to this size (a link to the Reports page above it).
PORTAL_EVENT_KEEP_DAYS = env_int("PORTAL_EVENT_KEEP_DAYS", 400)
PORTAL_REPORTS_DIR = VAR_DIR / "reports"
PORTAL_REPORT_KEEP_DAYS = env_int("PORTAL_REPORT_KEEP_DAYS", 7)
PORTAL_REPORT_ATTACH_BYTES = env_int("PORTAL_REPORT_ATTACH_BYTES", 5 * 1024 * 1024)
# Usage counts (core.usage) wait this long in a process before one write adds them all.
PORTAL_USAGE_FLUSH_SECONDS = float(env_int("PORTAL_USAGE_FLUSH_SECONDS", 5))
PORTAL_USAGE_KEEP_DAYS = env_int("PORTAL_USAGE_KEEP_DAYS", 400)
# Tenant admins are alerted when one license credential is fetched from more addresses in a day.
PORTAL_LICENSE_ADDRESSES_ALERT = env_int("PORTAL_LICENSE_ADDRESSES_ALERT", 5)

PORTAL_INVITATION_DAYS = env_int("PORTAL_INVITATION_DAYS", 7)
# Where a tenant's pages are, for links in emails sent outside a request (e.g. license reminders).
PORTAL_TENANT_URL = env_str(
    "PORTAL_TENANT_URL",
    f"{ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{{domain}}" + (f":{env_str('PORTAL_PORT', '8000')}" if DEBUG else ""),
)
