#!/usr/bin/env python
"""The login report over a tenant's last 90 days: 1,000,000 events (sign-ins, failures, refusals,
spread over the last 89 days so every one is in it), written to CSV as the Celery task does
(`reports.services.report_build`, email aside), in a process of its own so its peak RSS is the
report's. The baseline, in the same rounds (alternating): PostgreSQL itself writing the same
events as CSV (`COPY (SELECT …) TO STDOUT` through psql to /dev/null). A 9-day report (~100,000
events) beside the 90-day one shows whether memory grows with the rows.

    .venv/bin/python benchmarks/reports.py [--events 1000000] [--rounds 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from harness import PG, PYTHON, recreate_database, shell

ROOT = Path(__file__).resolve().parent.parent

SETUP = """
import json
from django.db import connection
from accounts.models import Tenant
tenant = Tenant.objects.create(domain="bench.localhost", name="Bench", slug="bench")
with connection.cursor() as cursor:
    cursor.execute(
        "INSERT INTO accounts_event (id, tenant_id, actor_email, action, target_type, target_id, "
        "target_label, data, ip, created_at) SELECT gen_random_uuid(), %s, 'user' || (n %% 500) || "
        "'@bench.test', (ARRAY['login', 'login.failed', 'access.refused', 'apikey.exchange_failed'])"
        "[n %% 4 + 1], '', '', '', '{\\"application\\": \\"browser\\", \\"method\\": \\"password\\"}', "
        "('192.0.2.' || (n %% 250))::inet, now() - (n::bigint * 7689600 / %s) * interval '1 second' "
        "FROM generate_series(1, %s) AS n", [tenant.pk, EVENTS, EVENTS])
    cursor.execute("ANALYZE accounts_event")
print(json.dumps({"tenant": str(tenant.pk)}))
"""

BUILD = """
import json, resource, time
from datetime import timedelta
from django.utils import timezone
from accounts.models import Tenant
from reports.models import Report
from reports import services
tenant = Tenant.objects.get(pk=TENANT)
today = timezone.now().date()
first = today - timedelta(days=DAYS - 1)
report = Report.objects.create(tenant=tenant, kind="logins", starts_on=first, ends_on=today)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Django, imported and connected
started = time.perf_counter()
services._write(report)
seconds = time.perf_counter() - started
report.refresh_from_db()
print(json.dumps({"seconds": seconds, "rows": report.rows_done, "bytes": report.size, "rss_before_mb": before,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="portal-reports-"))
    database = recreate_database("portal_bench_reports")
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "PORTAL_VAR_DIR": str(work),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)  # the report needs no cache
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    tenant = shell(ROOT, env, SETUP.replace("EVENTS", str(args.events)))["tenant"]
    print(f"{args.events:,} events written in {time.perf_counter() - started:.0f} s")
    results: dict[str, list] = {"report 90 days": [], "report 9 days": [], "COPY 90 days": []}
    for round_number in range(args.rounds):
        for name in results:
            figures = (
                _copy(env, tenant) if name.startswith("COPY") else _build(env, tenant, int(name.split()[1]))
            )
            results[name].append(figures)
            print(f"round {round_number + 1} {name:15} {json.dumps(figures)}")
    _report(results)


def _build(env: dict, tenant: str, days: int) -> dict:
    code = BUILD.replace("TENANT", repr(tenant)).replace("DAYS", str(days))
    return shell(ROOT, env, code)


def _copy(env: dict, tenant: str) -> dict:
    query = (
        "SELECT created_at, action, ip, actor_email, data FROM accounts_event WHERE tenant_id = "  # noqa: S608
        f"'{tenant}' AND created_at >= now() - interval '90 days' ORDER BY created_at"  # (our own UUID)
    )
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(["psql", f"{PG}/portal_bench_reports", "-c", f"COPY ({query}) TO STDOUT WITH CSV"],
                       stdout=sink, check=True)  # fmt: skip
    return {"seconds": time.perf_counter() - started}


def _report(results: dict) -> None:
    ours, base = results["report 90 days"], results["COPY 90 days"]
    ratios = [o["seconds"] / b["seconds"] for o, b in zip(ours, base, strict=True)]
    for name in ("report 90 days", "report 9 days"):
        runs = results[name]
        seconds, rss = [r["seconds"] for r in runs], [r["peak_rss_mb"] for r in runs]
        before = statistics.median(r["rss_before_mb"] for r in runs)
        print(f"{name}: {runs[0]['rows']:,} rows, {runs[0]['bytes'] / 1e6:.0f} MB; "
              f"{statistics.median(seconds):.1f} s ({min(seconds):.1f}-{max(seconds):.1f}); "
              f"peak RSS {statistics.median(rss):.0f} MB ({min(rss):.0f}-{max(rss):.0f}), "
              f"{before:.0f} MB before the report")  # fmt: skip
    copy = [b["seconds"] for b in base]
    print(f"COPY 90 days: {statistics.median(copy):.1f} s ({min(copy):.1f}-{max(copy):.1f})")
    print(f"report / COPY: {statistics.median(ratios):.1f}x ({min(ratios):.1f}-{max(ratios):.1f})")


if __name__ == "__main__":
    main()
