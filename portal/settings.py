"""Portal settings: one module, configured from the environment.

Every knob is an environment variable with a safe development default; a malformed value fails
loudly at start-up rather than being silently replaced. `make run` needs none of them.
"""

import ipaddress
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from core.files import write_private
from core.networks import normalised

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/systemd credentials)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return os.environ.get(name, "")


def _local_secret_key() -> str:
    # Development default: a random key kept in var/, never a key written in the source. Processes
    # starting at once on an empty var/ all read the one that was written first.
    path = VAR_DIR / "secret-key"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(50), exclusive=True)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY") or _local_secret_key()
# Seals secrets kept at rest, e.g. identity providers' client secrets (core.sealed); comma-separated
# for rotation, the first seals. Unset: derived from SECRET_KEY.
PORTAL_SEALING_KEY = env_secret("PORTAL_SEALING_KEY")
# Hosts are checked by accounts.middleware.TenantMiddleware instead, against what changes at run
# time: the tenants' domains, plus the operators' own hosts below. Anything else gets a 404.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])
# Hosts that are no tenant's but are ours: Django admin, the API without a tenant's domain (a
# Bearer token's `tid` or the token endpoint's `?tenant=` names the tenant), the published keys.
PORTAL_OPERATOR_HOSTS = frozenset(
    host.lower() for host in env_list("PORTAL_OPERATOR_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
)
PORTAL_OPERATOR_PATHS = ("/admin/", "/api/", "/ica/rest/", "/.well-known/", "/metrics")  # on an operator host
# Django admin on every tenant's domain too (off: only on the operator hosts, out of tenants' reach).
PORTAL_ADMIN_ON_TENANT_HOSTS = env_bool("PORTAL_ADMIN_ON_TENANT_HOSTS", False)
PORTAL_ANY_HOST_PATHS = ("/healthz", "/static/")  # on any host at all: probes by IP, assets

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "apikeys",
    "licenses",
    "sso",
    "access",
    "reports",
    "ica",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.observe.Observe",  # counts and times every answer (core.metrics); JSON log lines
    "ica.middleware.IcaProblems",  # ICA's members on every problem under /ica/rest/, whoever answered
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's checks know these by name; core.middleware.PagesOnly ones are skipped by API calls
    # without a cookie (nothing there reads a session).
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.middleware.Authentication",
    "accounts.middleware.TenantMiddleware",
    "access.middleware.NetworkPolicy",
    "core.middleware.Messages",
    "accounts.middleware.SessionPolicy",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",  # allauth requires it by this name
    "sso.middleware.IdentityProviderFormAction",
    "sso.middleware.IdentityProviderRateLimit",
    "sso.middleware.SingleSignOnOnly",
    "access.middleware.SignInRequirements",
]

# The largest request body, in bytes, for any request: the API's bodies are small JSON objects.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PORTAL_MAX_BODY_BYTES", 1024 * 1024)

ROOT_URLCONF = "portal.urls"
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.tenant",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "core.db.postgresql"  # health check without a round trip
    # psycopg prepares only what core.db.prepared_cursor asks for (None would refuse even that).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
            # A Redis that does not answer costs a request at most this, then is not asked again
            # for a second (core/cache.py: shared state from the database meanwhile).
            "OPTIONS": {
                "socket_connect_timeout": env_float("PORTAL_REDIS_TIMEOUT", 1.0),
                "socket_timeout": env_float("PORTAL_REDIS_TIMEOUT", 1.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Auth state and tenants read from process memory, kept exact by Redis's invalidation messages
# (core/tracking.py). Off: one cache round trip per request instead. Needs Redis 6+, redis://.
PORTAL_TRACKING_URL = REDIS_URL if REDIS_URL and env_bool("PORTAL_TRACKING", True) else ""

AUTH_USER_MODEL = "accounts.User"
# allauth's backend alone (a ModelBackend subclass: permissions as Django's): it finds the account
# by email in any case and hashes once per attempt whether or not the account exists. With
# Django's ModelBackend in front, every failed attempt hashed twice.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},  # the floor; each tenant's policy asks more (access.passwords)
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# Host-only cookies: a session at one tenant's domain is never sent to another's.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 30 * 86400  # the longest any tenant may allow; each tenant's policy ends sessions sooner
SESSION_COOKIE_SAMESITE = "Lax"
# Served over HTTPS (PORTAL_URL_SCHEME=https, as in production): cookies only over TLS, plain HTTP
# redirected (except the probes' /healthz), and HSTS for a year on every tenant subdomain.
HTTPS = env_str("PORTAL_URL_SCHEME", "http") == "https"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 86400 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)  # consent only: listing is a separate act
if env_bool("PORTAL_BEHIND_PROXY", False):  # TLS ends at a proxy we run, which sets X-Forwarded-Proto
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies of ours (addresses or networks) whose X-Forwarded-For names the client for rate limits,
# lockouts and audit (accounts.requests.client_ip); nobody else's is believed.
PORTAL_TRUSTED_PROXIES = tuple(env_list("PORTAL_TRUSTED_PROXIES", []))
for _proxy in PORTAL_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"PORTAL_TRUSTED_PROXIES: {_proxy!r} is no address or network") from None
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp): our own files only; no inline or eval'd script anywhere,
# no inline style, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# django-allauth: email is the login, verification is mandatory, policy lives in the adapter.
# accounts.adapter's, with single sign-on only (sso.adapter) and the password policy (access.adapter)
ACCOUNT_ADAPTER = "access.adapter.AccountAdapter"
# Each tenant's own identity provider (sso.adapter lists the host's tenant's only), by OpenID
# Connect or SAML. It signs in an existing account with the same address (and connects it) only
# where it vouches for that address in a domain the operators verified as the tenant's
# (sso.adapter.can_authenticate_by_email); allauth then wipes the password of an account whose
# own address was never verified, so whoever made it is locked out.
SOCIALACCOUNT_ADAPTER = "sso.adapter.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_PROVIDERS = {
    "saml": {"provider_class": "sso.providers.PortalSAMLProvider"},
    "openid_connect": {"provider_class": "sso.providers.PortalOIDCProvider"},
}
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
# What a tenant's identity provider may be (sso/fetch.py): http:// and private addresses only for
# development and tests.
PORTAL_SSO_ALLOW_HTTP = env_bool("PORTAL_SSO_ALLOW_HTTP", DEBUG)
PORTAL_SSO_ALLOW_PRIVATE = env_bool("PORTAL_SSO_ALLOW_PRIVATE", DEBUG)
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
# allauth's limits (its other actions keep allauth's defaults). Failed sign-ins — the login page,
# Django admin and the token endpoint's passwords, one counter — per client address (IPv6: per
# /64) and per account (the email, in any case); past either the right password is refused too.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("PORTAL_RATE_LOGIN_FAILURES", "10/m/ip,5/5m/key"),
    "reset_password": env_str("PORTAL_RATE_PASSWORD_RESET", "20/m/ip,5/m/key"),
}
ACCOUNT_PREVENT_ENUMERATION = True  # a password reset answers alike for any address (allauth's default)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# Passkeys (WebAuthn) as a second factor, and to sign in alone where the tenant allows it
# (access.adapter). A passkey belongs to the host it was made at: one tenant's never signs in at
# another's. Over plain HTTP (make run, the tests) the origin check allows http://.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not HTTPS
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Portal")

EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")
# Every email goes through the outbox (core/mail.py): a request writes a row, a Celery job sends it
# through PORTAL_MAIL_BACKEND, the real one, retrying while the mail server is slow or down.
EMAIL_BACKEND = "core.mail.OutboxBackend"
if EMAIL_HOST:
    PORTAL_MAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
elif EMAIL_FILE_PATH:
    PORTAL_MAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
else:
    PORTAL_MAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)  # seconds a delivery job waits for the mail server
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Portal <portal@localhost>")

REST_FRAMEWORK = {
    # Bearer first: its WWW-Authenticate challenge makes unauthenticated calls a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apikeys.authentication.BearerAuthentication",
        "apikeys.authentication.ApiKeyAuthentication",  # X-API-Key on a call, as ICA's clients send it
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsTenantMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.Negotiation",
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Portal API",
    "DESCRIPTION": "Tenants, workgroups, users, API keys and premium data licenses.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # A pasted token lives in the page only: persistAuthorization would keep it in localStorage.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False},
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_SPLIT_PATCH": False,  # a PATCH body's required fields are what its serializer says
    "PREPROCESSING_HOOKS": ["core.schema.portal_api_only"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.document_problems",
        "core.schema.link_created_resources",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ApiKeyStatusEnum": ["active", "expired", "revoked"],
        "LicenseStatusEnum": "licenses.models.License.State",
        "LicenseFileStatusEnum": "licenses.models.LicenseFile.Status",
    },
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "BasicAuth": {"type": "http", "scheme": "basic"},
        }
    },
}

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

PORTAL_INVITATION_DAYS = env_int("PORTAL_INVITATION_DAYS", 7)
# Where a tenant's pages are, for links in emails sent outside a request (e.g. license reminders).
PORTAL_TENANT_URL = env_str(
    "PORTAL_TENANT_URL",
    f"{ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{{domain}}" + (f":{env_str('PORTAL_PORT', '8000')}" if DEBUG else ""),
)

# API keys and tokens (DESIGN.md sections 4 and 5).
APIKEYS_MAX_PER_USER = env_int("APIKEYS_MAX_PER_USER", 10)
PORTAL_JWT_ISSUER = env_str("PORTAL_JWT_ISSUER", "http://portal.localhost")
# The ES256 keyring: inline JSON (PORTAL_JWT_KEYS), or a file that `rotate_signing_key` rewrites.
PORTAL_JWT_KEYS = env_str("PORTAL_JWT_KEYS")
PORTAL_JWT_KEYS_FILE = env_str("PORTAL_JWT_KEYS_FILE", str(VAR_DIR / "jwt-keys.json"))
# The premium.lic keyring (Ed25519, never the JWT key): inline JSON, or a file `rotate_license_key` rewrites.
PORTAL_LICENSE_KEYS = env_str("PORTAL_LICENSE_KEYS")
PORTAL_LICENSE_KEYS_FILE = env_str("PORTAL_LICENSE_KEYS_FILE", str(VAR_DIR / "license-keys.json"))
# Token endpoint limits, per client address and per account (key or email); "" turns one off.
PORTAL_RATES = {
    "tokens-ip": env_str("PORTAL_RATE_TOKENS_IP", "300/m"),
    "tokens-account": env_str("PORTAL_RATE_TOKENS_ACCOUNT", "60/m"),
    # Failed exchanges (a wrong, revoked or expired key; a wrong password) per client address;
    # past it the right credentials are refused too. Passwords also meet allauth's lockout
    # (ACCOUNT_RATE_LIMITS["login_failed"]: per address and per account, shared with sign-in).
    "tokens-failures-ip": env_str("PORTAL_RATE_TOKENS_FAILURES_IP", "300/h"),
    # The tools' licensing endpoints: requests per address; failed credentials per address and
    # per serial number or BYOL user id (past those, the right credentials are refused too).
    "licensing-ip": env_str("PORTAL_RATE_LICENSING_IP", "600/m"),
    "licensing-failures-ip": env_str("PORTAL_RATE_LICENSING_FAILURES_IP", "60/h"),
    "licensing-failures-account": env_str("PORTAL_RATE_LICENSING_FAILURES_ACCOUNT", "10/h"),
    # License credentials a tenant's admins may add (API and pages alike).
    "credentials-tenant": env_str("PORTAL_RATE_CREDENTIALS_TENANT", "100/h"),
    # Single sign-on starts and callbacks per address: each makes the server ask the tenant's provider.
    "sso-ip": env_str("PORTAL_RATE_SSO_IP", "30/m"),
    # `portal login`: device codes started per address, and user codes typed per person.
    "cli-device-ip": env_str("PORTAL_RATE_CLI_DEVICE_IP", "20/h"),
    "cli-code-user": env_str("PORTAL_RATE_CLI_CODE_USER", "20/h"),
    # Failed sign-ins and key exchanges, and requests a tenant's allowed networks refused, written
    # to its event log per address (past it refusals are only counted by day): nobody fills the log.
    "refused-events": env_str("PORTAL_RATE_REFUSED_EVENTS", "30/m"),
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]  # sentence case for allauth's headings (locale/en/LC_MESSAGES/django.po)
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

# PORTAL_JSON_LOGS=1: every log line a JSON object, and one line per request (core/observe.py:
# request id, tenant, user, route, status, duration; never a path, a query or a header).
PORTAL_JSON_LOGS = env_bool("PORTAL_JSON_LOGS", False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", **({"formatter": "json"} if PORTAL_JSON_LOGS else {})}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
# /metrics (core/metrics.py), on operator hosts: for these addresses, or a request bearing the token
PORTAL_METRICS_NETWORKS = tuple(normalised(env_list("PORTAL_METRICS_NETWORKS", ["127.0.0.1/32", "::1/128"])))
PORTAL_METRICS_TOKEN = env_secret("PORTAL_METRICS_TOKEN")
