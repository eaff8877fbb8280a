import pytest

from licenses import keyring
from tests.helpers import actor, sell


@pytest.fixture
def own_keyring(settings, tmp_path):
    """A keyring file of this test's own, so rotating it touches nothing else."""
    settings.PORTAL_LICENSE_KEYS = ""
    settings.PORTAL_LICENSE_KEYS_FILE = str(tmp_path / "license-keys.json")
    keyring.forget()
    yield tmp_path / "license-keys.json"
    keyring.forget()


@pytest.fixture
def by(alice, tenant_a):
    """Alice acting as tenant A's admin."""
    return actor(alice, tenant_a)


@pytest.fixture
def license(tenant_a, by):
    """Tenant A's license for COSMIC and SpliceAI, running for another year."""
    return sell(tenant_a, by)
