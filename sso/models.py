import hashlib
import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Tenant


class SignIn(models.Model):
    """How people sign in at a tenant: with a password only (no row, or this mode), or also through
    the tenant's own identity provider, by OpenID Connect or SAML 2.0. Secrets are sealed
    (core.sealed): the OIDC client secret, and the private key of this tenant's SAML certificate."""

    class Mode(models.TextChoices):
        PASSWORD = "password", "Password only"
        BOTH = "both", "Password, or the organisation's single sign-on"
        SSO = "sso", "The organisation's single sign-on only (break-glass admins keep a password)"

    class Protocol(models.TextChoices):
        OIDC = "oidc", "OpenID Connect"
        SAML = "saml", "SAML 2.0"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="signin")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.PASSWORD)
    protocol = models.CharField(max_length=4, choices=Protocol.choices, default=Protocol.OIDC)
    organisation = models.CharField(max_length=100, blank=True)  # "Sign in with <organisation>"
    issuer = models.URLField(max_length=500, blank=True)  # its discovery document is issuer + /.well-known/…
    client_id = models.CharField(max_length=200, blank=True)
    client_secret_sealed = models.TextField(blank=True)
    scopes = models.CharField(max_length=200, default="openid email profile")
    authorization_origin = models.CharField(max_length=300, blank=True)  # from discovery, for the CSP
    end_session_url = models.URLField(max_length=500, blank=True)  # from discovery: RP-initiated logout
    # SAML: the identity provider as its metadata describes it (uploaded, or read from a URL and
    # read again daily), the one signing certificate trusted, and what is wrong with it if anything.
    saml_entity_id = models.CharField(max_length=500, blank=True)
    saml_sso_url = models.URLField(max_length=500, blank=True)
    saml_slo_url = models.URLField(max_length=500, blank=True)
    saml_certificate = models.TextField(blank=True)  # base64 DER, as in the metadata
    saml_metadata_url = models.URLField(max_length=500, blank=True)
    saml_checked_at = models.DateTimeField(null=True, blank=True)
    saml_problem = models.TextField(blank=True)  # sign-in through it is off while there is one
    saml_notice = models.TextField(blank=True)  # worth knowing, not stopping: metadata unreadable today
    saml_signed = models.BooleanField(default=True)  # assertions must be signed (responses always are)
    saml_encrypted = models.BooleanField(default=False)  # assertions must be encrypted to us
    saml_idp_initiated = models.BooleanField(default=False)  # unsolicited responses (replay-guarded)
    # This tenant's own SAML key pair: it signs requests, and assertions are encrypted to it.
    sp_certificate = models.TextField(blank=True)
    sp_key_sealed = models.TextField(blank=True)
    # Names of the attributes (SAML) or claims (OIDC) holding email, first_name, last_name, groups;
    # and which groups put people in which workgroups: [{"group": …, "workgroup": uuid}, …].
    claims = models.JSONField(default=dict, blank=True)
    group_map = models.JSONField(default=list, blank=True)
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
                condition=models.Q(mode="password")
                | models.Q(protocol="oidc") & ~models.Q(issuer="") & ~models.Q(client_id="")
                | models.Q(protocol="saml") & ~models.Q(saml_entity_id="") & ~models.Q(saml_sso_url=""),
                name="signin_sso_configured",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant}: {self.get_mode_display()}"

    @property
    def provider_id(self) -> str:
        """allauth's provider id of this tenant's provider: accounts are (provider id, subject), so
        the same subject from another tenant's provider, or from another issuer or client set here
        later, is another account. (It is also the SAML URLs' organisation slug.)"""
        if self.protocol == self.Protocol.SAML:
            named = f"{self.pk}|saml|{self.saml_entity_id}".encode()
        else:
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

    @property
    def idp_name(self) -> str:
        """The provider as the event log names it: its issuer, or its SAML entity ID."""
        return self.saml_entity_id if self.protocol == self.Protocol.SAML else self.issuer


class SeenAssertion(models.Model):
    """A SAML assertion ID already used to sign in, until the assertion would have expired anyway:
    the same assertion presented again (replayed) is refused. Pruned daily."""

    key = models.CharField(max_length=64, primary_key=True)  # sha256(provider id | assertion ID)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key


class ScimToken(models.Model):
    """A tenant's token for provisioning by SCIM (`scim_<prefix>_<secret>`): made on the settings
    page, shown once, kept as a SHA-256 digest (the secret is 256 random bits), revocable. It is
    the tenant's, not a person's: what it does is in the event log under its name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="scim_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} (scim_{self.prefix}_…)"


class ScimUser(models.Model):
    """What a SCIM client said of a member beyond what the account keeps (its name's parts, display
    name, email list, external ID), so it reads back what it wrote."""

    membership = models.OneToOneField("accounts.Membership", on_delete=models.CASCADE, related_name="scim")
    external_id = models.CharField(max_length=300, blank=True)
    attributes = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"SCIM {self.membership}"


class ScimGroup(models.Model):
    workgroup = models.OneToOneField("accounts.Workgroup", on_delete=models.CASCADE, related_name="scim")
    external_id = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"SCIM {self.workgroup}"
