"""The tests' provider, made to misbehave on purpose when OIDC_PROVIDER_TAMPER names a claim: the
ID token's aud, iss, exp or nonce, or email_verified as the string "false" (in the ID token and the
userinfo answer): a provider gone wrong, or an attacker's, that Portal must refuse."""

import os
import time

from allauth.idp.oidc.adapter import DefaultOIDCAdapter

TAMPERED = {
    "aud": lambda token: token.update(aud="another-client"),
    "iss": lambda token: token.update(iss="https://someone-else.test"),
    "exp": lambda token: token.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "nonce": lambda token: token.update(nonce="the-nonce-of-another-sign-in"),
}


class TamperingAdapter(DefaultOIDCAdapter):
    def get_claims(self, purpose, user, client, scopes, email=None, **kwargs):
        claims = super().get_claims(purpose, user, client, scopes, email=email, **kwargs)
        if os.environ.get("OIDC_PROVIDER_TAMPER") == "email_verified" and "email_verified" in claims:
            claims["email_verified"] = "false"  # a string, as some providers send it
        return claims

    def populate_id_token(self, id_token, client, scopes, **kwargs) -> None:
        super().populate_id_token(id_token, client, scopes, **kwargs)
        tamper = os.environ.get("OIDC_PROVIDER_TAMPER")
        if tamper in TAMPERED:
            TAMPERED[tamper](id_token)
