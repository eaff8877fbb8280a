import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Tenant


class License(models.Model):
    """A tenant's entitlement to some premium sources for a term."""

    class State(models.TextChoices):
        ACTIVE = "active"
        SUSPENDED = "suspended"
        REVOKED = "revoked"
        EXPIRED = "expired"  # set by the expiry sweep once the term has ended

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="licenses")
    name = models.CharField(max_length=100, help_text="What the license is for, e.g. the lab or instrument.")
    sources = models.JSONField(help_text="Sorted premium source names.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "ends_at"], name="license_state_end")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="license_ends_after_start"
            ),
            models.UniqueConstraint(fields=["tenant", "name"], name="license_name_per_tenant"),
            models.CheckConstraint(
                condition=models.Q(state__in=["active", "suspended", "revoked", "expired"]),
                name="license_state_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def status_at(self, now) -> str:
        """What the license is worth now: a stored suspension or revocation wins; past its end it is
        expired even before the sweep has marked it."""
        if self.state in (self.State.SUSPENDED, self.State.REVOKED, self.State.EXPIRED):
            return self.state
        return self.State.EXPIRED if self.ends_at <= now else self.State.ACTIVE

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def not_yet_valid(self) -> bool:
        return self.starts_at > timezone.now()
