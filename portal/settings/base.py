"""The site: its hosts, apps, middleware, templates, database, cache, languages and static files."""

import dj_database_url

from portal.settings.environment import (
    BASE_DIR,
    VAR_DIR,
    development_secret_key,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_secret,
    env_str,
)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY") or development_secret_key()
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
