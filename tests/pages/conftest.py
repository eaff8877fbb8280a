import os

import pytest

CHROMIUM = "/usr/bin/chromium"
# Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests make
# beside it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)."
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page; the test fails if anything it showed broke the Content-Security-Policy."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = []
    page.on("console", lambda message: _record_csp(message, violations))
    page.csp_violations = violations
    yield page
    context.close()
    assert violations == [], "Content-Security-Policy violations"


def _record_csp(message, violations: list) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        violations.append(f"{message.location.get('url', '')}: {message.text}")


@pytest.fixture
def tenant_url(live_server, settings):
    port = live_server.url.rsplit(":", 1)[1]
    settings.PORTAL_TENANT_URL = f"http://{{domain}}:{port}"  # emailed links lead to this server

    def url(domain: str, path: str = "/") -> str:
        return f"http://{domain}:{port}{path}"

    return url


def sign_in(page, url: str, email: str, password: str = "correct-horse-battery-staple") -> None:
    page.goto(url)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main").get_by_role("button", name="Sign in", exact=True).click()


LONG = "Longname" * 12 + "Long"  # 100 characters without a space: the worst a name can be


@pytest.fixture
def long_names(tmp_path_factory):
    """A tenant whose every name is as long as allowed (tenant admin alice@acme.test, a member
    with a 120-character address), and the pages to sweep: signed out, and as that admin."""
    from datetime import UTC, datetime

    from accounts.models import Role
    from apikeys import services as apikey_services
    from licenses import services as license_services
    from sso.services import signin_update
    from sso.services.settings import Provider
    from tests.conftest import change_tenant
    from tests.factories import (
        MembershipFactory,
        TenantFactory,
        UserFactory,
        WorkgroupFactory,
        WorkgroupMembershipFactory,
    )
    from tests.helpers import actor
    from tests.saml_idp.idp import IdentityProvider

    tenant = TenantFactory(name=f"Acme {LONG}", slug="acme", domain="acme.localhost", signup_mode="open")
    admin = UserFactory(email="alice@acme.test", full_name=LONG)
    MembershipFactory(tenant=tenant, user=admin, role=Role.ADMIN)
    other = UserFactory(email=f"{'m' * 60}@{'e' * 60}.test", full_name=LONG)
    MembershipFactory(tenant=tenant, user=other)
    workgroup = WorkgroupFactory(tenant=tenant, name=LONG)
    WorkgroupMembershipFactory(workgroup=workgroup, user=admin, role=Role.ADMIN)
    WorkgroupMembershipFactory(workgroup=workgroup, user=other)
    by = actor(admin, tenant)
    apikey_services.apikey_create(tenant=tenant, user=admin, name=LONG, workgroups=[workgroup], by=by)
    license = license_services.license_create(
        tenant=tenant, by=by, name=LONG, sources=["COSMIC", "OMIM", "PrimateAI-3D", "SpliceAI", "PromoterAI"],
        starts_at=datetime(2026, 1, 1, tzinfo=UTC), ends_at=datetime(2099, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    license_services.credential_add(license=license, by=by, method="dragen_serial", serial_number="S" * 64)
    # SAML set up (passwords still the way in), so the sign-in settings show all they can.
    idp = IdentityProvider(tmp_path_factory.mktemp("idp"), base_url=f"https://{'i' * 60}.example/{'p' * 60}")
    provider = Provider(
        protocol="saml",
        metadata_xml=idp.metadata(),
        group_map=[{"group": LONG, "workgroup": str(workgroup.pk)}],
    )
    signin_update(tenant=tenant, by=by, mode="password", organisation=LONG[:100], provider=provider)
    # Allowed networks listed (applied to nothing), so Settings → Access shows its preview.
    change_tenant(tenant, allowed_networks=[f"2001:db8:{n:x}:ffff::/64" for n in range(40)])
    admin_pages = [
        "/", "/apikeys/", "/tenant/apikeys/?ended=1", "/workgroups/", f"/workgroups/{workgroup.pk}/",
        "/users/", "/events/", "/settings/", "/licenses/", f"/licenses/{license.pk}/", "/profile/",
        "/accounts/email/", "/accounts/password/change/", "/accounts/2fa/", "/api/docs", "/settings/sign-in/",
        "/settings/access/", "/reports/",
    ]  # fmt: skip
    return {
        "widths": [(390, 844), (1280, 800)],
        "signed_out": ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/nowhere"],
        "admin": admin_pages,
        "member": (
            other.email,
            ["/", "/apikeys/", "/workgroups/", f"/workgroups/{workgroup.pk}/", "/profile/"],
        ),
    }


def sweep(browser, tenant_url, long_names, visit, **context_options) -> list:
    """`visit(page, url)` on every page of `long_names` at each width: signed out, as the tenant
    admin and as the member, each in a context of its own; what the visits return, flattened."""
    found = []
    member, member_pages = long_names["member"]
    visitors = [
        (None, long_names["signed_out"]),
        ("alice@acme.test", long_names["admin"]),
        (member, member_pages),
    ]
    for width, height in long_names["widths"]:
        for who, paths in visitors:
            context = browser.new_context(viewport={"width": width, "height": height}, **context_options)
            page = context.new_page()
            if who:
                sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), who)
            found += [result for path in paths for result in visit(page, tenant_url("acme.localhost", path))]
            context.close()
    return found


def snap(page, name: str, *, full_page: bool = False) -> None:
    """With PORTAL_SCREENSHOTS=<folder> (`make screenshots`), save what the page shows now as
    <folder>/<name>.png, for the README; otherwise nothing."""
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=full_page, animations="disabled")
