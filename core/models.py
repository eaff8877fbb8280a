from django.db import models
from django.utils import timezone


class OwedCacheChange(models.Model):
    """A shared cache key that must change but could not, because Redis was unreachable: written
    beside the change that made it stale (so it exists exactly when that change does) and made
    once Redis answers again (`core.cache`)."""

    key = models.CharField(max_length=250)
    timeout = models.PositiveIntegerField(null=True, blank=True)  # seconds; None: no expiry
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.key} (owed since {self.created_at:%Y-%m-%d %H:%M:%S})"


class UsageCount(models.Model):
    """How often `subject` (an API key, a credential, a tenant) did `kind` on `day` (UTC), for the
    charts and reports (`core.usage`); `detail` splits a day's count further (by client address)."""

    kind = models.CharField(max_length=40)
    subject = models.UUIDField()
    day = models.DateField()
    detail = models.CharField(max_length=45, blank=True, default="")  # e.g. the client's address
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject", "day", "detail"], name="usage_once_a_day_each")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} {self.day}: {self.count}"


class OutboxMail(models.Model):
    """An email a request or a job sent: written in the sender's transaction, delivered by a
    Celery job (`core.mail`), so a slow or unreachable mail server costs the request nothing and
    loses nothing. The message is kept as its RFC 5322 bytes."""

    message = models.BinaryField()
    from_email = models.CharField(max_length=254)
    recipients = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)  # a delivery is under way until then
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"], name="outbox_unsent", condition=models.Q(sent_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"mail {self.pk} to {', '.join(self.recipients)} ({'sent' if self.sent_at else 'unsent'})"
