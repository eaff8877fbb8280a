import pytest

from tests.helpers import make_key


@pytest.fixture
def alice_key(alice, tenant_a):
    return make_key(alice, tenant_a)[1]
