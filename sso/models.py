import hashlib
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
        SSO = "sso", "The organisation's single sign-on only (break-glass admins keep a password)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="signin")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.PASSWORD)
    organisation = models.CharField(max_length=100, blank=True)  # "Sign in with <organisation>"
    issuer = models.URLField(max_length=500, blank=True)  # its discovery document is issuer + /.well-known/…
    client_id = models.CharField(max_length=200, blank=True)
    client_secret_sealed = models.TextField(blank=True)
    scopes = models.CharField(max_length=200, default="openid email profile")
    authorization_origin = models.CharField(max_length=300, blank=True)  # from discovery, for the CSP
    # Email domains the operators verified as this tenant's (manage.py sso_domains), never its admins:
    # the provider makes accounts, and signs them in, only for addresses in these.
    verified_domains = models.JSONField(default=list, blank=True)
    # Tenant admins who keep password + TOTP sign-in in SSO-only mode, so a broken provider never
    # locks the tenant out; and when someone last signed in through this provider's configuration
    # (SSO only is offered once it has worked).
    break_glass = models.ManyToManyField("accounts.User", blank=True, related_name="+")
    worked_at = models.DateTimeField(null=True, blank=True)
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
        """allauth's provider id of this tenant's provider: accounts are (provider id, subject), so
        the same subject from another tenant's provider, or from another issuer or client set here
        later, is another account."""
        named = f"{self.pk}|{self.issuer}|{self.client_id}".encode()
        return f"sso-{hashlib.sha256(named).hexdigest()[:32]}"

    def domain_verified(self, email: str) -> bool:
        domain = email.rsplit("@", 1)[-1].lower()
        return domain in {d.lower() for d in self.verified_domains}

    @property
    def uses_sso(self) -> bool:
        return self.mode != self.Mode.PASSWORD

    @property
    def sso_only(self) -> bool:
        return self.mode == self.Mode.SSO
