"""Every page holds its layout at a phone's and a laptop's width with the longest names allowed:
nothing is wider than the window (a table scrolls in its own box, a long name is cut with an
ellipsis and shown whole on hover)."""

from datetime import UTC, datetime

import pytest

from accounts.models import Role
from apikeys import services as apikey_services
from licenses import services as license_services
from tests.factories import (
    MembershipFactory,
    TenantFactory,
    UserFactory,
    WorkgroupFactory,
    WorkgroupMembershipFactory,
)
from tests.helpers import actor
from tests.pages.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "Longname" * 12 + "Long"  # 100 characters without a space: the worst a name can be
WIDTHS = [(390, 844), (1280, 800)]
ADMIN_PAGES = [
    "/", "/apikeys/", "/tenant/apikeys/?ended=1", "/workgroups/", "/workgroups/{workgroup}/", "/users/",
    "/events/", "/settings/", "/licenses/", "/licenses/{license}/", "/profile/", "/accounts/email/",
    "/accounts/password/change/", "/accounts/2fa/", "/api/docs",
]  # fmt: skip
SIGNED_OUT_PAGES = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/nowhere"]


@pytest.fixture
def world():
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
    return {"workgroup": workgroup.pk, "license": license.pk}


def _too_wide(page, url: str) -> str | None:
    page.goto(url)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] <= width[1]:
        return None
    wide = page.evaluate(_WIDEST)
    return f"{url}: {width[0]} px in a {width[1]} px window ({wide})"


# The deepest elements reaching past the window's right edge, to say what to fix.
_WIDEST = """
[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
  && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 3)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''))
  .join(', ')
"""


def test_no_page_is_wider_than_the_window_with_the_longest_names(browser, tenant_url, world):
    found = []
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        found += [_too_wide(page, tenant_url("acme.localhost", path)) for path in SIGNED_OUT_PAGES]
        sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test")
        found += [_too_wide(page, tenant_url("acme.localhost", path.format(**world))) for path in ADMIN_PAGES]
        context.close()
    assert [problem for problem in found if problem] == [], "\n".join(problem for problem in found if problem)
