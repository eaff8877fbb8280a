"""The API: DRF, the schema, keys, tokens, keyrings and the rate limits."""

from portal.settings.environment import VAR_DIR, env_int, env_str

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
        "PremiumSourceEnum": "premiumlic.SOURCES",
    },
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "BasicAuth": {"type": "http", "scheme": "basic"},
        }
    },
}

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
