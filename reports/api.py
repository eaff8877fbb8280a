"""REST API for reports (tenant admins): ask for one, follow it, download its CSV. Thin: read
through selectors, change through services."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts.permissions import IsTenantAdmin
from accounts.requests import actor_for
from core.api import AnyAccept, page_of, paginated, valid
from reports import selectors, services, views
from reports.models import Report


class ReportOut(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Report.Kind.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(help_text="Included; UTC days")
    recipients = serializers.ListField(child=serializers.EmailField())
    status = serializers.ChoiceField(choices=Report.Status.choices)
    percent = serializers.IntegerField(help_text="How far it is made")
    rows = serializers.IntegerField(source="rows_done")
    size = serializers.IntegerField(help_text="Bytes of the CSV")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Downloadable until then")
    download = serializers.SerializerMethodField(help_text="Where the CSV is, once made")

    def get_download(self, report) -> str | None:
        if report.status != Report.Status.DONE:
            return None
        return reverse("api-report-download", args=[report.pk], request=self.context.get("request"))


class ReportIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Report.Kind.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(
        help_text="Included; at most today, and the range within the last 90 days"
    )
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=254), default=list, max_length=services.MAX_RECIPIENTS,
        help_text="Members of the tenant, or addresses in its domains",
    )  # fmt: skip


class ReportListApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=page_of(ReportOut), summary="This tenant's reports, newest first (tenant admin)")
    def get(self, request):
        return paginated(request, self, selectors.reports_of(tenant=request.tenant), ReportOut)

    @extend_schema(
        request=ReportIn, responses={202: ReportOut},
        summary="Ask for a report: made in the background, then downloadable for 7 days and emailed",
    )  # fmt: skip
    def post(self, request):
        data = valid(ReportIn, request)
        report = services.report_request(tenant=request.tenant, by=actor_for(request), **data)
        return Response(ReportOut(report, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


class ReportDetailApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=ReportOut, summary="A report and how far it is made (tenant admin)")
    def get(self, request, report_id):
        report = selectors.get_report_for_request(request, report_id)
        return Response(ReportOut(report, context={"request": request}).data)


class ReportDownloadApi(APIView):
    permission_classes = [IsTenantAdmin]
    content_negotiation_class = AnyAccept  # text/csv, whatever Accept says

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The report as CSV")},
        summary="A made report's CSV (tenant admin); 404 before it is made and after it expires",
    )
    def get(self, request, report_id):
        return views.download(selectors.get_report_for_request(request, report_id))
