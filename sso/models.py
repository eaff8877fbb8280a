import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Tenant


class SignIn(models.Model):
    """How people sign in at a tenant: with a password only (no row, or this mode), or also through
    the tenant's own identity provider, OpenID Connect. Its client secret is sealed (core.sealed)."""

    class Mode(models.TextChoices):
        PASSWORD = "password", "Password only"
        BOTH = "both", "Password, or the organisation's single sign-on"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="signin")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.PASSWORD)
    organisation = models.CharField(max_length=100, blank=True)  # "Sign in with <organisation>"
    issuer = models.URLField(max_length=500, blank=True)  # its discovery document is issuer + /.well-known/…
    client_id = models.CharField(max_length=200, blank=True)
    client_secret_sealed = models.TextField(blank=True)
    scopes = models.CharField(max_length=200, default="openid email profile")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mode="password") | ~models.Q(issuer="") & ~models.Q(client_id=""),
                name="signin_sso_configured",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant}: {self.get_mode_display()}"

    @property
    def provider_id(self) -> str:
        """allauth's provider id of this configuration: an account it made belongs to it alone,
        so the same subject from another tenant's provider is another account."""
        return f"sso-{self.pk.hex}"

    @property
    def uses_sso(self) -> bool:
        return self.mode != self.Mode.PASSWORD
