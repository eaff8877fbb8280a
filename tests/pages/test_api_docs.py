import re

import pytest
from playwright.sync_api import expect

from accounts.models import Workgroup
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.pages.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_call_the_api_with_the_browser_session(page, tenant_url):
    tenant = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")
    MembershipFactory(tenant=tenant, user=UserFactory(email="alice@acme.test"), role="admin")
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test")
    expect(page.get_by_role("heading", name="Acme Genomics")).to_be_visible()

    page.goto(tenant_url("acme.localhost", "/api/docs"))
    operation = page.locator("#operations-workgroups-workgroups_create")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("textarea.body-param__text").fill('{"name": "From Swagger"}')
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text(re.compile(r"201"))
    assert Workgroup.objects.filter(tenant=tenant, name="From Swagger").exists()


def test_the_api_docs_call_the_api_with_a_pasted_bearer_token(page, tenant_url):
    from django.test import Client

    from accounts.services import Actor
    from apikeys import services

    tenant = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")
    user = UserFactory(email="bob@acme.test")
    membership = MembershipFactory(tenant=tenant, user=user)
    _, key_text = services.apikey_create(
        tenant=tenant, user=user, name="docs", workgroups="all", by=Actor(user=user, membership=membership)
    )
    token = Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_X_API_KEY=key_text).json()["token"]

    page.goto(tenant_url("acme.localhost", "/api/docs"))  # not signed in: the token is all it has
    page.get_by_role("button", name=re.compile("Authorize")).first.click()
    bearer_section = page.locator(".auth-container", has_text="BearerAuth")
    bearer_section.locator("input").fill(token)
    bearer_section.get_by_role("button", name="Apply credentials").click()
    page.get_by_role("button", name="Close").first.click()

    operation = page.locator("#operations-me-me_retrieve")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text(re.compile(r"200"))
    expect(operation.locator(".live-responses-table")).to_contain_text("bob@acme.test")
