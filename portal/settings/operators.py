"""What operators watch: logs (optionally JSON) and /metrics."""

from core.networks import normalised
from portal.settings.environment import env_bool, env_list, env_secret, env_str

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
