#!/usr/bin/env python
"""Premium license work on PostgreSQL, Redis and a real Celery worker (the README says what each
part measures): `generate` files for N credentials through one worker, files/s; `download`
premium.lic under gunicorn with wrk against the no-auth ceiling, rounds alternating, for one
credential again and again and for all N in turn; `sweep` the expiry sweep over 1,000,000 rows.

  .venv/bin/python benchmarks/licenses.py [--credentials 10000] [--rows 1000000]
      [--rounds 3] [--seconds 5] [--connections 16] [--skip-sweep]
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

from harness import HOST, PYTHON, recreate_database, require_wrk, serve, shell, wrk

ROOT = Path(__file__).resolve().parent.parent
REDIS_DB = "12"

SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from accounts.models import Tenant
from accounts.services import Actor
from licenses import services
from licenses.models import Credential
tenant = Tenant.objects.create(domain="bench.localhost", name="Bench", slug="bench")
now = timezone.now()
license = services.license_create(tenant=tenant, by=Actor.system_actor(), name="bench",
    sources=["COSMIC", "SpliceAI"], starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=365))
Credential.objects.bulk_create(
    Credential(
        tenant=tenant, license=license, method="dragen_serial", identifier=f"SN-{n:07d}", file_wanted_at=now
    )
    for n in range(%(credentials)d)
)
print(json.dumps({"license": str(license.pk)}))
"""

ENQUEUE = """
import json, time
from licenses.models import Credential
from licenses.services.files import JOB_SIZE
from licenses.tasks import license_files_generate
ids = [str(pk) for pk in Credential.objects.order_by("pk").values_list("pk", flat=True)]
started = time.time()
for start in range(0, len(ids), JOB_SIZE):
    license_files_generate.delay(ids[start : start + JOB_SIZE])
print(json.dumps({"started": started, "jobs": -(-len(ids) // JOB_SIZE)}))
"""

SWEEP = """
import json, time
from licenses.services import licenses_expire
times = []
for _ in range(2):
    started = time.perf_counter()
    result = licenses_expire()
    times.append((time.perf_counter() - started, result["files"]))
print(json.dumps(times))
"""

# A million files: one current file per credential, all past their end, each with a real file's
# text (in its own table, as in use).
FILL = """
INSERT INTO licenses_credential (id, license_id, method, identifier, secret_hash, key_prefix,
    is_enabled, created_at)
SELECT gen_random_uuid(), %(license)s, 'dragen_serial', 'SWEEP-' || n, '', '', true, now()
FROM generate_series(1, %(rows)s) AS n;
INSERT INTO licenses_licensefile (id, license_id, credential_id, sources, issued_at,
    not_before, expires_at, status)
SELECT gen_random_uuid(), c.license_id, c.id, '["COSMIC", "SpliceAI"]',
    now() - interval '100 days', now() - interval '100 days', now() - interval '10 days', 'current'
FROM licenses_credential c WHERE c.identifier LIKE 'SWEEP-%%';
INSERT INTO licenses_licensefilebody (file_id, text)
SELECT f.id, %(text)s FROM licenses_licensefile f
JOIN licenses_credential c ON c.id = f.credential_id WHERE c.identifier LIKE 'SWEEP-%%';
ANALYZE licenses_licensefile;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--credentials", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--skip-sweep", action="store_true", help="leave out the 1M-row sweep")
    args = parser.parse_args()
    require_wrk()
    work = Path(tempfile.mkdtemp(prefix="portal-bench-licenses-"))
    database = recreate_database("portal_bench_licenses")
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "DATABASE_CONN_MAX_AGE": "600",
        "PORTAL_VAR_DIR": str(work / "var"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        # The limits are counted (their Redis round trip is part of the cost) but never trip here.
        "PORTAL_RATE_LICENSING_IP": "100000000/s",
    }
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    license_id = shell(ROOT, env, SETUP % {"credentials": args.credentials})["license"]
    try:
        generation = _generate(env, database, args.credentials)
        download = _download(env, args)
        sweep = None if args.skip_sweep else _sweep(env, database, license_id, args.rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _report(args, generation, download, sweep)


def _generate(env: dict, database: str, count: int) -> dict:
    worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "portal", "worker", "--pool", "solo", "-l", "WARNING"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        _wait_for_worker(env)
        queued = shell(ROOT, env, ENQUEUE)
        while (done := _count(database, "SELECT count(*) FROM licenses_licensefile")) < count:
            if worker.poll() is not None:
                raise RuntimeError("the Celery worker died")
            time.sleep(0.05)
        seconds = time.time() - queued["started"]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    current = _count(database, "SELECT count(*) FROM licenses_licensefile WHERE status = 'current'")
    return {"files": done, "current": current, "jobs": queued["jobs"], "seconds": seconds}


def _wait_for_worker(env: dict) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ping = subprocess.run(
            [PYTHON, "-m", "celery", "-A", "portal", "inspect", "ping", "-t", "1"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if ping.returncode == 0:
            return
    raise RuntimeError("the Celery worker did not answer within a minute")


# Each request another credential's, in turn through all of them: what many instruments fetching
# cost, where a process's copy of a credential serves only its later fetches.
ROTATE = """
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format('{"DragenSerialNo": "SN-%%07d"}', n %% %(count)d))
end
"""


def _download(env: dict, args) -> dict:
    app = serve(ROOT, env, "portal.wsgi", 8111, {})
    body = json.dumps({"DragenSerialNo": "SN-0000001"})
    json_body = {"Content-Type": "application/json"}
    targets = {
        "ping": ("GET", "/api/ping", {}, "", ""),
        "download": ("POST", "/api/licensing/premium.lic", json_body, body, ""),
        "many": ("POST", "/api/licensing/premium.lic", json_body, body, ROTATE % {"count": args.credentials}),
    }
    results: dict = {name: [] for name in targets}
    try:
        for method, path, headers, data, lua in targets.values():  # warm up, unmeasured
            wrk(
                app["url"] + path,
                method,
                {"Host": HOST, **headers},
                connections=args.connections,
                seconds=1,
                body=data,
                lua=lua,
            )
        for round_number in range(args.rounds):
            for name, (method, path, headers, data, lua) in targets.items():
                figures = wrk(
                    app["url"] + path,
                    method,
                    {"Host": HOST, **headers},
                    connections=args.connections,
                    seconds=args.seconds,
                    body=data,
                    lua=lua,
                )
                results[name].append(figures)
                print(
                    f"round {round_number + 1} {name:8} {figures['rps']:8.0f} req/s "
                    f"p50 {figures['p50']:6.2f} ms p99 {figures['p99']:6.2f} ms non-2xx {figures['errors']}",
                    file=sys.stderr,
                )
    finally:
        app["process"].send_signal(signal.SIGTERM)
        app["process"].wait(timeout=30)
    return results


def _sweep(env: dict, database: str, license_id: str, rows: int) -> dict:
    text = _count(database, "SELECT text FROM licenses_licensefilebody LIMIT 1", cast=str)
    started = time.perf_counter()
    sql = FILL % {"license": _quote(license_id), "rows": rows, "text": _quote(text)}
    subprocess.run(["psql", database, "-q", "-v", "ON_ERROR_STOP=1"], input=sql, text=True, check=True)
    fill_seconds = time.perf_counter() - started
    (first, first_rows), (second, second_rows) = shell(ROOT, env, SWEEP)
    return {
        "rows": _count(database, "SELECT count(*) FROM licenses_licensefile"),
        "fill": fill_seconds,
        "first": first,
        "first_rows": first_rows,
        "second": second,
        "second_rows": second_rows,
    }


def _count(database: str, query: str, cast=int):
    out = subprocess.run(["psql", database, "-tAc", query], check=True, capture_output=True, text=True)
    return cast(out.stdout.strip())


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _report(args, generation: dict, download: dict, sweep: dict) -> None:
    rate = generation["files"] / generation["seconds"]
    print(f"\ngenerate: {generation['files']} files in {generation['jobs']} jobs through 1 worker process")
    print(f"  {generation['seconds']:.2f} s, {rate:.0f} files/s per worker (target >= 1000)")
    print(f"  current files: {generation['current']} (one per credential)")
    ratios = [d["rps"] / c["rps"] for d, c in zip(download["download"], download["ping"], strict=True)]
    many = [d["rps"] / c["rps"] for d, c in zip(download["many"], download["ping"], strict=True)]
    med = {
        name: {f: statistics.median(r[f] for r in runs) for f in ("rps", "p50", "p99")}
        for name, runs in download.items()
    }
    print(f"download: medians of {args.rounds} rounds, {args.seconds} s each, {args.connections} connections")
    labels = {
        "ping": "GET /api/ping (ceiling)",
        "download": "premium.lic, one credential",
        "many": f"premium.lic, {args.credentials} in turn",
    }
    for name, label in labels.items():
        m = med[name]
        print(f"  {label:34}{m['rps']:8.0f} req/s  p50 {m['p50']:6.2f} ms  p99 {m['p99']:6.2f} ms")
    spread = f"rounds {min(ratios):.2f}-{max(ratios):.2f}"
    print(f"  one credential × ceiling {statistics.median(ratios):.2f} ({spread}; target >= 0.6)")
    spread = f"rounds {min(many):.2f}-{max(many):.2f}"
    print(f"  {args.credentials} credentials in turn × ceiling {statistics.median(many):.2f} ({spread})")
    if sweep:
        print(f"sweep: {sweep['rows']:,} file rows (filled in {sweep['fill']:.1f} s)")
        print(f"  first run {sweep['first']:.2f} s, {sweep['first_rows']:,} files expired (target < 10 s)")
        print(f"  second run {sweep['second']:.3f} s, {sweep['second_rows']} files (idempotent)")
    errors = sum(r["errors"] for runs in download.values() for r in runs)
    print(f"non-2xx answers: {errors}")
    if errors or generation["current"] != args.credentials:
        sys.exit(1)


if __name__ == "__main__":
    main()
