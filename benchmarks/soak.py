#!/usr/bin/env python
"""Soak: a mixed load (Bearer reads, token exchanges, premium.lic downloads, keys made and revoked)
at ~70% of measured capacity for minutes on end, under gunicorn with a Celery worker. Prints
requests, errors, p50/p99 per kind and each process's RSS; exits 1 on any error or on a process
whose RSS at the end is more than 10% above its RSS after the first minute.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--share 0.7]
"""

import argparse
import concurrent.futures
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
from harness import HOST, PYTHON, recreate_database, shell

ROOT = Path(__file__).resolve().parent.parent
REDIS = "redis://127.0.0.1:6379/12"
PORT = 8731
SETUP = """
import json
from datetime import timedelta
from django.test import Client
from django.utils import timezone
from accounts.models import Membership, Role, Tenant, User, Workgroup
from accounts.services import Actor
from apikeys import services as keys
from licenses import services as licenses
tenant = Tenant.objects.create(domain="bench.localhost", name="Bench", slug="bench")
user = User.objects.create_user("bench@bench.test", "bench-password-123")
membership = Membership.objects.create(tenant=tenant, user=user, role=Role.ADMIN)
Workgroup.objects.create(tenant=tenant, name="Sequencing")
by = Actor(user=user, membership=membership)
_, key = keys.apikey_create(tenant=tenant, user=user, name="soak", workgroups="all", by=by)
license = licenses.license_create(tenant=tenant, by=by, name="soak", sources=["OMIM"],
                                  starts_at=timezone.now(), ends_at=timezone.now() + timedelta(days=365))
licenses.credential_add(license=license, by=by, method="dragen_serial", serial_number="SN-SOAK")
print(json.dumps({"key": key}))
"""


class Load:
    """The mix against one server; per-kind latencies and errors, thread-safe."""

    def __init__(self, url: str, key: str):
        self.url, self.key = url, key
        self.token = self._exchange(httpx.Client())
        self.latency = defaultdict(list)
        self.errors = defaultdict(int)
        self.samples = []
        self.rounds = 0
        self._lock = threading.Lock()
        self._local = threading.local()

    def round(self) -> None:
        with self._lock:
            self.rounds += 1
            n = self.rounds
        client = self._client()
        bearer = {"Authorization": f"Bearer {self.token}"}
        for path in ("/api/me", "/api/workgroups", "/api/apikeys"):
            self._call("read", 200, client.get, path, headers=bearer)
        self.token = (
            self._call("token", 200, client.post, "/api/tokens", headers={"X-API-Key": self.key})
            or self.token
        )
        self._call("premium.lic", 200, client.post, "/api/licensing/premium.lic",
                   json={"DragenSerialNo": "SN-SOAK"})  # fmt: skip
        if n % 5 == 0:
            created = self._call("key create", 201, client.post, "/api/apikeys", headers=bearer,
                                 json={"name": f"soak-{n}"})  # fmt: skip
            if created:
                self._call("key revoke", 204, client.delete, f"/api/apikeys/{created}", headers=bearer)

    def _call(self, kind: str, expected: int, method, path: str, **kwargs):
        started = time.perf_counter()
        try:
            response = method(self.url + path, **kwargs)
        except httpx.HTTPError:
            with self._lock:
                self.errors[kind] += 1
            return None
        elapsed = time.perf_counter() - started
        with self._lock:
            self.latency[kind].append(elapsed)
            if response.status_code != expected:
                self.errors[kind] += 1
                return None
        if kind == "token":
            return response.json()["token"]
        if kind == "key create":
            return response.json()["id"]
        return True

    def _client(self) -> httpx.Client:
        if not hasattr(self._local, "client"):
            self._local.client = httpx.Client(headers={"Host": HOST}, timeout=30)
        return self._local.client

    def _exchange(self, client: httpx.Client) -> str:
        response = client.post(self.url + "/api/tokens", headers={"Host": HOST, "X-API-Key": self.key})
        response.raise_for_status()
        return response.json()["token"]

    def requests(self) -> int:
        return sum(len(v) for v in self.latency.values())


def closed_loop(load: Load, threads: int, seconds: float) -> float:
    """Rounds per second with `threads` clients going as fast as the server answers."""
    stop = time.monotonic() + seconds
    before = load.rounds

    def run():
        while time.monotonic() < stop:
            load.round()

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for _ in range(threads):
            pool.submit(run)
    return (load.rounds - before) / seconds


def open_loop(load: Load, rate: float, seconds: float, at_minute) -> None:
    """Start a round every 1/rate seconds, whatever the answers' pace, for `seconds`."""
    started = time.monotonic()
    minute_taken = False
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        n = 0
        while (now := time.monotonic()) - started < seconds:
            due = started + n / rate
            if now < due:
                time.sleep(due - now)
            pool.submit(load.round)
            n += 1
            if not minute_taken and now - started >= 60:
                at_minute()
                minute_taken = True


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def family(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(p for child in children for p in family(int(child)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--share", type=float, default=0.7)
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="portal-soak-"))
    env = {
        **os.environ,
        "DATABASE_URL": recreate_database("portal_soak"),
        "REDIS_URL": REDIS,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PORTAL_VAR_DIR": str(var),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        **{f"PORTAL_RATE_{name}": "" for name in ("TOKENS_IP", "TOKENS_ACCOUNT", "TOKENS_FAILURES_IP",
                                                   "LICENSING_IP", "LICENSING_FAILURES_IP")},
    }  # fmt: skip
    subprocess.run(["redis-cli", "-u", REDIS, "flushdb"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    key = shell(ROOT, env, SETUP)["key"]
    gunicorn = [PYTHON, "-m", "gunicorn", "portal.wsgi", "-w", "3", "-b", f"127.0.0.1:{PORT}"]
    web = subprocess.Popen([*gunicorn, "--log-level=warning"], cwd=ROOT, env=env)
    worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "portal", "worker", "--concurrency", "1", "-l", "WARNING"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{PORT}"
        for _ in range(100):
            try:
                if httpx.get(url + "/healthz", headers={"Host": HOST}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        warm = Load(url, key)
        closed_loop(warm, 4, 5)  # imports, first queries, caches
        capacity = closed_loop(Load(url, key), 12, 20)
        rate = capacity * args.share
        print(f"capacity: {capacity:.1f} rounds/s ({capacity * 5.4:.0f} requests/s)")
        print(f"soak: {rate:.1f} rounds/s ({args.share:.0%}) for {args.minutes:g} min")

        processes = {"web": family(web.pid), "worker": family(worker.pid)}
        at_minute = {}

        def take_minute():
            for name, pids in processes.items():
                for pid in pids:
                    at_minute[(name, pid)] = rss_kib(pid)

        load = Load(url, key)
        started = time.monotonic()
        open_loop(load, rate, args.minutes * 60, take_minute)
        elapsed = time.monotonic() - started
        at_end = {(name, pid): rss_kib(pid) for name, pids in processes.items() for pid in pids}
    finally:
        web.terminate()
        worker.terminate()
        web.wait(timeout=30)
        worker.wait(timeout=30)
        shutil.rmtree(var, ignore_errors=True)

    total, errors = load.requests(), sum(load.errors.values())
    print(f"\n{total} requests in {elapsed:.0f} s ({total / elapsed:.1f}/s), {errors} errors")
    print(f"{'kind':<12} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, times in sorted(load.latency.items()):
        times = sorted(times)
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"{kind:<12} {len(times):>9} {load.errors[kind]:>7} {statistics.median(times) * 1e3:>8.1f} "
              f"{p99 * 1e3:>8.1f}")  # fmt: skip
    print(f"\n{'process':<16} {'RSS at 1 min':>13} {'RSS at end':>11} {'growth':>7}")
    grown = []
    for (name, pid), before in sorted(at_minute.items()):
        after = at_end.get((name, pid), 0)
        growth = (after - before) / before if before else 0.0
        grown += [(name, pid)] if growth > 0.10 else []
        print(f"{name} {pid:<11} {before / 1024:>10.1f} MB {after / 1024:>8.1f} MB {growth:>+7.1%}")
    ok = errors == 0 and not grown and at_minute
    print(
        "\nPASS"
        if ok
        else "\nFAIL: " + ("errors; " if errors else "") + ", ".join(f"{n} {p} grew" for n, p in grown)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
