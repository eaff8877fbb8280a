"""On real PostgreSQL, with real transactions: what only the database can hold."""

import threading
from collections import Counter

import pytest
from django.db import connection

from accounts.models import Membership
from accounts.services import Actor
from apikeys import services
from apikeys.models import ApiKey
from tests.apikeys.conftest import bearer, token
from tests.conftest import client_for
from tests.factories import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_concurrent_creations_for_one_user_make_exactly_ten_keys():
    tenant = TenantFactory(domain="race.localhost", slug="race")
    user = UserFactory()
    MembershipFactory(tenant=tenant, user=user)
    clients = [client_for("race.localhost", user) for _ in range(50)]
    barrier = threading.Barrier(50)
    outcomes = Counter()

    def create(client, n):
        try:
            barrier.wait()
            response = client.post("/api/apikeys", {"name": f"k{n}"}, content_type="application/json")
            outcomes[response.status_code] += 1
        except Exception as exc:  # a 500 raises in the test client; count it as one
            outcomes[type(exc).__name__] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
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
