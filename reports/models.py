import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Tenant


class Report(models.Model):
    """A usage report a tenant admin asked for: made by a Celery task into a CSV file under
    PORTAL_VAR_DIR/reports, downloadable for PORTAL_REPORT_KEEP_DAYS, emailed to its recipients."""

    class Kind(models.TextChoices):
        USAGE = "usage", "General usage per member"
        LOGINS = "logins", "Sign-ins, key exchanges and refusals"
        WORKGROUPS = "workgroups", "Workgroup activity"
        APIKEYS = "apikeys", "API key usage per key and day"
        LICENSES = "licenses", "License usage per credential and day"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        EXPIRED = "expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField()  # inclusive, UTC days
    recipients = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_expected = models.PositiveBigIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)  # bytes of the CSV
    problem = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="report_tenant_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="report_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.starts_on} to {self.ends_on}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, 100 * self.rows_done // self.rows_expected) if self.rows_expected else 0

    @property
    def filename(self) -> str:
        return f"{self.tenant.slug}-{self.kind}-{self.starts_on}-{self.ends_on}.csv"
