import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Tenant
from core.invalidation import QuerySet
from licenses import methods

USAGE_FETCHES = "credential.fetch"  # core.usage kind: premium.lic downloads that got a file (by address)
USAGE_VALIDATIONS = "credential.validate"  # core.usage kind: online validations of its files
MAX_GRACE_DAYS = 14
MAX_SEATS = 10_000


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
    # When the tenant admins were told the term ends in 30 and in 7 days (each once per end date).
    reminded_30_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_7_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Days a tool may keep using an expired file, with a warning (the files' `grace`).
    grace_days = models.PositiveSmallIntegerField(default=0)
    # At most this many credentials (instruments); None: no cap (licenses/services/seats.py).
    seats = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuerySet.as_manager()  # bulk writes change the caches' generations

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
            models.CheckConstraint(
                condition=models.Q(grace_days__lte=MAX_GRACE_DAYS), name="license_grace_max"
            ),
            models.CheckConstraint(
                condition=models.Q(seats__isnull=True) | models.Q(seats__gte=1, seats__lte=MAX_SEATS),
                name="license_seats_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def status_at(self, now) -> str:
        """What the license is worth now: revoked is for good; past its end it is expired even before
        the sweep has marked it (a suspended one too: there is nothing left to resume)."""
        if self.state in (self.State.REVOKED, self.State.EXPIRED):
            return self.state
        if self.ends_at <= now:
            return self.State.EXPIRED
        return self.state

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    def source_ends(self) -> dict:
        """Each source's end: its own term's, else the license's (terms prefetched or read here)."""
        own = {term.source: term.ends_at for term in self.terms.all()}
        return {source: own.get(source, self.ends_at) for source in self.sources}


class SourceTerm(models.Model):
    """A source that ends before its license does (COSMIC until March on a license to December)."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="terms")
    source = models.CharField(max_length=20)
    ends_at = models.DateTimeField()
    # When the tenant admins were told this source ends in 30 and in 7 days.
    reminded_30_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_7_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = QuerySet.as_manager()  # bulk writes change the caches' generations

    class Meta:
        ordering = ["ends_at", "source"]
        indexes = [models.Index(fields=["ends_at"], name="sourceterm_end")]
        constraints = [
            models.UniqueConstraint(fields=["license", "source"], name="sourceterm_one_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.source} until {self.ends_at:%Y-%m-%d}"


class Credential(models.Model):
    """One way a tool proves it holds a license. Secrets are never stored, only their hashes."""

    # From the table of methods (licenses/methods.py): Method.DRAGEN_SERIAL == "dragen_serial".
    Method = models.TextChoices("Method", [(name.upper(), (name, label)) for name, label in methods.CHOICES])

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The license's tenant, here too so that the database can hold identifiers unique per tenant.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", editable=False)
    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="credentials")
    method = models.CharField(max_length=20, choices=Method.choices)
    # The public identifier, named (hashed) in every file: the serial number, the BYOL user id, or
    # this row's id for a DRAGEN API key.
    identifier = models.CharField(max_length=100)
    secret_hash = models.CharField(max_length=200, blank=True, help_text="BYOL: a slow password hash.")
    key_digest = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    key_prefix = models.CharField(max_length=8, blank=True, help_text="DRAGEN API key: its first characters.")
    # BYOL: the SHA-256 of the generated password, the key of an offline activation's proof
    # (premiumreq). Empty for credentials made before it: their activations are confirmed by hand.
    secret_digest = models.CharField(max_length=64, blank=True, editable=False)
    is_enabled = models.BooleanField(default=True)
    # Outbox: set when a new file is wanted, cleared by the job that wrote it; a periodic sweep
    # enqueues what a lost job left behind.
    file_wanted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    objects = QuerySet.as_manager()  # bulk writes change the caches' generations

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["file_wanted_at"],
                name="credential_file_wanted",
                condition=models.Q(file_wanted_at__isnull=False),
            )
        ]
        constraints = [
            # A serial number (or BYOL user id) names one credential in its tenant. Per tenant, not
            # portal-wide: whether another tenant holds a serial must never show (a refusal to add
            # one would tell), and the tools' endpoint looks a credential up only in the tenant
            # whose host it was asked at.
            models.UniqueConstraint(
                fields=["tenant", "method", "identifier"], name="credential_identifier_unique_per_tenant"
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=list(methods.METHODS)),
                name="credential_method_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.shown}"

    @property
    def shown(self) -> str:
        """How lists show it: the serial number, the BYOL user id, a key's first characters."""
        return methods.METHODS[self.method].shown(self)


class LicenseFile(models.Model):
    """A premium.lic the portal issued. The latest file of a credential is the one not superseded;
    it is current until the expiry sweep marks it expired.

    The row is kept narrow (the file's text is in LicenseFileBody) and `status` is in no index, so
    the sweep's update stays on its page (a PostgreSQL HOT update: no index entry is written)."""

    class Status(models.TextChoices):
        CURRENT = "current"
        SUPERSEDED = "superseded"
        EXPIRED = "expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # the file's `fid`
    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="files")
    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="files")
    sources = models.JSONField()
    issued_at = models.DateTimeField()
    not_before = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CURRENT)
    superseded_at = models.DateTimeField(null=True, blank=True)
    # The file's `seq`: one more than the credential's file before it (0: signed before `seq`).
    seq = models.PositiveIntegerField(default=0)
    # Its end is the license's or a source's: no later file can last longer until that end passes.
    bounded = models.BooleanField(default=False)

    objects = QuerySet.as_manager()  # bulk writes change the caches' generations

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["expires_at"], name="licensefile_expiry")]
        constraints = [
            models.UniqueConstraint(
                fields=["credential"],
                condition=models.Q(superseded_at__isnull=True),
                name="licensefile_one_latest_per_credential",
            ),
        ]

    def __str__(self) -> str:
        return f"premium.lic {self.id}"

    @property
    def text(self) -> str:
        return self.body.text


class LicenseFileBody(models.Model):
    """The signed text of a LicenseFile, apart so the file's own row stays narrow."""

    file = models.OneToOneField(LicenseFile, primary_key=True, on_delete=models.CASCADE, related_name="body")
    text = models.TextField()

    objects = QuerySet.as_manager()  # bulk writes change the caches' generations

    def __str__(self) -> str:
        return f"text of premium.lic {self.file_id}"


class SweepMark(models.Model):
    """Up to when a periodic sweep has done its work, so the next one starts there."""

    name = models.CharField(primary_key=True, max_length=50)
    swept_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} swept until {self.swept_until:%Y-%m-%d %H:%M:%S}"


class RevokedFile(models.Model):
    """A file tools must refuse offline although its signature and dates hold: its credential or
    license was deleted. Listed until it would have expired anyway, grace included."""

    file_id = models.UUIDField(primary_key=True)
    license_id = models.UUIDField()  # no foreign key: the license may be gone
    until = models.DateTimeField()
    revoked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["until"], name="revokedfile_until"),
            models.Index(fields=["revoked_at"], name="revokedfile_revoked_at"),
        ]

    def __str__(self) -> str:
        return f"revoked premium.lic {self.file_id}"


class RevocationList(models.Model):
    """A signed revocation list as published; the newest (highest `seq`) is the one served."""

    seq = models.BigAutoField(primary_key=True)
    issued_at = models.DateTimeField()
    next_at = models.DateTimeField()
    text = models.TextField()

    def __str__(self) -> str:
        return f"revocation list {self.seq}"


class UsageAlert(models.Model):
    """An alert the tenant admins were sent, once: a credential fetched from more addresses than
    PORTAL_LICENSE_ADDRESSES_ALERT on `day`, or, after fetching daily, silent since `day`."""

    class Kind(models.TextChoices):
        ADDRESSES = "addresses"
        SILENT = "silent"

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["credential", "kind", "day"], name="usage_alert_once")]

    def __str__(self) -> str:
        return f"{self.kind} alert for {self.credential_id} on {self.day}"
