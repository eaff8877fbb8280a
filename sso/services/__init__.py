"""Every write to a tenant's sign-in configuration, and to the people its provider brings."""

from .access import password_allowed, sign_in_allowed, signed_in_through_provider, uses_sso
from .people import sso_member_join, sso_sign_in_record
from .settings import signin_domains_set, signin_update
from .trying import sso_try_record, sso_try_start, trying

__all__ = [
    "password_allowed",
    "sign_in_allowed",
    "signed_in_through_provider",
    "signin_domains_set",
    "signin_update",
    "sso_member_join",
    "sso_sign_in_record",
    "sso_try_record",
    "sso_try_start",
    "trying",
    "uses_sso",
]
