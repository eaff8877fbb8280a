"""Sign-in: Django's and allauth's accounts, each tenant's identity provider, passkeys and MFA."""

from portal.settings.base import DEBUG
from portal.settings.environment import env_bool, env_str
from portal.settings.security import HTTPS

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
