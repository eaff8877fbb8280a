"""On real PostgreSQL, with real transactions: what only the database can hold."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Membership
from accounts.services import Actor
from apikeys import authstate, services
from apikeys.models import ApiKey
from tests.conftest import client_for
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.helpers import at_once, bearer, in_another_process, token

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_concurrent_creations_for_one_user_make_exactly_ten_keys():
    tenant = TenantFactory(domain="race.localhost", slug="race")
    user = UserFactory()
    MembershipFactory(tenant=tenant, user=user)
    clients = [client_for("race.localhost", user) for _ in range(50)]
    outcomes = at_once(
        clients,
        lambda client, n: (
            client.post("/api/apikeys", {"name": f"k{n}"}, content_type="application/json").status_code
        ),
    )
    assert outcomes == Counter({201: 10, 409: 40})
    assert ApiKey.objects.filter(user=user).count() == 10


def test_revocation_committed_by_another_connection_is_seen_on_the_next_request():
    """With real commits the post-commit invalidation runs as in production."""
    tenant = TenantFactory(domain="commit.localhost", slug="commit")
    user = UserFactory()
    membership = MembershipFactory(tenant=tenant, user=user)
    apikey, text = services.apikey_create(
        tenant=tenant,
        user=user,
        name="k",
        workgroups=services.ALL,
        by=Actor(user=user, membership=membership),
    )
    client = bearer(token(text, "commit.localhost"), "commit.localhost")
    assert client.get("/api/me").status_code == 200

    def revoke():
        services.apikey_revoke(
            apikey=ApiKey.objects.select_related("tenant", "user").get(pk=apikey.pk), by=Actor(user=user)
        )
        connection.close()

    thread = threading.Thread(target=revoke)
    thread.start()
    thread.join(timeout=30)
    assert client.get("/api/me").status_code == 401
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_revocation_by_another_process_is_seen_on_the_very_next_request():
    """The web process answers from memory (its auth state kept exact by Redis's invalidation
    messages); a key revoked by another process, as a second web worker or Celery would, must
    still fail on the next request, with no pause in between."""
    tenant = TenantFactory(domain="procs.localhost", slug="procs")
    user = UserFactory()
    membership = MembershipFactory(tenant=tenant, user=user)
    owner = Actor(user=user, membership=membership)
    apikey, text = services.apikey_create(tenant=tenant, user=user, name="k", workgroups="all", by=owner)
    client = bearer(token(text, "procs.localhost"), "procs.localhost")
    assert client.get("/api/me").status_code == 200
    assert authstate._copies.holds((str(user.pk), str(tenant.pk)))  # served from memory from now on

    in_another_process(
        "from accounts.services import Actor; from apikeys import services; "
        "from apikeys.models import ApiKey; "
        f"key = ApiKey.objects.select_related('tenant', 'user').get(pk='{apikey.pk}'); "
        "assert services.apikey_revoke(apikey=key, by=Actor(user=key.user))"
    )
    assert client.get("/api/me").status_code == 401


def test_a_tenant_deactivated_by_another_process_is_gone_on_the_very_next_request():
    tenant = TenantFactory(domain="gone.localhost", slug="gone")
    browser = Client(HTTP_HOST="gone.localhost")
    assert browser.get("/accounts/login/").status_code == 200  # this process now knows the tenant
    in_another_process(
        "from accounts.models import Tenant; "
        f"tenant = Tenant.objects.get(pk='{tenant.pk}'); tenant.is_active = False; tenant.save()"
    )
    assert browser.get("/accounts/login/").status_code == 404
