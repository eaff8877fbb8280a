"""/metrics and the request log, in one process (multi-process: tests/portal/test_metrics_processes.py)."""

import json
import logging

import pytest
from django.db import transaction
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import make_key


def scrape(**headers) -> dict:
    response = Client(HTTP_HOST="localhost", REMOTE_ADDR=headers.pop("ip", "127.0.0.1"), **headers).get(
        "/metrics"
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def count(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_route_method_and_status(alice, tenant_a):
    key = make_key(alice, tenant_a)[1]
    before = scrape()
    client = Client(HTTP_HOST="acme.localhost", HTTP_X_API_KEY=key)
    for _ in range(3):
        assert client.get("/api/me").status_code == 200
    assert client.get(f"/api/workgroups/{alice.pk}").status_code == 404
    after = scrape()
    labels = {"route": "/api/me", "method": "GET", "status": "200"}
    assert (
        count(after, "portal_http_requests_total", **labels)
        - count(before, "portal_http_requests_total", **labels)
        == 3
    )
    timed = {"route": "/api/me"}
    assert count(after, "portal_http_request_duration_seconds_count", **timed) >= 3
    route = "/api/workgroups/<uuid:workgroup_id>"
    assert count(after, "portal_http_refusals_total", route=route, code="not_found") >= 1


def test_token_refusals_are_counted_by_reason(tenant_a):
    before = scrape()
    Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_X_API_KEY="pak_" + "A" * 38)
    after = scrape()
    labels = {"route": "/api/tokens", "code": "invalid_credentials"}
    assert (
        count(after, "portal_http_refusals_total", **labels)
        == count(before, "portal_http_refusals_total", **labels) + 1
    )


def test_the_queue_depth_is_asked_of_the_broker(tenant_a):
    assert any(name == "portal_celery_queue_depth" for name, _ in scrape())


def test_a_tenants_host_has_no_metrics(tenant_a):
    assert Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404


def test_a_stranger_is_refused_and_the_token_lets_a_scraper_in(settings, tenant_a):
    settings.PORTAL_METRICS_TOKEN = "a-scrapers-token-of-at-least-some-length"
    stranger = Client(HTTP_HOST="localhost", REMOTE_ADDR="198.51.100.7")
    assert stranger.get("/metrics").status_code == 403
    assert stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    forged = stranger.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forged.status_code == 403
    assert scrape(ip="198.51.100.7", HTTP_AUTHORIZATION=f"Bearer {settings.PORTAL_METRICS_TOKEN}")


def test_no_token_configured_lets_no_bearer_in(settings, tenant_a):
    settings.PORTAL_METRICS_TOKEN = ""
    response = Client(HTTP_HOST="localhost", REMOTE_ADDR="198.51.100.7").get(
        "/metrics", HTTP_AUTHORIZATION="Bearer "
    )
    assert response.status_code == 403


def test_every_answer_carries_a_request_id_and_keeps_a_sane_one_only_from_a_trusted_proxy(settings, tenant_a):
    settings.PORTAL_TRUSTED_PROXIES = ("10.0.0.5",)
    made = Client(HTTP_HOST="acme.localhost").get("/api/ping")["X-Request-ID"]
    assert len(made) == 32
    proxy = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="10.0.0.5")
    assert proxy.get("/api/ping", HTTP_X_REQUEST_ID="proxy-id-123")["X-Request-ID"] == "proxy-id-123"
    assert proxy.get("/api/ping", HTTP_X_REQUEST_ID="bad id\nx")["X-Request-ID"] != "bad id\nx"
    client = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="198.51.100.7")  # a client picks none
    assert client.get("/api/ping", HTTP_X_REQUEST_ID="someone-elses-id")["X-Request-ID"] != "someone-elses-id"


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_FORWARDED_FOR": "203.0.113.9"},  # nginx on this host: every visitor's peer is loopback
        {"HTTP_X_FORWARDED_FOR": "127.0.0.1"},
        {"HTTP_FORWARDED": "for=203.0.113.9"},
        {"HTTP_X_REAL_IP": "203.0.113.9"},
    ],
)
def test_a_request_through_a_proxy_needs_the_token_even_from_loopback(settings, tenant_a, headers):
    settings.PORTAL_METRICS_TOKEN = "a-scrapers-token-of-at-least-some-length"
    proxied = Client(HTTP_HOST="localhost", REMOTE_ADDR="127.0.0.1", **headers)
    assert proxied.get("/metrics").status_code == 403
    with_token = proxied.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.PORTAL_METRICS_TOKEN}")
    assert with_token.status_code == 200


def test_a_trusted_proxys_own_address_is_no_pass(settings, tenant_a):
    settings.PORTAL_TRUSTED_PROXIES = ("127.0.0.1",)
    assert Client(HTTP_HOST="localhost", REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403


def test_json_logs_say_who_did_what_and_never_a_secret(settings, alice, tenant_a, caplog):
    from core.logs import JsonFormatter

    settings.PORTAL_JSON_LOGS = True
    key = make_key(alice, tenant_a)[1]
    with caplog.at_level(logging.INFO, logger="portal.requests"):
        Client(HTTP_HOST="acme.localhost", HTTP_X_API_KEY=key).get("/api/me?secret=hunter2")
        Client(HTTP_HOST="acme.localhost").get("/accounts/password/reset/key/1-set-password/")
    lines = [
        json.loads(JsonFormatter().format(record))
        for record in caplog.records
        if record.name == "portal.requests"
    ]
    me = lines[0]
    assert (me["route"], me["status"], me["tenant"], me["user"]) == (
        "/api/me",
        200,
        "acme.localhost",
        str(alice.pk),
    )
    assert me["request_id"] and me["duration_ms"] >= 0 and me["level"] == "INFO"
    text = json.dumps(lines)
    assert key not in text and "hunter2" not in text and "set-password" not in text


@pytest.mark.parametrize("method", ["FOO", "PROPFIND"])
def test_made_up_methods_share_one_label(tenant_a, method):
    Client(HTTP_HOST="acme.localhost").generic(method, "/api/ping")
    assert not [labels for name, labels in scrape() if ("method", method) in labels]


@pytest.mark.django_db(transaction=True)  # a signed file is counted once its transaction commits
def test_premium_files_signed_served_and_refused_are_counted(alice, tenant_a):
    from licenses.services.files import license_file_issue
    from tests.helpers import actor, fetch, sell, serial

    before = scrape()
    with transaction.atomic():  # signed here before the worker's job can run: counted in this process
        credential = serial(sell(tenant_a, by=actor(alice, tenant_a)), actor(alice, tenant_a))
        assert license_file_issue(credential_id=credential.pk) is not None
    assert fetch({"DragenSerialNo": "SN-100"}).status_code == 200
    assert fetch({"DragenSerialNo": "SN-999"}).status_code == 401
    after = scrape()

    def grew(name, **labels):
        return count(after, name, **labels) - count(before, name, **labels)

    route = "/api/licensing/premium.lic"
    assert grew("portal_premium_files_issued_total") == 1
    assert grew("portal_http_requests_total", route=route, method="POST", status="200") == 1
    assert grew("portal_http_refusals_total", route=route, code="INVALID_CREDENTIALS") == 1


def test_a_process_working_without_redis_says_so(tenant_a):
    from django.core.cache import cache

    cache._failed(ConnectionError("Redis went away"))  # as a failed call marks it
    try:
        assert count(scrape(), "portal_cache_outage") == 1
    finally:
        cache.settle(force=True)
    assert count(scrape(), "portal_cache_outage") == 0
