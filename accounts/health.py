from django.conf import settings
from django.db import connection

REDIS_MIN_VERSION = (7, 0)  # EXPIRE ... NX (the rate-limit counters, core/cache.py)


def health_report() -> tuple[dict, bool]:
    """Ask every service the portal depends on; name each one that does not answer."""
    checks = {"database": _database(), "redis": _redis()}
    failing = [name for name, state in checks.items() if state not in ("ok", "not configured")]
    report = {"status": "fail" if failing else "ok", "checks": checks}
    if failing:
        report["failing"] = failing
    return report, not failing


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any driver error means "not answering"
        return f"error: {type(exc).__name__}"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        version = client.info("server")["redis_version"]
    except redis.RedisError as exc:
        return f"error: {type(exc).__name__}"
    return (
        "ok" if redis_version_ok(version) else f"error: Redis {version}; {_dotted(REDIS_MIN_VERSION)}+ needed"
    )


def redis_version_ok(version: str) -> bool:
    return tuple(int(part) for part in version.split(".")[:2]) >= REDIS_MIN_VERSION


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))
