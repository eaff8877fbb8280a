"""Cookies, HTTPS, the proxies we believe, and the browser's policies (headers and CSP)."""

import ipaddress

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portal.settings.environment import env_bool, env_int, env_list, env_str

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
