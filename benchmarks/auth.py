#!/usr/bin/env python
"""Authentication cost against bare Django REST framework, measured in one run, rounds alternating.

Under gunicorn (2 sync workers) on PostgreSQL and Redis, wrk on loopback: `ping` (no auth), `me`
(GET /api/me, Bearer JWT) and `tokens` (POST /api/tokens, X-API-Key) of Portal and of the peer in
`benchmarks/peer/` (djangorestframework-api-key + simplejwt), and the reference: `benchmarks/bare/`,
one DRF view behind Django's default `startproject` middleware. `me_nets`: Portal's `me` at a
tenant whose API, and the token's key, each allow 50 networks (the caller's last); `me_key`:
`me` with the key itself as X-API-Key, as ICA's clients send it. Prints
medians and each round's ratio to the bare ceiling measured in the same round.

    .venv/bin/python benchmarks/auth.py [--rounds 3] [--seconds 5] [--connections 16]
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import PYTHON, alternate, recreate_database, require_wrk, serve, shell

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "benchmarks" / "peer"
BARE = ROOT / "benchmarks" / "bare"
REDIS = "redis://127.0.0.1:6379/13"

OURS_SETUP = """
import json
from django.test import Client
from accounts.models import Membership, Tenant, User, Workgroup, WorkgroupMembership
from accounts.services import Actor
from apikeys import services
tenant = Tenant.objects.create(domain="bench.localhost", name="Bench", slug="bench")
user = User.objects.create_user("bench@bench.test", "bench-password-123")
membership = Membership.objects.create(tenant=tenant, user=user)
for name in ("Sequencing", "Variant calling"):  # so /api/me lists workgroups, with its query
    group = Workgroup.objects.create(tenant=tenant, name=name)
    WorkgroupMembership.objects.create(workgroup=group, user=user)
_, key = services.apikey_create(tenant=tenant, user=user, name="bench", workgroups="all",
                                by=Actor(user=user, membership=membership))
token = Client(HTTP_HOST="bench.localhost").post("/api/tokens", HTTP_X_API_KEY=key).json()["token"]
# The same, at a tenant whose API answers only its 50 allowed networks, with a key bound to 50
# networks of its own: loopback last in both lists, so every range is compared.
ranges = [f"10.{n}.0.0/16" for n in range(25)] + [f"2001:db8:{n:x}::/48" for n in range(24)] + ["127.0.0.0/8"]
guarded = Tenant.objects.create(domain="guarded.localhost", name="Guarded", slug="guarded",
                                allowed_networks=ranges, networks_for_api=True)
guarded_member = Membership.objects.create(tenant=guarded, user=user)
for name in ("Sequencing", "Variant calling"):  # the same /api/me as at bench, but for the networks
    group = Workgroup.objects.create(tenant=guarded, name=name)
    WorkgroupMembership.objects.create(workgroup=group, user=user)
_, bound = services.apikey_create(tenant=guarded, user=user, name="bound", workgroups="all",
                                  by=Actor(user=user, membership=guarded_member), allowed_networks=ranges)
guarded_token = Client(HTTP_HOST="guarded.localhost", REMOTE_ADDR="127.0.0.1").post(
    "/api/tokens", HTTP_X_API_KEY=bound).json()["token"]
print(json.dumps({"key": key, "token": token, "guarded_token": guarded_token}))
"""

PEER_SETUP = """
import json
from django.contrib.auth.models import User
from rest_framework_simplejwt.tokens import RefreshToken
from peer.models import UserAPIKey
user = User.objects.create_user("bench", "bench@bench.test", "bench-password-123")
_, key = UserAPIKey.objects.create_key(name="bench", user=user)
print(json.dumps({"key": key, "token": str(RefreshToken.for_user(user).access_token)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    _require_tools()
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    apps = {}
    try:
        apps["portal"] = _start_portal(work, 8101)
        apps["peer"] = _start_peer(work, 8102)
        apps["bare"] = serve(BARE, {**os.environ, "PYTHONPATH": str(BARE)}, "bare.wsgi", 8103, {})
        results = alternate(apps, _targets, args)
    finally:
        for app in apps.values():
            app["process"].send_signal(signal.SIGTERM)
            app["process"].wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    _report(results, args)


def _require_tools() -> None:
    require_wrk()
    subprocess.run(
        [
            PYTHON,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            PEER / "requirements.txt",
        ],
        check=True,
    )


def _start_portal(work: Path, port: int) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": recreate_database("portal_bench"),
        "REDIS_URL": REDIS,
        "DATABASE_CONN_MAX_AGE": "600",
        "PORTAL_VAR_DIR": str(work / "portal-var"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        # The throttles run (their Redis INCRs are part of the cost) but never trip here.
        "PORTAL_RATE_TOKENS_IP": "100000000/s",
        "PORTAL_RATE_TOKENS_ACCOUNT": "100000000/s",
    }
    subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    credentials = shell(ROOT, env, OURS_SETUP)
    return serve(ROOT, env, "portal.wsgi", port, credentials)


def _start_peer(work: Path, port: int) -> dict:
    env = {**os.environ, "DATABASE_URL": recreate_database("portal_peer"), "PYTHONPATH": str(PEER)}
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=PEER, env=env, check=True)
    credentials = shell(PEER, env, PEER_SETUP)
    return serve(PEER, env, "peer.wsgi", port, credentials)


def _targets(app: dict) -> dict:
    if "key" not in app:  # the bare reference: its one view
        return {"ping": ("GET", "/api/ping", {}, "")}
    targets = {
        "ping": ("GET", "/api/ping", {}, ""),
        "me": ("GET", "/api/me", {"Authorization": f"Bearer {app['token']}"}, ""),
    }
    if "guarded_token" in app:  # Portal: the tenant's and the key's networks checked on each call
        headers = {"Host": "guarded.localhost", "Authorization": f"Bearer {app['guarded_token']}"}
        targets["me_nets"] = ("GET", "/api/me", headers, "")
        targets["me_key"] = ("GET", "/api/me", {"X-API-Key": app["key"]}, "")  # ICA's way: no token
    return targets | {"tokens": ("POST", "/api/tokens", {"X-API-Key": app["key"]}, "")}


def _report(results: dict, args) -> None:
    med = {
        key: {f: statistics.median(r[f] for r in runs) for f in ("rps", "p50", "p99")}
        for key, runs in results.items()
    }
    errors = sum(r["errors"] for runs in results.values() for r in runs)
    print(
        f"\nmedians of {args.rounds} rounds, {args.seconds} s each, {args.connections} connections, wrk -t1;"
        "\n× bare DRF: the median (and range) of each round's ratio to the bare DRF view in that round"
    )
    print(f"{'app':8}{'endpoint':24}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'× bare DRF':>12}{'range':>13}")
    rows = [("bare", "ping", "GET /api/ping (DRF)")] + [
        (app, target, label)
        for app in ("portal", "peer")
        for target, label in (
            ("ping", "GET /api/ping"),
            ("me", "GET /api/me (Bearer)"),
            ("me_nets", "GET /api/me (networks)"),
            ("me_key", "GET /api/me (X-API-Key)"),
            ("tokens", "POST /api/tokens"),
        )
        if (app, target) in results
    ]
    for app, target, label in rows:
        m = med[(app, target)]
        ceiling = results[("bare", "ping")]
        ratios = [r["rps"] / c["rps"] for r, c in zip(results[(app, target)], ceiling, strict=True)]
        print(
            f"{app:8}{label:24}{m['rps']:9.0f}{m['p50']:9.2f}{m['p99']:9.2f}"
            f"{statistics.median(ratios):12.2f}{f'{min(ratios):.2f}-{max(ratios):.2f}':>13}"
        )
    for target in ("me", "tokens"):
        ratio = med[("portal", target)]["rps"] / med[("peer", target)]["rps"]
        print(f"portal / peer, {target}: {ratio:.2f}×")
    nets = [
        g["rps"] / p["rps"]
        for g, p in zip(results[("portal", "me_nets")], results[("portal", "me")], strict=True)
    ]
    print(
        f"portal, me with 50 + 50 networks checked / me: {statistics.median(nets):.3f}× "
        f"({min(nets):.3f}-{max(nets):.3f})"
    )
    keyed = [
        k["rps"] / p["rps"]
        for k, p in zip(results[("portal", "me_key")], results[("portal", "me")], strict=True)
    ]
    print(
        f"portal, me with X-API-Key / me with Bearer: {statistics.median(keyed):.3f}× "
        f"({min(keyed):.3f}-{max(keyed):.3f})"
    )
    print(f"non-2xx answers: {errors}")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
