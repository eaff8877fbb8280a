"""Every page a tenant admin can open renders under the Content-Security-Policy (no inline or
eval'd script, no inline style) without a single violation, and carries the security headers."""

import pytest
from playwright.sync_api import expect

from accounts.models import Workgroup
from tests.conftest import client_for
from tests.factories import WorkgroupFactory, WorkgroupMembershipFactory
from tests.helpers import actor, sell
from tests.pages.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_page_renders_without_a_csp_violation(page, tenant_url, alice, bob, tenant_a):
    workgroup = WorkgroupFactory(tenant=tenant_a, name="Sequencing")
    WorkgroupMembershipFactory(workgroup=workgroup, user=bob)
    license = sell(tenant_a, actor(alice, tenant_a))
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test")
    expect(page.get_by_role("heading", name="Acme Genomics")).to_be_visible()
    paths = [
        "/",
        "/users/",
        "/workgroups/",
        f"/workgroups/{workgroup.pk}/",
        "/settings/",
        "/settings/access/",
        "/reports/",
        "/events/",
        "/apikeys/",
        "/tenant/apikeys/",
        "/licenses/",
        f"/licenses/{license.pk}/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate",
        "/api/docs",
    ]
    for path in paths:
        response = page.goto(tenant_url("acme.localhost", path))
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    assert page.goto(tenant_url("localhost", "/admin/login/")).status == 200  # an operator host
    page.once("dialog", lambda dialog: dialog.dismiss())  # the confirm() of data-confirm, answered No
    page.goto(tenant_url("acme.localhost", f"/workgroups/{workgroup.pk}/"))
    page.get_by_text("Rename or delete").click()
    page.get_by_role("button", name="Delete workgroup").click()
    expect(page.get_by_role("button", name="Delete workgroup")).to_be_visible()  # still here: not deleted
    assert Workgroup.objects.filter(pk=workgroup.pk).exists()
    assert page.csp_violations == []


def test_the_pages_and_the_api_carry_the_security_headers(alice, tenant_a):
    client = client_for("acme.localhost", alice)
    for path in ("/", "/api/docs", "/api/me", "/api/schema", "/api/nowhere", "/accounts/login/"):
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        if path.startswith("/api/") and path != "/api/docs":  # not HTML: nothing may load or frame it
            assert directives == {"default-src": "'none'", "frame-ancestors": "'none'"}, path
        else:
            assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", path
            assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
