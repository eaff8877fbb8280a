"""A tenant's allowed networks, tried the way an outsider would: pages and sign-in, identity
provider callbacks, the API, SCIM, token exchange and premium.lic, from inside and outside each
range, over IPv4 and IPv6, behind a trusted proxy and with a forged X-Forwarded-For."""

import base64
import json

import pytest
from django.test import Client

from access.services import USAGE_REFUSED
from accounts.models import Event
from apikeys.models import USAGE_TOKENS
from core import usage
from core.models import UsageCount
from tests.conftest import change_tenant
from tests.factories import PASSWORD
from tests.helpers import FETCH, VALIDATE, actor, add, make_key, sell

INSIDE, OUTSIDE = "192.0.2.7", "198.51.100.20"
LAB_V6 = "2001:db8:1:2::/64"


def guard(tenant, *areas, allowed=("192.0.2.0/24", LAB_V6)):
    change_tenant(
        tenant,
        allowed_networks=list(allowed),
        **{f"networks_for_{area}": area in areas for area in ("pages", "api", "tools")},
    )


def at(ip: str, host: str = "acme.localhost", **headers) -> Client:
    return Client(HTTP_HOST=host, REMOTE_ADDR=ip, **headers)


def signed_in(client: Client, email: str) -> bool:
    client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    return "_auth_user_id" in client.session


def test_pages_and_sign_in_work_inside_and_are_refused_outside_naming_the_rule_not_the_list(tenant_a, bob):
    guard(tenant_a, "pages")
    assert signed_in(at(INSIDE), "bob@acme.test")
    outside = at(OUTSIDE)
    refused = outside.get("/accounts/login/")
    page = refused.content.decode()
    assert refused.status_code == 403 and "tenant.pages" in page and OUTSIDE in page
    assert "192.0.2.0" not in page and "2001:db8" not in page
    assert not signed_in(outside, "bob@acme.test")
    login = Event.objects.get(tenant=tenant_a, action="login")
    assert (login.ip, login.actor_email, login.data) == (
        INSIDE,
        "bob@acme.test",
        {"method": "password", "application": "browser"},
    )
    refusal = Event.objects.get(tenant=tenant_a, action="access.refused")
    assert (refusal.ip, refusal.data["rule"], refusal.data["request"]) == (
        OUTSIDE,
        "tenant.pages",
        "POST /accounts/login/",
    )


@pytest.mark.parametrize(
    "path", ["/accounts/oidc/acme-oidc/login/callback/", "/accounts/saml/acme/acs/", "/apikeys/"]
)
def test_identity_provider_callbacks_and_every_page_are_guarded_too(tenant_a, path):
    guard(tenant_a, "pages")
    assert at(OUTSIDE).get(path).status_code == 403
    assert at(INSIDE).get(path).status_code != 403


def test_a_session_made_inside_stops_working_outside(tenant_a, bob):
    guard(tenant_a, "pages")
    client = at(INSIDE)
    assert signed_in(client, "bob@acme.test")
    client.defaults["REMOTE_ADDR"] = OUTSIDE  # the laptop leaves the lab
    assert client.get("/apikeys/").status_code == 403


def test_the_api_scim_and_portal_login_are_refused_outside_with_a_problem(tenant_a, bob):
    guard(tenant_a, "api")
    _, key = make_key(bob, tenant_a)
    for path in ["/api/tokens", "/scim/v2/Users", "/api/cli/token", "/api/sign-in"]:
        refused = (
            at(OUTSIDE, HTTP_X_API_KEY=key).post(path) if path == "/api/tokens" else at(OUTSIDE).get(path)
        )
        assert refused.status_code == 403, path
        assert refused["Content-Type"] == "application/problem+json"
        assert (refused.json()["code"], refused.json()["rule"]) == ("network_refused", "tenant.api")
    token = at(INSIDE, HTTP_X_API_KEY=key).post("/api/tokens").json()["token"]
    assert at(INSIDE, HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/me").status_code == 200
    assert at(OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/me").status_code == 403
    assert at(OUTSIDE).get("/accounts/login/").status_code == 200  # pages are not guarded here


def test_an_area_left_off_stays_open_to_everyone(tenant_a, bob):
    guard(tenant_a, "pages", "tools")
    _, key = make_key(bob, tenant_a)
    assert at(OUTSIDE, HTTP_X_API_KEY=key).post("/api/tokens").status_code == 200


def test_premium_lic_is_refused_outside_in_the_tools_own_words(tenant_a, bob):
    guard(tenant_a, "tools")
    _, key = make_key(bob, tenant_a)
    body = json.dumps({"MyIlluminaApiKey": key})
    refused = at(OUTSIDE).post(FETCH, body, content_type="application/json")
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        403,
        "NETWORK_REFUSED",
        "tenant.tools",
    )
    inside = at(INSIDE).post(FETCH, body, content_type="application/json")
    assert inside.json()["code"] == "NO_PREMIUM_ENTITLEMENT"  # got as far as the credential
    assert at(OUTSIDE).get("/api/me").status_code == 401  # the API is not guarded here


def test_an_ipv6_range_holds_its_whole_64_and_nothing_next_to_it(tenant_a, bob):
    guard(tenant_a, "pages")
    assert at("2001:db8:1:2:ffff:ffff:ffff:1").get("/accounts/login/").status_code == 200
    assert at("2001:db8:1:3::1").get("/accounts/login/").status_code == 403
    assert at("::ffff:192.0.2.9").get("/accounts/login/").status_code == 200  # IPv4 over an IPv6 socket


def test_behind_a_trusted_proxy_its_client_counts_and_a_forged_header_never_does(settings, tenant_a):
    settings.PORTAL_TRUSTED_PROXIES = ("10.0.0.0/8",)
    guard(tenant_a, "pages")
    proxy = "10.1.1.1"
    assert at(proxy, HTTP_X_FORWARDED_FOR=INSIDE).get("/accounts/login/").status_code == 200
    assert at(proxy, HTTP_X_FORWARDED_FOR=OUTSIDE).get("/accounts/login/").status_code == 403
    # the client wrote the left entry itself; our proxy appended the address it saw
    assert at(proxy, HTTP_X_FORWARDED_FOR=f"{INSIDE}, {OUTSIDE}").get("/accounts/login/").status_code == 403
    assert (
        at(OUTSIDE, HTTP_X_FORWARDED_FOR=INSIDE).get("/accounts/login/").status_code == 403
    )  # not our proxy
    assert at(proxy).get("/accounts/login/").status_code == 403  # the proxy itself is not inside


def test_on_an_operator_host_the_credentials_tenant_is_guarded(settings, tenant_a, bob):
    guard(tenant_a, "api")
    _, key = make_key(bob, tenant_a)
    refused = at(OUTSIDE, host="localhost", HTTP_X_API_KEY=key).post("/api/tokens")
    assert (refused.status_code, refused.json()["rule"]) == (403, "tenant.api")
    token = at(INSIDE, host="localhost", HTTP_X_API_KEY=key).post("/api/tokens").json()["token"]
    assert (
        at(INSIDE, host="localhost", HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/me").status_code == 200
    )
    assert (
        at(OUTSIDE, host="localhost", HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/me").status_code == 403
    )
    basic = base64.b64encode(f"bob@acme.test:{PASSWORD}".encode()).decode()
    by_password = at(OUTSIDE, host="localhost", HTTP_AUTHORIZATION=f"Basic {basic}").post(
        "/api/tokens?tenant=acme.localhost"
    )
    assert (by_password.status_code, by_password.json()["rule"]) == (403, "tenant.api")
    wrong = base64.b64encode(b"bob@acme.test:wrong-password").decode()
    guessed = at(OUTSIDE, host="localhost", HTTP_AUTHORIZATION=f"Basic {wrong}").post(
        "/api/tokens?tenant=acme.localhost"
    )
    # refused before the password is looked at: a right and a wrong one answer alike from outside,
    # so nobody outside can test passwords through the operator host (the review's finding)
    assert (guessed.status_code, guessed.json()["rule"]) == (403, "tenant.api")
    assert not Event.objects.filter(action="login").exists()


def test_another_tenants_rules_never_apply_here(tenant_a, tenant_b, bob):
    guard(tenant_b, "pages", "api", "tools")
    _, key = make_key(bob, tenant_a)
    assert at(OUTSIDE).get("/accounts/login/").status_code == 200
    assert at(OUTSIDE, HTTP_X_API_KEY=key).post("/api/tokens").status_code == 200
    assert at(OUTSIDE, host="globex.localhost").get("/accounts/login/").status_code == 403


def test_refusals_are_counted_and_only_so_many_written_to_the_log(settings, tenant_a):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "refused-events": "3/m"}
    guard(tenant_a, "pages")
    for _ in range(6):
        assert (
            at(OUTSIDE).post("/accounts/login/", {"login": "x@acme.test", "password": "x"}).status_code == 403
        )
    at(OUTSIDE).get("/")  # a look, not an attempt: counted, not logged
    assert Event.objects.filter(tenant=tenant_a, action="access.refused").count() == 3
    assert usage.total(USAGE_REFUSED, tenant_a.pk, since=Event.objects.first().created_at.date()) == 7


def test_probes_assets_and_published_keys_are_never_guarded(tenant_a):
    guard(tenant_a, "pages", "api", "tools")
    for path in ["/healthz", "/.well-known/jwks.json", "/.well-known/premium-license-keys.json"]:
        assert at(OUTSIDE).get(path).status_code == 200, path


def test_a_nul_in_a_refused_path_is_a_403_not_a_500(tenant_a):
    guard(tenant_a, "pages")
    refused = at(OUTSIDE).post("/accounts/login/%00")
    assert refused.status_code == 403
    assert Event.objects.get(action="access.refused").data["request"] == "POST /accounts/login/"


def test_an_ipv6_zone_behind_a_proxy_is_dropped_and_breaks_no_count(settings, tenant_a, bob):
    settings.PORTAL_TRUSTED_PROXIES = ("10.0.0.0/8",)
    _, key = make_key(bob, tenant_a)
    zoned = "2001:db8::1%" + "a" * 60
    assert (
        at("10.1.1.1", HTTP_X_FORWARDED_FOR=zoned, HTTP_X_API_KEY=key).post("/api/tokens").status_code == 200
    )
    assert (
        at("10.1.1.1", HTTP_X_FORWARDED_FOR="192.0.2.9", HTTP_X_API_KEY=key).post("/api/tokens").status_code
        == 200
    )
    addresses = set(UsageCount.objects.filter(kind=USAGE_TOKENS).values_list("detail", flat=True))
    assert addresses == {"2001:db8::1", "192.0.2.9"}


def test_validating_on_an_operator_host_meets_the_files_tenants_tools_rule(tenant_a, alice):
    license = sell(tenant_a, actor(alice, tenant_a))
    add(license, actor(alice, tenant_a), "dragen_serial", serial_number="SN-NET-1")
    text = at(INSIDE).post(FETCH, json.dumps({"DragenSerialNo": "SN-NET-1"}), content_type="application/json")
    guard(tenant_a, "tools")
    for host in ["localhost", "acme.localhost"]:
        refused = at(OUTSIDE, host=host).post(VALIDATE, text.content, content_type="text/plain")
        assert (refused.status_code, refused.json()["code"]) == (403, "NETWORK_REFUSED"), host
    assert (
        at(INSIDE, host="localhost").post(VALIDATE, text.content, content_type="text/plain").json()["valid"]
    )
