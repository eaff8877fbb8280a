import pytest

from apikeys import keyring
from tests.helpers import make_key


@pytest.fixture
def alice_key(alice, tenant_a):
    return make_key(alice, tenant_a)


@pytest.fixture
def bob_key(bob, tenant_a):
    return make_key(bob, tenant_a)


@pytest.fixture
def own_keyring(settings, tmp_path):
    """A keyring file of this test's own, so rotating it touches nothing else."""
    settings.PORTAL_JWT_KEYS = ""
    settings.PORTAL_JWT_KEYS_FILE = str(tmp_path / "jwt-keys.json")
    keyring.forget()
    yield tmp_path / "jwt-keys.json"
    keyring.forget()
