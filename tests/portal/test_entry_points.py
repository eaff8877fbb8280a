"""Where people arrive: the operator's address, pages that are not there or not theirs, a form
from an old session, a server error, the API reference's way back, and `make run`'s last word."""

import subprocess
import sys

import pytest
from django.test import Client, RequestFactory

from accounts import emails
from accounts.views import server_error
from tests.cli.conftest import ROOT
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.helpers import _another_process_env


def test_the_operator_address_says_what_it_is_and_lists_tenants_only_to_operators(tenant_a, settings):
    settings.DEBUG = False
    stranger = Client(HTTP_HOST="localhost").get("/")
    page = stranger.content.decode()
    assert stranger.status_code == 200 and "operators' address" in page and 'href="/admin/"' in page
    assert tenant_a.name not in page and tenant_a.domain not in page  # strangers learn no customer
    staff = client_for("localhost:8000", UserFactory(email="ops@example.org", is_staff=True))
    assert f'href="{emails.tenant_url(tenant_a)}"' in staff.get("/").content.decode()  # as configured
    settings.DEBUG = True  # `make run`
    assert f'href="{emails.tenant_url(tenant_a)}"' in Client(HTTP_HOST="localhost").get("/").content.decode()


@pytest.mark.parametrize(
    "path", ["/no/such/page", "/apikeys/6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b/rename", "/licenses/not-a-uuid/"]
)
def test_under_debug_a_tenants_visitor_gets_the_portals_404_not_djangos(as_alice, settings, path):
    settings.DEBUG = True
    response = as_alice.get(path)
    page = response.content.decode()
    assert response.status_code == 404 and "There is nothing here" in page
    assert "URLconf" not in page and "Raised by" not in page and "NONE,NOARCHIVE" not in page


def test_an_unknown_host_gets_a_page_in_the_portals_look(db):
    response = Client(HTTP_HOST="nowhere.example").get("/")
    assert response.status_code == 404 and "portal.css" in response.content.decode()


def test_a_form_from_an_old_session_says_so_in_words(alice, tenant_a):
    client = client_for("acme.localhost", alice)
    client.handler.enforce_csrf_checks = True
    response = client.post("/workgroups/", {"name": "Sequencing"})
    page = response.content.decode()
    assert (
        response.status_code == 403
        and "This form was not accepted" in page
        and "CSRF verification" not in page
    )


def test_a_server_error_page_is_the_portals_and_needs_no_database():
    request = RequestFactory().get("/users/")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        response = server_error(request)
    page = response.content.decode()
    assert response.status_code == 500 and "Something went wrong on our side" in page and "portal.css" in page


def test_the_api_reference_has_a_way_back(as_alice):
    page = as_alice.get("/api/docs").content.decode()
    assert '<header class="portal-bar"><a href="/">&larr; Back to Acme Genomics</a>' in page


@pytest.mark.django_db(transaction=True)
def test_make_run_ends_its_start_up_with_where_to_go_and_how_to_sign_in(live_server):
    port = live_server.url.rsplit(":", 1)[1]
    command = [sys.executable, "manage.py", "demo", "--announce", "--port", port]
    announcer = subprocess.Popen(
        command, cwd=ROOT, env=_another_process_env(), stdout=subprocess.PIPE, text=True
    )
    try:
        lines = [announcer.stdout.readline() for _ in range(7)]
    finally:
        announcer.kill()
        announcer.wait(timeout=10)
    box = "".join(lines)
    assert f"http://demo.localhost:{port}/" in box and "admin@demo.localhost" in box
    assert box.splitlines()[0].startswith("┌") and "Password:" in box
