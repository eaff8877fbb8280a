"""The daily look at each SAML provider (sso.tasks): its metadata read again where it has a URL,
a new signing certificate taken up, and a certificate expired or about to be reported: on the
settings page, and in the event log when what there is to say changes."""

from django.db import transaction
from django.utils import timezone

from accounts.services import Actor, event_record
from core.errors import ServiceError
from sso import saml
from sso.models import SeenAssertion, SignIn


def saml_metadata_check(*, signin: SignIn) -> SignIn:
    idp, notice = None, ""
    if signin.saml_metadata_url:
        try:
            idp = saml.metadata_read(saml.metadata_fetch(signin.saml_metadata_url))
        except ServiceError as exc:
            notice = f"The metadata could not be read on {timezone.now():%Y-%m-%d}: {exc.message}"
    if idp is not None and idp.entity_id != signin.saml_entity_id:
        idp, notice = (
            None,
            (
                f"The metadata now names another identity provider ({idp.entity_id}): "
                "save it on this page to switch to it (people then connect their accounts again)."
            ),
        )
    with transaction.atomic():
        signin = SignIn.objects.select_for_update().get(pk=signin.pk)
        before = signin.saml_certificate
        if idp is not None:
            signin.saml_sso_url, signin.saml_slo_url, signin.saml_certificate = (
                idp.sso_url,
                idp.slo_url,
                idp.certificate,
            )
        problem = saml.certificate_problem(signin.saml_certificate)
        ending = saml.certificate_summary(signin.saml_certificate)
        if not problem and not notice and ending.get("ending"):
            notice = f"The identity provider's signing certificate ends on {ending['ends']:%Y-%m-%d}."
        said = (signin.saml_problem, signin.saml_notice)
        signin.saml_problem, signin.saml_notice, signin.saml_checked_at = problem, notice, timezone.now()
        signin.save()
        system = Actor.system_actor()
        if signin.saml_certificate != before:
            summary = saml.certificate_summary(signin.saml_certificate)
            ends = f"{summary['ends']:%Y-%m-%d}" if summary else ""
            event_record(tenant=signin.tenant, by=system, action="signin.certificate", target=signin,
                         sha256=summary.get("sha256", ""), ends=ends)  # fmt: skip
        if (problem, notice) != said and (problem or notice):
            event_record(tenant=signin.tenant, by=system, action="signin.problem", target=signin,
                         problem=problem, notice=notice)  # fmt: skip
    return signin


def saml_metadata_check_all() -> int:
    checked = 0
    for signin in SignIn.objects.filter(protocol=SignIn.Protocol.SAML).exclude(saml_entity_id=""):
        saml_metadata_check(signin=signin)
        checked += 1
    return checked


def seen_assertions_prune() -> int:
    return SeenAssertion.objects.filter(expires_at__lt=timezone.now()).delete()[0]
