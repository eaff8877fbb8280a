"""Premium license pages and public endpoints."""

from django.http import JsonResponse
from django.views.decorators.cache import cache_control

from licenses import keyring


@cache_control(public=True, max_age=300)
def license_keys(request):
    """The public keys that verify premium.lic files (JWKS, OKP/Ed25519), for tools offline."""
    return JsonResponse(keyring.current().jwks)
