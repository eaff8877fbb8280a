import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Membership, Tenant, User, Workgroup
from core.invalidation import QuerySet

ROTATION_DUE_AFTER = timedelta(days=335)  # about 11 months: time to plan the yearly rotation
USAGE_REQUESTS = "apikey.request"  # core.usage kinds: Bearer calls with a token from the key,
USAGE_TOKENS = "apikey.token"  # and tokens it was exchanged for


class ApiKey(models.Model):
    """A user's API key in one tenant. Only the SHA-256 digest of the key text is kept."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        EXPIRED = "expired"
        REVOKED = "revoked"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="apikeys")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="apikeys")
    # The membership it was made in: removing the member removes the key (every path, Django admin
    # included), so joining the tenant again never brings an old key back to life.
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="apikeys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, help_text="The first characters, to tell keys apart.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    all_workgroups = models.BooleanField(default=True, help_text="All current and future workgroups.")
    workgroups = models.ManyToManyField(Workgroup, blank=True, related_name="+")
    # Where the key, and every token minted from it, may be used from (CIDR text, core.networks);
    # empty: wherever the tenant allows.
    allowed_networks = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the key was regenerated: it then lives on only for the chosen overlap window, and
    # counts against the owner's limit while it works.
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    objects = QuerySet.as_manager()  # bulk writes change the caches' generations

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "user", "-created_at"], name="apikey_owner_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="apikey_expires_after_created"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def status_at(self, now) -> str:
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def rotation_due(self) -> bool:
        return self.status == self.Status.ACTIVE and timezone.now() - self.created_at >= ROTATION_DUE_AFTER


class TokenUser(User):
    """`request.user` of a Bearer request, built from the cached auth snapshot without a query.

    It carries id, email, name and active flag only, so it must never be saved over the real row.
    """

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):
        raise TypeError("A TokenUser is a read-only view of the user; load the User to change it.")


class CliGrant(models.Model):
    """`portal login`: someone signed in in the browser lets the CLI act as them. By loopback (the
    CLI's local web server gets a one-time code, redeemed with the PKCE verifier only the CLI
    holds) or by device code (the person types the code the CLI shows). Codes are kept as SHA-256
    digests, live minutes, and are redeemed once."""

    class Kind(models.TextChoices):
        LOOPBACK = "loopback"
        DEVICE = "device"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    code_digest = models.CharField(max_length=64, unique=True)  # the loopback code, or the device code
    user_code = models.CharField(max_length=9, blank=True, db_index=True)  # device: what the person types
    challenge = models.CharField(max_length=64, blank=True)  # loopback: base64url(SHA-256(verifier))
    label = models.CharField(max_length=100, blank=True)  # which computer, as the CLI says
    requested_from = models.GenericIPAddressField(null=True)  # device: where the CLI asked from
    user = models.ForeignKey(User, null=True, on_delete=models.CASCADE, related_name="+")
    amr = models.JSONField(default=list)  # how that person signed in
    auth_time = models.IntegerField(null=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True)
    redeemed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.kind} grant for {self.user or 'nobody yet'} at {self.tenant}"
