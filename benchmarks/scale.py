#!/usr/bin/env python
"""Does the size of the tables slow the API? Two Portals in one run, rounds alternating: `small`
holds the 1,000 keys the load uses (100 users, 10 keys each); `large` holds the same plus
999,000 keys of 99,900 more users (1,000,000 keys, 100,000 users). Under gunicorn (2 workers)
with wrk, every request presents the next of the 1,000 keys (POST /api/tokens) or of their
1,000 tokens (GET /api/me, GET /api/apikeys: the caller's keys from the database). Prints the
large Portal's rate over the small one's, per round (the README: within 10 %).

    .venv/bin/python benchmarks/scale.py [--rounds 3] [--seconds 5] [--keys 1000000]
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import HOST, PYTHON, alternate, recreate_database, require_wrk, serve, shell

ROOT = Path(__file__).resolve().parent.parent
USED_USERS, KEYS_EACH = 100, 10  # 1,000 keys in use; 10 is the most a member may hold

SETUP = f"""
import json
from django.test import Client
from accounts.models import Membership, Tenant, User
from accounts.services import Actor
from apikeys import services
tenant = Tenant.objects.create(domain="{HOST}", name="Bench", slug="bench")
keys = []
for n in range({USED_USERS}):
    user = User.objects.create_user(f"used{{n}}@bench.test", None)
    by = Actor(user=user, membership=Membership.objects.create(tenant=tenant, user=user))
    for k in range({KEYS_EACH}):
        made = services.apikey_create(tenant=tenant, user=user, name=f"k{{k}}", workgroups="all", by=by)
        keys.append(made[1])
client = Client(HTTP_HOST="{HOST}")
tokens = [client.post("/api/tokens", HTTP_X_API_KEY=key).json()["token"] for key in keys]
print(json.dumps({{"tenant": str(tenant.pk), "keys": keys, "tokens": tokens}}))
"""

# The other users and their keys, made by PostgreSQL itself: 10 usable keys each, unique digests.
FILL = """
BEGIN;
INSERT INTO accounts_user (id, password, is_superuser, email, full_name, is_active, is_staff, date_joined)
  SELECT gen_random_uuid(), '!', false, 'filler' || n || '@bench.test', '', true, false, now()
  FROM generate_series(1, :users) AS n;
INSERT INTO accounts_membership (role, is_active, created_at, user_id, tenant_id, tokens_valid_from)
  SELECT 'member', true, now(), id, :'tenant', now() FROM accounts_user WHERE email LIKE 'filler%';
INSERT INTO apikeys_apikey (id, name, prefix, digest, all_workgroups, created_at, expires_at,
                            tenant_id, user_id, membership_id)
  SELECT gen_random_uuid(), 'k' || k, 'pak_fill', md5(m.id || ':' || k) || md5(k || ':' || m.id),
         true, now(), now() + interval '365 days', m.tenant_id, m.user_id, m.id
  FROM accounts_membership m JOIN accounts_user u ON u.id = m.user_id, generate_series(1, 10) AS k
  WHERE u.email LIKE 'filler%';
COMMIT;
ANALYZE;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keys", type=int, default=1_000_000, help="keys in the large Portal")
    args = parser.parse_args()
    require_wrk()
    work = Path(tempfile.mkdtemp(prefix="portal-scale-"))
    apps = {}
    try:
        apps["small"] = _start(work, "small", 8121, redis_db=11, fill_keys=0)
        apps["large"] = _start(
            work, "large", 8122, redis_db=10, fill_keys=args.keys - len(apps["small"]["keys"])
        )
        results = alternate(apps, _targets, args)
    finally:
        for app in apps.values():
            app["process"].send_signal(signal.SIGTERM)
            app["process"].wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    _report(results, args)


def _start(work: Path, name: str, port: int, *, redis_db: int, fill_keys: int) -> dict:
    database = recreate_database(f"portal_scale_{name}")
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "DATABASE_CONN_MAX_AGE": "600",
        "PORTAL_VAR_DIR": str(work / "portal-var"),  # one keyring: the tokens verify on both
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PORTAL_RATE_TOKENS_IP": "100000000/s",
        "PORTAL_RATE_TOKENS_ACCOUNT": "100000000/s",
    }
    subprocess.run(["redis-cli", "-n", str(redis_db), "flushdb"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    made = shell(ROOT, env, SETUP)
    if fill_keys:
        started = time.monotonic()
        fill = ["psql", database, "-q", "-v", "ON_ERROR_STOP=1", "-v", f"tenant={made['tenant']}"]
        fill += ["-v", f"users={fill_keys // KEYS_EACH}"]
        subprocess.run(fill, input=FILL, text=True, check=True, stdout=subprocess.DEVNULL)
        count = subprocess.run(
            ["psql", database, "-tAc", "SELECT count(*) FROM apikeys_apikey"], capture_output=True, text=True
        ).stdout.strip()
        print(f"{name}: {count} keys in the table ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    return serve(ROOT, env, "portal.wsgi", port, made)


def _in_turn(header: str, values: list[str], prefix: str = "") -> str:
    """wrk Lua: each request carries the next value of `header`."""
    listed = ",".join(json.dumps(prefix + value) for value in values)
    return f"""
local values = {{{listed}}}
local i = 0
request = function()
  i = i % #values + 1
  wrk.headers["{header}"] = values[i]
  return wrk.format()
end
"""


def _targets(app: dict) -> dict:
    bearer = _in_turn("Authorization", app["tokens"], "Bearer ")
    return {
        "tokens": ("POST", "/api/tokens", {}, _in_turn("X-API-Key", app["keys"])),
        "me": ("GET", "/api/me", {}, bearer),
        "apikeys": ("GET", "/api/apikeys", {}, bearer),
    }


def _report(results: dict, args) -> None:
    errors = sum(r["errors"] for runs in results.values() for r in runs)
    print(f"\nmedians of {args.rounds} rounds, {args.seconds} s each, {args.connections} connections;")
    print("large / small: the median (and range) of each round's ratio")
    heads = ("small req/s", "large req/s", "p99 small", "p99 large")
    print(f"{'endpoint':20}" + "".join(f"{head:>12}" for head in heads) + "  large/small")
    for target, label in (
        ("tokens", "POST /api/tokens"),
        ("me", "GET /api/me"),
        ("apikeys", "GET /api/apikeys"),
    ):
        small, large = results[("small", target)], results[("large", target)]
        ratios = [b["rps"] / a["rps"] for a, b in zip(small, large, strict=True)]
        print(
            f"{label:20}{statistics.median(r['rps'] for r in small):12.0f}"
            f"{statistics.median(r['rps'] for r in large):12.0f}"
            f"{statistics.median(r['p99'] for r in small):12.2f}"
            f"{statistics.median(r['p99'] for r in large):12.2f}"
            f"{statistics.median(ratios):8.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        )
    print(f"non-2xx answers: {errors}")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
