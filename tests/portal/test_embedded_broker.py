"""`make run`'s embedded default (SQLite, kombu's filesystem broker) keeps every file it writes
under PORTAL_VAR_DIR: nothing appears in the folder it was started from; and the tools get their
premium.lic from it."""

import os
import subprocess
import sys

from tests.conftest import ROOT

SEND = "from portal.celery import app; app.send_task('licenses.tasks.licenses_expire')"


def test_a_task_sent_on_the_embedded_broker_writes_only_under_the_var_folder(tmp_path):
    started_in, var = tmp_path / "cwd", tmp_path / "var"
    started_in.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env |= {"PORTAL_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)}
    code = f"import django; django.setup(); {SEND}"
    subprocess.run([sys.executable, "-c", code], cwd=started_in, env=env, check=True, timeout=60)
    assert list(started_in.iterdir()) == []
    assert list((var / "celery-broker" / "control").glob("*.exchange"))
    assert list((var / "celery-broker").glob("*.msg"))


# A tool's download on the embedded default: the credential lookup's raw query binds the tenant's
# id as SQLite stores it (an attacker review found every download a 500 there).
DOWNLOAD = """
import json
from datetime import timedelta
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from django.utils import timezone
from accounts.models import Tenant
from accounts.services import Actor
from licenses import services
tenant = Tenant.objects.create(domain="lab.localhost", name="Lab", slug="lab")
now = timezone.now()
license = services.license_create(tenant=tenant, by=Actor.system_actor(), name="core", sources=["COSMIC"],
                                  starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30))
by = Actor.system_actor()
services.credential_add(license=license, by=by, method="dragen_serial", serial_number="SN-1")
answer = Client(HTTP_HOST="lab.localhost").post(
    "/api/licensing/premium.lic", json.dumps({"DragenSerialNo": "SN-1"}), content_type="application/json")
print(answer.status_code, answer.content[:40])
"""


def test_a_tool_downloads_its_premium_lic_on_the_embedded_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env |= {
        "PORTAL_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-c", DOWNLOAD]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("200 b'-----BEGIN PREMIUM LICENSE"), done.stdout + done.stderr[-3000:]
