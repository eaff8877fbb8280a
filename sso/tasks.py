"""Celery tasks: thin wrappers that call a service."""

from celery import shared_task

from sso.services import metadata


@shared_task
def saml_metadata_check() -> int:
    """Daily: each SAML provider's metadata read again, its certificate checked."""
    return metadata.saml_metadata_check_all()


@shared_task
def seen_assertions_prune() -> int:
    return metadata.seen_assertions_prune()
