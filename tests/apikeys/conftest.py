import pytest
from django.test import Client

from accounts.models import Membership
from accounts.services import Actor
from apikeys import services


def make_key(user, tenant, **kwargs):
    """(ApiKey, key text) for `user` in `tenant`, made by the owner through the service."""
    membership = Membership.objects.get(user=user, tenant=tenant)
    kwargs.setdefault("name", "pipeline")
    kwargs.setdefault("workgroups", services.ALL)
    return services.apikey_create(
        tenant=tenant, user=user, by=Actor(user=user, membership=membership), **kwargs
    )


def exchange(key_text: str, host: str = "acme.localhost"):
    return Client(HTTP_HOST=host).post("/api/tokens", HTTP_X_API_KEY=key_text)


def token(key_text: str, host: str = "acme.localhost") -> str:
    response = exchange(key_text, host)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def bearer(token_text: str, host: str = "acme.localhost") -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token_text}")


@pytest.fixture
def alice_key(alice, tenant_a):
    return make_key(alice, tenant_a)


@pytest.fixture
def bob_key(bob, tenant_a):
    return make_key(bob, tenant_a)
