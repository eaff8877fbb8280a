import pytest

from tests.processes import OidcProvider

FORM = {
    "mode": "both",
    "organisation": "Acme Corp",
    "client_id": "portal",
    "client_secret": "s3cret-from-the-provider",
    "scopes": "openid email profile",
}


@pytest.fixture(scope="session")
def provider(tmp_path_factory):
    """A real provider to read discovery documents from (nobody signs in through it here)."""
    running = OidcProvider(tmp_path_factory.mktemp("oidc"), redirect_uris=[], people=[])
    yield running
    running.stop()


@pytest.fixture
def form(provider) -> dict:
    return {**FORM, "issuer": provider.issuer + "/"}
