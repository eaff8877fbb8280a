#!/usr/bin/env python
"""The signed revocation list with 100,000 revoked files (the README says what each part measures).

`build`: `revocations_publish` on PostgreSQL, as the Celery job runs it (select the ids, sign,
store, prune); its baseline in the same rounds (alternating) is the floor of that work, the same
ids already in memory, only made into a payload and signed. `verify`: `portal license verify
--revocations LIST` as its own process, against the same command without a list (rounds
alternating, each in a home of its own so the kept list cannot leak into the other), and the
list's check alone (parse, signature, ids, lookup) in one process.

    .venv/bin/python benchmarks/revocations.py [--files 100000] [--rounds 5]
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from harness import PYTHON, recreate_database, shell

ROOT = Path(__file__).resolve().parent.parent

SETUP = """
import json, time, uuid
from django.db import connection
from django.utils import timezone
from datetime import timedelta
import premiumlic
from accounts.models import Tenant
from accounts.services import Actor
from licenses import keyring, services
tenant = Tenant.objects.create(domain="bench.localhost", name="Bench", slug="bench")
now = timezone.now()
license = services.license_create(tenant=tenant, by=Actor.system_actor(), name="bench",
    sources=["COSMIC"], starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=365))
with connection.cursor() as cursor:
    cursor.execute(
        "INSERT INTO licenses_revokedfile (file_id, license_id, until, revoked_at) SELECT "
        "gen_random_uuid(), %s, now() + interval '30 days', now() - interval '1 hour' "
        "FROM generate_series(1, FILES)", [license.pk])
    cursor.execute("ANALYZE licenses_revokedfile")
stamp = int(time.time())
body = premiumlic.payload(file_id=str(uuid.uuid4()), license_id=str(license.pk), tenant_id=str(tenant.pk),
    tenant_domain=tenant.domain, method="dragen_serial", credential="SN-BENCH", sources=["COSMIC"],
    issued_at=stamp - 60, license_ends_at=stamp + 30 * 86400, seq=1)
current = keyring.current()
public = next(iter(current.verifying.values()))
pem = public.public_bytes(premiumlic.serialization.Encoding.PEM,
    premiumlic.serialization.PublicFormat.SubjectPublicKeyInfo).decode()
print(json.dumps({"file": current.sign(body), "pem": pem}))
"""

BUILD = """
import json, time
from licenses.services import revocations_publish
started = time.perf_counter()
row = revocations_publish()
seconds = time.perf_counter() - started
open(OUT, "w").write(row.text)
print(json.dumps({"seconds": seconds, "bytes": len(row.text), "seq": row.seq}))
"""

FLOOR = """
import json, time
import premiumcrl
from licenses import keyring
from licenses.models import RevokedFile
ids = [str(pk) for pk in RevokedFile.objects.values_list("file_id", flat=True)]
key = keyring.current()
started = time.perf_counter()
body = premiumcrl.payload(seq=1, issued_at=0, next_at=86400, fids=ids, lids=[])
key.sign_revocations(body)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""

CHECK = """
import json, sys, time
import premiumcrl, premiumlic
keys = {premiumlic.thumbprint(k): k for k in [premiumlic.public_key_from_pem(open(sys.argv[2], "rb").read())]}
text, file = open(sys.argv[1]).read(), premiumlic.verify(open(sys.argv[3]).read(), keys)
started = time.perf_counter()
premiumcrl.revoked(premiumcrl.verify(text, keys), file)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="portal-revocations-"))
    env = {**os.environ, "DATABASE_URL": recreate_database("portal_bench_revocations"),
           "PORTAL_VAR_DIR": str(work), "DEBUG": "0", "LOG_LEVEL": "WARNING"}  # fmt: skip
    env.pop("REDIS_URL", None)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    made = shell(ROOT, env, SETUP.replace("FILES", str(args.files)))
    (work / "premium.lic").write_text(made["file"])
    (work / "public.pem").write_text(made["pem"])
    listed = work / "list.crl"
    results: dict[str, list[float]] = {name: [] for name in ("build", "floor", "list", "plain", "check")}
    for round_number in range(args.rounds):
        build = shell(ROOT, env, BUILD.replace("OUT", repr(str(listed))))
        results["build"].append(build["seconds"])
        results["floor"].append(shell(ROOT, env, FLOOR)["seconds"])
        results["list"].append(_cli(work, "list", "--revocations", str(listed)))
        results["plain"].append(_cli(work, "plain"))
        command = [PYTHON, "-c", CHECK, str(listed), str(work / "public.pem"), str(work / "premium.lic")]
        check = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
        results["check"].append(json.loads(check.stdout)["seconds"])
        figures = ", ".join(f"{name} {runs[-1] * 1000:.0f} ms" for name, runs in results.items())
        print(f"round {round_number + 1}: {figures}")
    print(f"{args.files:,} revoked files; list {build['bytes'] / 1e6:.1f} MB (seq {build['seq']})")
    for name, label in (("build", "build (publish)"), ("floor", "floor (payload + sign)"),
                        ("list", "CLI verify --revocations"), ("plain", "CLI verify, no list"),
                        ("check", "list check in-process")):  # fmt: skip
        runs = results[name]
        low, high = min(runs) * 1000, max(runs) * 1000
        print(f"{label:26} {statistics.median(runs) * 1000:7.0f} ms ({low:.0f}-{high:.0f})")
    for ours, base in (("build", "floor"), ("list", "plain")):
        ratios = [o / b for o, b in zip(results[ours], results[base], strict=True)]
        print(f"{ours} / {base}: {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})")


def _cli(work: Path, home: str, *flags: str) -> float:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DJANGO_"))}
    environment["HOME"] = str(work / home)
    command = [PYTHON, "-m", "portal_cli", "license", "verify", str(work / "premium.lic"),
               "--public-key", str(work / "public.pem"), *flags]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=environment, check=True, capture_output=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
