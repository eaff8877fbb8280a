"""The reference app: API keys and JWTs the way most Django projects do it.

djangorestframework-api-key checks `X-API-Key` (its HasAPIKey permission, then get_from_key in the
view, as its docs show) and djangorestframework-simplejwt mints and verifies the token (its defaults:
HS256, and JWTAuthentication loads the user from the database on every request).
"""

import os

import dj_database_url

SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "peer-benchmark-only-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_api_key",
    "peer",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "peer.urls"
WSGI_APPLICATION = "peer.wsgi.application"
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
API_KEY_CUSTOM_HEADER = "HTTP_X_API_KEY"
from datetime import timedelta  # noqa: E402

SIMPLE_JWT = {"ACCESS_TOKEN_LIFETIME": timedelta(hours=1)}
