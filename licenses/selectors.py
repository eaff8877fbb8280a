"""Reads of licenses, always within the request's tenant: another tenant's row and a missing row
give the same 404."""

from datetime import timedelta

from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.dashboard import Figure, Panel
from core import usage
from licenses.models import USAGE_FETCHES, USAGE_VALIDATIONS, Credential, License, LicenseFile


def licenses_of_tenant(tenant) -> QuerySet[License]:
    return (
        License.objects.filter(tenant=tenant)
        .annotate(credential_count=Count("credentials"))
        .prefetch_related("terms")
        .order_by("-created_at", "name")
    )


def dashboard_panel(tenant) -> Panel:
    """The tenant home's figure of licenses ending soon, and premium.lic downloads by day."""
    now = timezone.now()
    running = License.objects.filter(tenant=tenant, state__in=[License.State.ACTIVE, License.State.SUSPENDED])
    ending = running.filter(ends_at__gt=now, ends_at__lte=now + timedelta(days=30)).count()
    credentials = Credential.objects.filter(license__tenant=tenant).values("pk")
    return Panel(
        figures=[Figure("Licenses ending within 30 days", ending, reverse("licenses"), attention=ending > 0)],
        series={"premium.lic downloads": usage.summed(USAGE_FETCHES, credentials)},
    )


def get_license_for_request(request: HttpRequest, license_id) -> License:
    license = licenses_of_tenant(request.tenant).select_related("tenant").filter(pk=license_id).first()
    if license is None:
        raise Http404("No such license.")
    return license


def credentials_of_license(license: License) -> QuerySet[Credential]:
    return Credential.objects.filter(license=license).select_related("license__tenant")


def credential_usage(credentials) -> list[tuple[Credential, dict]]:
    """Each credential with its chart of premium.lic downloads and online validations over the
    last 30 days (two queries)."""
    ids = [credential.pk for credential in credentials]
    fetches, validations = usage.series(USAGE_FETCHES, ids), usage.series(USAGE_VALIDATIONS, ids)
    return [
        (
            credential,
            usage.chart(
                f"usage-{credential.pk}",
                {"Downloads": fetches[str(credential.pk)], "Validations": validations[str(credential.pk)]},
            ),
        )
        for credential in credentials
    ]


def get_credential_for_request(request: HttpRequest, license: License, credential_id) -> Credential:
    # `license` came from get_license_for_request, so it is this tenant's already.
    credential = credentials_of_license(license).filter(pk=credential_id).first()
    if credential is None or license.tenant_id != request.tenant.pk:
        raise Http404("No such credential.")
    return credential


def files_of_license(license: License) -> QuerySet[LicenseFile]:
    return LicenseFile.objects.filter(license=license).select_related("credential")


def get_file_for_request(request: HttpRequest, license: License, file_id) -> LicenseFile:
    file = (
        LicenseFile.objects.filter(license=license, pk=file_id).select_related("credential", "body").first()
    )
    if file is None or license.tenant_id != request.tenant.pk:
        raise Http404("No such file.")
    return file
