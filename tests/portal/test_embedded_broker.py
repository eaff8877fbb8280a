"""`make run`'s embedded default (SQLite, kombu's filesystem broker) keeps every file it writes
under PORTAL_VAR_DIR: nothing appears in the folder it was started from."""

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
