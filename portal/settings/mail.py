"""Email: every message goes through the outbox (core/mail.py) to the real backend named here."""

from portal.settings.environment import env_bool, env_int, env_secret, env_str

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
