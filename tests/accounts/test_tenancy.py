import pytest
from django.core.management import CommandError, call_command

from accounts.health import redis_version_ok
from accounts.models import Event, Membership, Role, Tenant
from tests.conftest import change_tenant, client_for
from tests.helpers import make_key, token


def test_it_answers_an_unknown_host_with_a_plain_404_naming_no_tenant(tenant_a):
    response = client_for("nobody.localhost").get("/accounts/login/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Acme" not in body and "acme" not in body
    assert "<nav" not in body


def test_it_treats_a_deactivated_tenant_as_unknown(tenant_a):
    change_tenant(tenant_a, is_active=False)
    assert client_for("acme.localhost").get("/accounts/login/").status_code == 404


def test_it_shows_the_tenants_name_on_its_login_page(tenant_a, tenant_b):
    body = client_for("acme.localhost:8000").get("/accounts/login/").content.decode()
    assert "Acme Genomics" in body
    assert "Globex" not in body


def test_it_sends_anonymous_visitors_to_login(tenant_a):
    response = client_for("acme.localhost").get("/workgroups/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_shows_a_non_member_a_not_a_member_page(alice, charlie):
    response = client_for("acme.localhost", charlie).get("/workgroups/")
    assert response.status_code == 403
    assert "not a member of Acme Genomics" in response.content.decode()


def test_it_lets_a_non_member_join_an_open_tenant(alice, charlie):
    client = client_for("acme.localhost", charlie)
    assert client.post("/join").status_code == 302
    assert Membership.objects.get(tenant__slug="acme", user=charlie).role == Role.MEMBER


def test_it_refuses_self_join_at_an_invite_only_tenant(tenant_a, alice, charlie):
    change_tenant(tenant_a, signup_mode=Tenant.SignupMode.INVITE_ONLY)
    response = client_for("acme.localhost", charlie).post("/join")
    assert response.status_code == 403
    assert "by invitation only" in response.content.decode()
    assert not Membership.objects.filter(tenant=tenant_a, user=charlie).exists()


def test_it_tells_a_deactivated_member_so(bob, tenant_a):
    Membership.objects.filter(user=bob).update(is_active=False)
    client = client_for("acme.localhost", bob)
    response = client.get("/", follow=True)  # signed out at once, and told why on the login page
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "Your membership of Acme Genomics is deactivated" in response.content.decode()


def test_it_keeps_session_cookies_host_only(alice, settings):
    client = client_for("acme.localhost")
    response = client.post(
        "/accounts/login/", {"login": "alice@acme.test", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["domain"] == ""
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_healthz_answers_on_any_host_when_database_and_redis_answer(db):
    response = client_for("127.0.0.1").get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_healthz_names_redis_when_it_does_not_answer(db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client_for("127.0.0.1").get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["redis"]


@pytest.mark.parametrize(
    ("version", "ok"),
    [("6.2.14", False), ("6.9.9", False), ("7.0.0", True), ("7.0.15", True), ("8.2.1", True)],
)
def test_healthz_wants_a_redis_that_knows_expire_nx(version, ok):
    assert redis_version_ok(version) is ok


class TestCreateTenantCommand:
    def test_it_creates_a_tenant_and_its_first_admin(self, db):
        call_command(
            "create_tenant",
            name="Acme Genomics",
            domain="Acme.Localhost",
            admin_email="alice@acme.test",
            admin_password="a-long-enough-password",
        )
        tenant = Tenant.objects.get(domain="acme.localhost")
        membership = Membership.objects.get(tenant=tenant)
        assert membership.user.email == "alice@acme.test" and membership.role == Role.ADMIN
        assert membership.user.check_password("a-long-enough-password")
        assert Event.objects.filter(tenant=tenant, action="tenant.create").count() == 1

    def test_it_is_idempotent_for_the_same_domain(self, db):
        args = {"name": "Acme Genomics", "domain": "acme.localhost", "admin_email": "a@acme.test"}
        call_command("create_tenant", admin_password="a-long-enough-password", **args)
        call_command("create_tenant", admin_password="a-long-enough-password", **args)
        assert Tenant.objects.count() == 1
        assert Membership.objects.count() == 1

    def test_it_refuses_a_domain_taken_by_another_tenant(self, tenant_a):
        with pytest.raises(CommandError, match="already used"):
            call_command(
                "create_tenant",
                name="Other",
                domain="acme.localhost",
                admin_email="x@x.test",
                admin_password="a-long-enough-password",
            )

    @pytest.mark.parametrize(
        "domain", ["http://acme.localhost", "acme.localhost:8000", "bad_host!.localhost", ""]
    )
    def test_it_refuses_a_malformed_domain(self, db, domain):
        with pytest.raises(CommandError, match="not a valid host name"):
            call_command(
                "create_tenant",
                name="X",
                domain=domain,
                admin_email="x@x.test",
                admin_password="long-password-1",
            )
        assert not Tenant.objects.exists()

    def test_it_refuses_a_weak_password_and_creates_nothing(self, db):
        with pytest.raises(CommandError, match="too short"):
            call_command(
                "create_tenant", name="X", domain="x.localhost", admin_email="x@x.test", admin_password="abc"
            )
        assert not Tenant.objects.exists()


def test_the_host_lookup_is_cached_and_costs_no_query(tenant_a, django_assert_num_queries):
    from accounts import hosts

    hosts.tenant_for_domain("acme.localhost")
    with django_assert_num_queries(0):
        assert hosts.tenant_for_domain("acme.localhost").pk == tenant_a.pk


def test_a_tenant_change_made_by_another_process_is_seen_without_tracking(tenant_a, settings):
    from django.core.cache import cache

    from accounts import hosts

    settings.PORTAL_TRACKING_URL = ""  # the generation is read from the cache on every request
    assert client_for("acme.localhost").get("/accounts/login/").status_code == 200
    assert client_for("acme.localhost").get("/accounts/login/").status_code == 200
    # Another process deactivates the tenant: the row changes and the shared generation moves,
    # but nothing in this process is told.
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)
    cache.set(hosts.TENANTS_GENERATION, 12345)
    assert client_for("acme.localhost").get("/accounts/login/").status_code == 404


# Forged and mistyped hosts (ALLOWED_HOSTS is derived from the tenants' domains at run time).

FORGED = ["evil.example", "acme.localhost.evil.example", "acme.localhost@evil.example", "10.0.0.7"]
EVERY_KIND_OF_PATH = [
    "/",
    "/accounts/login/",
    "/api/me",
    "/api/workgroups",
    "/.well-known/jwks.json",
    "/.well-known/premium-license-keys.json",
    "/admin/login/",
]


@pytest.mark.parametrize("host", FORGED)
@pytest.mark.parametrize("path", EVERY_KIND_OF_PATH)
def test_a_forged_host_gets_a_404_on_every_path_even_with_a_valid_token(alice, tenant_a, host, path):
    jwt = token(make_key(alice, tenant_a)[1])
    response = client_for(host).get(path, HTTP_AUTHORIZATION=f"Bearer {jwt}")
    assert response.status_code in (400, 404), response.content
    assert b"acme" not in response.content.lower()


def test_a_forged_host_is_refused_before_the_token_endpoint_or_licensing_run(alice, tenant_a):
    key = make_key(alice, tenant_a)[1]
    client = client_for("evil.example")
    tokens = client.post(f"/api/tokens?tenant={tenant_a.slug}", {"api_key": key}, "application/json")
    assert tokens.status_code == 404
    assert tokens["Content-Type"] == "application/problem+json"
    licensing = client.post("/api/licensing/premium.lic", {"DragenSerialNo": "SN"}, "application/json")
    assert licensing.status_code == 404


def test_an_operator_host_serves_the_api_with_the_tokens_tenant_but_no_pages(alice, tenant_a, settings):
    settings.PORTAL_OPERATOR_HOSTS = frozenset({"portal.internal"})
    jwt = token(make_key(alice, tenant_a)[1])  # minted on the tenant's domain
    client = client_for("portal.internal:8443")
    me = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {jwt}").json()
    assert me["tenant"]["domain"] == "acme.localhost"
    assert client.get("/.well-known/jwks.json").status_code == 200
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/accounts/login/").status_code == 404  # sign-in is on a tenant's domain
    assert client_for("localhost").get("/api/me", HTTP_AUTHORIZATION=f"Bearer {jwt}").status_code == 404


@pytest.mark.parametrize("host", ["evil.example", "10.0.0.7", "[::1]"])
def test_static_files_and_the_health_check_answer_on_any_host(db, host):
    assert client_for(host).get("/healthz").status_code == 200


def test_a_tenants_new_domain_is_served_at_once_and_its_old_one_no_more(tenant_a):
    change_tenant(tenant_a, domain="genomics.acme.test")
    assert client_for("genomics.acme.test").get("/accounts/login/").status_code == 200
    assert client_for("acme.localhost").get("/accounts/login/").status_code == 404
