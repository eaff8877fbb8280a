"""Reads of reports: a tenant's own, and one of them by id (another tenant's is a 404)."""

from django.db.models import QuerySet
from django.http import Http404

from reports.models import Report


def reports_of(*, tenant) -> QuerySet[Report]:
    return Report.objects.filter(tenant=tenant).select_related("tenant", "requested_by")


def get_report_for_request(request, report_id) -> Report:
    report = reports_of(tenant=request.tenant).filter(pk=report_id).first()
    if report is None:
        raise Http404("No such report.")
    return report
