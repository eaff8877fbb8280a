"""License work through real Celery worker processes on Redis: generation after commit, the
periodic sweeps, a worker killed mid-generation, a broker down while credentials are added."""

import os
import signal
import time
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

import premiumlic
from licenses import keyring, services, tasks
from licenses.models import Credential, License, LicenseFile
from tests.conftest import start_worker, wait_for
from tests.helpers import mails_to, sell, serial

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
DAY = timedelta(days=1)


def current_file(credential) -> LicenseFile | None:
    return LicenseFile.objects.filter(credential=credential, status="current").first()


def test_the_worker_generates_the_first_file_only_after_the_credential_commits(celery_worker, license, by):
    with transaction.atomic():
        credential = serial(license, by, "SN-COMMIT")
        # A job sent before the commit would run now, find no credential and be gone: the file
        # would never appear (no beat runs in tests to sweep it up).
        time.sleep(1.5)
    issued_file = wait_for(lambda: current_file(credential))
    payload = keyring.current().verify(issued_file.text)
    assert payload["cred"] == premiumlic.credential_fingerprint("SN-COMMIT")
    assert payload["sources"] == ["COSMIC", "SpliceAI"]
    assert Credential.objects.get(pk=credential.pk).file_wanted_at is None


def test_changing_the_sources_gets_every_credential_a_new_file(celery_worker, license, by):
    credentials = [serial(license, by, f"SN-{n}") for n in range(3)]
    first = {c.pk: wait_for(lambda c=c: current_file(c)).pk for c in credentials}
    services.license_update(license=license, by=by, sources=["OMIM", "PromoterAI"])
    for credential in credentials:
        new = wait_for(lambda c=credential: (f := current_file(c)) and f.pk != first[c.pk] and f)
        assert keyring.current().verify(new.text)["sources"] == ["OMIM", "PromoterAI"]


def test_the_periodic_tasks_expire_refresh_and_remind_through_the_worker(
    celery_worker, mail_dir, tenant_a, license, by
):
    now = timezone.now()
    near_end = serial(license, by, "SN-NEAR")
    old_file = wait_for(lambda: current_file(near_end))
    LicenseFile.objects.filter(pk=old_file.pk).update(expires_at=now + 3 * DAY)
    ended = sell(tenant_a, by, name="ended")
    ended_credential = serial(ended, by, "SN-ENDED")
    ended_file = wait_for(lambda: current_file(ended_credential))  # its job is done: no race below
    License.objects.filter(pk=ended.pk).update(ends_at=now - DAY)
    LicenseFile.objects.filter(pk=ended_file.pk).update(expires_at=now - DAY)
    ending = sell(tenant_a, by, name="ending soon", ends_at=now + 20 * DAY)

    tasks.licenses_expire.delay()
    wait_for(lambda: License.objects.get(pk=ended.pk).state == "expired")
    assert LicenseFile.objects.get(pk=ended_file.pk).status == "expired"

    tasks.license_files_refresh.delay()
    fresh = wait_for(lambda: (f := current_file(near_end)) and f.pk != old_file.pk and f)
    assert fresh.expires_at > now + 89 * DAY

    tasks.license_reminders_send.delay()
    tasks.license_reminders_send.delay()
    wait_for(lambda: License.objects.get(pk=ending.pk).reminded_30_at)
    tasks.licenses_expire.delay()  # the worker takes tasks in order: once this ran, so had both
    ending_last = serial(ending, by, "SN-LAST")
    wait_for(lambda: current_file(ending_last))
    mails = mails_to(mail_dir, "alice@acme.test")
    assert [m["Subject"] for m in mails] == ['[Acme Genomics] License "ending soon" ends in 20 days']


@contextmanager
def row_locked(credential):
    """Hold the credential's row lock from another connection, as a long transaction would."""
    settings = connection.settings_dict
    dsn = f"host={settings['HOST']} port={settings['PORT']} user={settings['USER']} dbname={settings['NAME']}"
    with psycopg.connect(dsn) as other:
        other.execute("SELECT 1 FROM licenses_credential WHERE id = %s FOR UPDATE", [credential.pk])
        yield
        other.rollback()


def a_job_waits_for_a_credential_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE '%%licenses_credential%%' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_generation_leaves_exactly_one_current_file(own_broker, license, by, tmp_path):
    workers = {"log_dir": tmp_path, "CELERY_BROKER_URL": own_broker.url, "CELERY_VISIBILITY_TIMEOUT": "2"}
    credential = serial(license, by, "SN-KILL")  # its job waits on our broker: no worker yet
    with row_locked(credential):
        # prefork, as in production: the parent acknowledges early unless acks_late.
        doomed = start_worker(pool="prefork", **workers)
        wait_for(a_job_waits_for_a_credential_lock)  # the job is inside its transaction
        os.killpg(doomed.pid, signal.SIGKILL)  # the machine dies: parent and child at once
        doomed.wait()
    assert not LicenseFile.objects.exists()
    assert Credential.objects.get(pk=credential.pk).file_wanted_at is not None  # rolled back

    time.sleep(2.5)  # past the visibility timeout: the unacknowledged job is handed out again
    survivor = start_worker(**workers)
    try:
        wait_for(lambda: current_file(credential))
        wait_for(own_broker.idle)
        tasks.license_files_generate.delay([str(credential.pk)])  # a duplicate delivery, later
        time.sleep(0.2)
        wait_for(own_broker.idle)
    finally:
        survivor.terminate()
        survivor.wait(timeout=20)
    assert [f.status for f in LicenseFile.objects.filter(credential=credential)] == ["current"]
    assert Credential.objects.get(pk=credential.pk).file_wanted_at is None


@pytest.mark.soak  # a minute of machine time: `make soak` (make test kills a worker mid-job above)
def test_a_worker_killed_mid_batch_of_200_jobs_leaves_each_done_exactly_once(
    own_broker, license, by, tmp_path, settings
):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "credentials-tenant": ""}  # 200 at once, on purpose
    workers = {"log_dir": tmp_path, "CELERY_BROKER_URL": own_broker.url, "CELERY_VISIBILITY_TIMEOUT": "2"}
    credentials = [serial(license, by, f"SN-BATCH-{n:03}") for n in range(200)]  # 200 jobs queued
    doomed = start_worker(pool="prefork", concurrency=2, wait=False, **workers)
    wait_for(lambda: LicenseFile.objects.count() >= 20, timeout=60, interval=0.005)
    os.killpg(doomed.pid, signal.SIGKILL)  # mid-batch: parent and children at once
    doomed.wait()
    done_before = LicenseFile.objects.count()
    assert done_before < 200, "the batch finished before the kill: nothing was tested"

    time.sleep(2.5)  # past the visibility timeout: the jobs it held are handed out again
    survivor = start_worker(pool="prefork", concurrency=2, **workers)
    try:
        wait_for(own_broker.idle, timeout=60)
        # A job the worker had taken off Redis but not yet marked unacknowledged when it died is
        # gone from the broker (kombu's Redis transport has that window); its wish is not: the
        # credential still wants a file, and beat's sweep queues it again once the wish is old.
        lost = Credential.objects.filter(file_wanted_at__isnull=False)
        lost_count = lost.update(file_wanted_at=timezone.now() - timedelta(minutes=5))
        tasks.license_files_refresh.delay()  # as beat does every two minutes
        wait_for(lambda: LicenseFile.objects.filter(status="current").count() == 200, timeout=60)
        wait_for(own_broker.idle)
    finally:
        survivor.terminate()
        survivor.wait(timeout=30)
    files_per_credential = {c.pk: LicenseFile.objects.filter(credential=c).count() for c in credentials}
    assert set(files_per_credential.values()) == {1}  # every job done, none twice
    assert not Credential.objects.filter(file_wanted_at__isnull=False).exists()
    print(f"killed with {done_before} of 200 done; {lost_count} recovered by the sweep; each once")


def test_a_credential_added_while_the_broker_is_down_gets_its_file_when_it_is_back(
    own_broker, as_alice, license, tmp_path
):
    own_broker.stop()
    started = time.monotonic()
    response = as_alice.post(
        f"/api/licenses/{license.pk}/credentials",
        {"method": "dragen_serial", "serial_number": "SN-OUTAGE"},
        content_type="application/json",
    )
    assert response.status_code == 201  # committed; queueing its job failed quietly
    assert time.monotonic() - started < 5
    credential = Credential.objects.get(pk=response.json()["id"])
    assert credential.file_wanted_at is not None and current_file(credential) is None

    own_broker.start()  # empty: the job sent during the outage is gone
    worker = start_worker(log_dir=tmp_path, CELERY_BROKER_URL=own_broker.url)
    try:
        # As if the outage had lasted a while, then beat's refresh sweep came round.
        long_ago = timezone.now() - timedelta(minutes=5)
        Credential.objects.filter(pk=credential.pk).update(file_wanted_at=long_ago)
        tasks.license_files_refresh.delay()
        wait_for(lambda: current_file(credential))
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    assert LicenseFile.objects.filter(credential=credential).count() == 1
