import pytest

from tests.conftest import change_tenant
from tests.helpers import make_key


@pytest.fixture
def server(live_server, tenant_a):
    """Tenant A served at http://localhost:PORT; http://127.0.0.1:PORT is an operator host."""
    change_tenant(tenant_a, domain="localhost")
    return live_server.url


@pytest.fixture
def alice_key(alice, tenant_a):
    return make_key(alice, tenant_a)[1]
