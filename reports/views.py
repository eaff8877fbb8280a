"""Reports (tenant admins): ask for one, watch it being made, download it."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render

from accounts.decorators import tenant_admin_required
from accounts.requests import actor_for
from core.errors import ServiceError
from reports import selectors, services
from reports.forms import ReportForm
from reports.models import Report


@tenant_admin_required
def reports(request):
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_request(
                tenant=request.tenant, by=actor_for(request), **form.cleaned_data
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{report} is being made; it shows here when it is ready.")
            return redirect("reports")
    listed = list(selectors.reports_of(tenant=request.tenant)[:50])
    working = any(r.status in (Report.Status.QUEUED, Report.Status.RUNNING) for r in listed)
    context = {"form": form, "reports": listed, "working": working}
    return render(request, "reports/reports.html", context, status=400 if form.errors else 200)


@tenant_admin_required
def report_download(request, report_id):
    report = selectors.get_report_for_request(request, report_id)
    return download(report)


def download(report: Report) -> FileResponse:
    """The report's CSV, streamed from its file (404 once it has expired or before it is made)."""
    path = services.report_path(report)
    if report.status != Report.Status.DONE or not path.exists():
        raise Http404("This report is not there (yet, or any more).")
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=report.filename, content_type="text/csv"
    )
    response["Cache-Control"] = "no-store"
    return response
