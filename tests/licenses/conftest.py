import pytest

from licenses import keyring


@pytest.fixture
def own_keyring(settings, tmp_path):
    """A keyring file of this test's own, so rotating it touches nothing else."""
    settings.PORTAL_LICENSE_KEYS = ""
    settings.PORTAL_LICENSE_KEYS_FILE = str(tmp_path / "license-keys.json")
    keyring.forget()
    yield tmp_path / "license-keys.json"
    keyring.forget()
