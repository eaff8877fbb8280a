"""Reports made by the real Celery worker from what was done through real requests: sign-ins
(good, failed, refused), key exchanges and calls, workgroup changes and premium.lic downloads;
only tenant admins, only the tenant's own rows, emailed to members or the tenant's domains."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Event, User
from reports.models import Report
from reports.services import report_path, reports_sweep
from tests.conftest import change_tenant, wait_for
from tests.factories import PASSWORD
from tests.helpers import FETCH, actor, add, mails_to, make_key, sell

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
INSIDE, OUTSIDE = "192.0.2.7", "198.51.100.9"


def at(ip: str = INSIDE, host: str = "acme.localhost", **headers) -> Client:
    return Client(HTTP_HOST=host, REMOTE_ADDR=ip, **headers)


def api_of(user, tenant) -> Client:
    _, key = make_key(user, tenant, name=f"reports of {user.email}")
    token = at(host=tenant.domain, HTTP_X_API_KEY=key).post("/api/tokens").json()["token"]
    return at(host=tenant.domain, HTTP_AUTHORIZATION=f"Bearer {token}")


def made(api: Client, kind: str, **body) -> list[dict]:
    today = timezone.now().date().isoformat()
    asked = api.post(
        "/api/reports",
        {"kind": kind, "starts_on": today, "ends_on": today, **body},
        content_type="application/json",
    )
    assert asked.status_code == 202, asked.content
    report = wait_for(
        lambda: (r := api.get(f"/api/reports/{asked.json()['id']}").json())["status"] == "done" and r
    )
    assert report["percent"] == 100
    download = api.get(f"/api/reports/{report['id']}/download", HTTP_ACCEPT="text/csv")
    assert download.status_code == 200 and download["Content-Type"] == "text/csv"
    return list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))


def test_the_login_report_holds_every_sign_in_exchange_failure_and_refusal_done(
    celery_worker, tenant_a, tenant_b, alice, bob, charlie
):
    admin = api_of(alice, tenant_a)  # one exchange by alice, from inside
    at().post("/accounts/login/", {"login": "bob@acme.test", "password": PASSWORD})
    at(OUTSIDE).post("/accounts/login/", {"login": "bob@acme.test", "password": "not-his"})
    _, key = make_key(bob, tenant_a, name="nightly")
    for _ in range(2):
        assert at(HTTP_X_API_KEY=key).post("/api/tokens").status_code == 200
    assert at("203.0.113.5", HTTP_X_API_KEY=key[:-1] + "x").post("/api/tokens").status_code == 401
    at(host="globex.localhost").post(
        "/accounts/login/", {"login": "charlie@globex.test", "password": PASSWORD}
    )
    change_tenant(tenant_a, allowed_networks=["192.0.2.0/24"], networks_for_pages=True)
    assert at(OUTSIDE).post("/accounts/login/", {"login": "x@acme.test"}).status_code == 403

    rows = made(admin, "logins")
    seen = {(r["category"], r["address"], r["email"], r["event"], r["count"]) for r in rows}
    assert ("sign-in", INSIDE, "bob@acme.test", "login", "1") in seen
    assert ("failed sign-in", OUTSIDE, "bob@acme.test", "login.failed", "1") in seen
    assert ("failed key exchange", "203.0.113.5", "", "apikey.exchange_failed", "1") in seen
    assert ("refused", OUTSIDE, "", "access.refused", "1") in seen
    assert ("key exchange", INSIDE, "bob@acme.test", "apikey.exchange", "2") in seen
    assert not any("globex" in value for row in rows for value in row.values())
    refused = next(r for r in rows if r["event"] == "access.refused")
    assert (refused["application"], refused["detail"]) == ("tenant.pages", "POST /accounts/login/")


def test_usage_key_workgroup_and_license_reports_count_what_was_done(celery_worker, tenant_a, alice, bob):
    admin = api_of(alice, tenant_a)
    at().post("/accounts/login/", {"login": "bob@acme.test", "password": PASSWORD})
    _, key = make_key(bob, tenant_a, name="nightly")
    token = at(HTTP_X_API_KEY=key).post("/api/tokens").json()["token"]
    assert at(HTTP_X_API_KEY=key).post("/api/tokens").status_code == 200
    for _ in range(3):
        assert at(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/me").status_code == 200
    group = admin.post("/api/workgroups", {"name": "Sequencing"}, content_type="application/json").json()
    admin.post(
        f"/api/workgroups/{group['id']}/members",
        {"user_id": str(bob.pk), "role": "member"},
        content_type="application/json",
    )
    license = sell(tenant_a, actor(alice, tenant_a), name="NovaSeq X")
    add(license, actor(alice, tenant_a), "dragen_serial", serial_number="SN-REPORT")
    for address in (INSIDE, "192.0.2.8"):
        fetched = at(address).post(
            FETCH, json.dumps({"DragenSerialNo": "SN-REPORT"}), content_type="application/json"
        )
        assert fetched.status_code == 200
    checked = at().post("/api/licensing/validate", fetched.content, content_type="text/plain")
    assert checked.json()["valid"] is True

    usage = {r["email"]: r for r in made(admin, "usage")}
    assert (
        usage["bob@acme.test"]["sign_ins"],
        usage["bob@acme.test"]["key_exchanges"],
        usage["bob@acme.test"]["api_calls"],
    ) == ("1", "2", "3")
    assert usage["alice@acme.test"]["role"] == "admin" and usage["bob@acme.test"]["last_sign_in"]
    keys = {r["key"]: r for r in made(admin, "apikeys")}
    assert (keys["nightly"]["owner"], keys["nightly"]["exchanges"], keys["nightly"]["calls"]) == (
        "bob@acme.test",
        "2",
        "3",
    )
    activity = made(admin, "workgroups")
    assert [(r["workgroup"], r["action"]) for r in activity] == [
        ("Sequencing", "workgroup.create"),
        ("Sequencing", "workgroup.member_add"),
    ]
    assert all(r["actor"] == "alice@acme.test" for r in activity)
    fetched = made(admin, "licenses")
    assert [
        (r["license"], r["credential"], r["fetches"], r["validations"], r["addresses"]) for r in fetched
    ] == [("NovaSeq X", "SN-REPORT", "2", "1", "2")]


def test_a_cell_a_spreadsheet_would_run_stays_text(celery_worker, tenant_a, alice):
    User.objects.filter(pk=alice.pk).update(full_name='=HYPERLINK("http://evil.test","x")')
    rows = made(api_of(alice, tenant_a), "usage")
    assert rows[0]["name"] == '\'=HYPERLINK("http://evil.test","x")'


def test_only_tenant_admins_ask_and_only_their_tenants_reports_are_there(
    celery_worker, tenant_a, tenant_b, alice, bob, charlie
):
    admin = api_of(alice, tenant_a)
    today = timezone.now().date().isoformat()
    body = {"kind": "usage", "starts_on": today, "ends_on": today}
    assert (
        api_of(bob, tenant_a).post("/api/reports", body, content_type="application/json").status_code == 403
    )
    report_id = admin.post("/api/reports", body, content_type="application/json").json()["id"]
    wait_for(lambda: Report.objects.get(pk=report_id).status == "done")
    other = api_of(charlie, tenant_b)
    assert other.get(f"/api/reports/{report_id}").status_code == 404
    assert other.get(f"/api/reports/{report_id}/download").status_code == 404
    assert other.get("/api/reports").json()["count"] == 0
    page = Client(HTTP_HOST="acme.localhost")
    page.force_login(bob)
    from tests.conftest import bind_session

    bind_session(page, "acme.localhost")
    assert page.get("/reports/").status_code == 403
    assert page.get(f"/reports/{report_id}/download").status_code == 403


@pytest.mark.parametrize(
    ("days_back", "length", "code"),
    [(90, 1, "invalid_range"), (0, 2, "invalid_range"), (5, -1, "invalid_range")],
)
def test_a_range_outside_the_last_90_days_is_refused(tenant_a, alice, days_back, length, code):
    start = timezone.now().date() - timedelta(days=days_back)
    end = start + timedelta(days=length)
    body = {"kind": "logins", "starts_on": start.isoformat(), "ends_on": end.isoformat()}
    refused = api_of(alice, tenant_a).post("/api/reports", body, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (400, code)


def test_it_is_emailed_to_members_and_the_tenants_domains_only(celery_worker, mail_dir, tenant_a, alice, bob):
    change_tenant(tenant_a, allowed_email_domains=["security.acme.test"])
    admin = api_of(alice, tenant_a)
    today = timezone.now().date().isoformat()
    body = {"kind": "logins", "starts_on": today, "ends_on": today}
    stranger = admin.post(
        "/api/reports", {**body, "recipients": ["soc@evil.test"]}, content_type="application/json"
    )
    assert (stranger.status_code, stranger.json()["code"]) == (400, "invalid_recipients")
    sent = admin.post(
        "/api/reports",
        {**body, "recipients": ["bob@acme.test", "soc@security.acme.test"]},
        content_type="application/json",
    )
    assert sent.status_code == 202
    for address in ["bob@acme.test", "soc@security.acme.test"]:
        message = wait_for(lambda a=address: mails_to(mail_dir, a))[-1]
        attachment = next(part for part in message.walk() if part.get_filename())
        assert attachment.get_filename().endswith(".csv") and attachment.get_payload(decode=True).startswith(
            b"time,category"
        )


def test_the_sweep_ends_old_reports_and_requeues_lost_ones(celery_worker, tenant_a, alice):
    admin = api_of(alice, tenant_a)
    today = timezone.now().date().isoformat()
    report_id = admin.post(
        "/api/reports",
        {"kind": "usage", "starts_on": today, "ends_on": today},
        content_type="application/json",
    ).json()["id"]
    report = wait_for(lambda: Report.objects.filter(pk=report_id, status="done").first())
    assert report_path(report).exists()
    Report.objects.filter(pk=report_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    days = {"starts_on": report.starts_on, "ends_on": report.ends_on}
    ago = timezone.now() - timedelta(minutes=10)
    lost = Report.objects.create(tenant=tenant_a, kind="usage", created_at=ago, **days)
    assert reports_sweep() == {"requeued": 1, "expired": 1}
    assert not report_path(report).exists()
    assert admin.get(f"/api/reports/{report_id}/download").status_code == 404
    wait_for(lambda: Report.objects.get(pk=lost.pk).status == "done")


def test_events_older_than_the_kept_days_are_swept(tenant_a, alice):
    from accounts.services import events_prune

    old = Event.objects.create(
        tenant=tenant_a, action="login", created_at=timezone.now() - timedelta(days=401)
    )
    kept = Event.objects.create(
        tenant=tenant_a, action="login", created_at=timezone.now() - timedelta(days=399)
    )
    assert events_prune(keep_days=400, batch=1) == 1
    assert list(Event.objects.filter(pk__in=[old.pk, kept.pk])) == [kept]


def test_the_page_asks_for_a_report_shows_its_progress_and_offers_the_file(celery_worker, tenant_a, alice):
    page = Client(HTTP_HOST="acme.localhost")
    page.post("/accounts/login/", {"login": "alice@acme.test", "password": PASSWORD})
    today = timezone.now().date().isoformat()
    asked = page.post("/reports/", {"kind": "logins", "starts_on": today, "ends_on": today, "recipients": ""})
    assert asked.status_code == 302
    first = page.get("/reports/").content.decode()
    assert "<progress" in first or "Download CSV" in first
    report = wait_for(lambda: Report.objects.filter(tenant=tenant_a, status="done").first())
    shown = page.get("/reports/").content.decode()
    assert "Download CSV" in shown and 'http-equiv="refresh"' not in shown
    download = page.get(f"/reports/{report.pk}/download")
    assert b"".join(download.streaming_content).startswith(b"time,category,address")
    assert (
        page.post("/reports/", {"kind": "logins", "starts_on": "2000-01-01", "ends_on": today}).status_code
        == 400
    )
