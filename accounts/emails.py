"""Every email is a subject/text/html triple under templates/emails/, rendered here."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from accounts import addresses
from accounts.models import Tenant

log = logging.getLogger(__name__)


def tenant_url(tenant: Tenant, path: str = "/") -> str:
    """Where `path` is at `tenant`, for a link in an email: built from the tenant's configured
    domain (PORTAL_TENANT_URL), never from a request's Host header, whose port or name a sender
    picks."""
    return settings.PORTAL_TENANT_URL.format(domain=tenant.domain) + path


def send(name: str, *, to: str, tenant: Tenant, context: dict, attachments=()) -> None:
    """`attachments`: (filename, content, mimetype) triples."""
    if addresses.problem(addresses.canonical(to)):  # made before such addresses were refused
        log.warning("not sending %s to %r: its mail could reach another mailbox", name, to)
        return
    context = {"tenant": tenant, **context}
    subject = render_to_string(f"emails/{name}-subject.txt", context).strip()
    text = render_to_string(f"emails/{name}-body-text.txt", context)
    html = render_to_string(f"emails/{name}-body-html.html", context)
    message = EmailMultiAlternatives(
        subject=f"[{tenant.name}] {subject}", body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )
    message.attach_alternative(html, "text/html")
    for attachment in attachments:
        message.attach(*attachment)
    message.send()
