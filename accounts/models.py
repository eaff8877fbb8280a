import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts import addresses
from core.invalidation import QuerySet

JWT_LIFETIME_MIN = 5 * 60
JWT_LIFETIME_MAX = 24 * 60 * 60
SESSION_IDLE_MIN, SESSION_IDLE_MAX = 5, 24 * 60  # minutes
SESSION_MAX_HOURS = 30 * 24
PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 8, 128
PASSWORD_HISTORY_MAX, PASSWORD_MAX_AGE_DAYS = 24, 3650
MFA_GRACE_MAX = 90  # days
USAGE_FAILED_SIGNINS = "tenant.signin_failed"  # core.usage kind: wrong passwords at a tenant's host


class MfaRequired(models.TextChoices):
    OFF = "off", "Nobody"
    ADMINS = "admins", "Tenant admins"
    EVERYONE = "everyone", "Everyone"


class Tenant(models.Model):
    class SignupMode(models.TextChoices):
        OPEN = "open", "Open: anyone may sign up"
        EMAIL_DOMAIN = "email-domain", "Only listed email domains"
        INVITE_ONLY = "invite-only", "Invitation only"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    domain = models.CharField(max_length=253, unique=True, help_text="Host name, no port.")
    is_active = models.BooleanField(default=True)
    signup_mode = models.CharField(max_length=20, choices=SignupMode.choices, default=SignupMode.INVITE_ONLY)
    allowed_email_domains = models.JSONField(default=list, blank=True)
    jwt_lifetime_seconds = models.PositiveIntegerField(default=3600)
    apikey_max_lifetime_days = models.PositiveIntegerField(default=365)
    # Browser sessions here end after this long without a request, and this long after sign-in.
    session_idle_minutes = models.PositiveIntegerField(default=30)
    session_max_hours = models.PositiveIntegerField(default=12)
    # Where the tenant may be reached from (CIDR text, core.networks), for each area that is on:
    # browser pages and sign-in, the REST API and token exchange, the tools' premium.lic endpoint.
    allowed_networks = models.JSONField(default=list, blank=True)
    networks_for_pages = models.BooleanField(default=False)
    networks_for_api = models.BooleanField(default=False)
    networks_for_tools = models.BooleanField(default=False)
    # Passwords (access.passwords): the shortest allowed, the character classes each must have
    # (lower, upper, digit, symbol), how many earlier ones may not come back, and after how many
    # days one must be changed at the next sign-in (0: never).
    password_min_length = models.PositiveIntegerField(default=12)
    password_classes = models.JSONField(default=list, blank=True)
    password_history = models.PositiveIntegerField(default=0)
    password_max_age_days = models.PositiveIntegerField(default=0)
    # A second factor (TOTP or a passkey) required of nobody, tenant admins or everyone
    # (access.mfa): asked at every sign-in for the grace days from when it was required (or
    # from joining, if later), then required before anything else. Passkeys may also sign in alone.
    mfa_required = models.CharField(max_length=10, choices=MfaRequired.choices, default=MfaRequired.OFF)
    mfa_grace_days = models.PositiveIntegerField(default=14)
    mfa_required_since = models.DateTimeField(null=True, blank=True)  # when the present rule began
    mfa_admins_since = models.DateTimeField(null=True, blank=True)  # when tenant admins were first covered
    passkey_login = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = QuerySet.as_manager()  # bulk writes change the caches' generations

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(jwt_lifetime_seconds__gte=JWT_LIFETIME_MIN)
                & models.Q(jwt_lifetime_seconds__lte=JWT_LIFETIME_MAX),
                name="tenant_jwt_lifetime_range",
            ),
            models.CheckConstraint(
                condition=models.Q(apikey_max_lifetime_days__gte=1)
                & models.Q(apikey_max_lifetime_days__lte=3650),
                name="tenant_apikey_lifetime_range",
            ),
            models.CheckConstraint(
                condition=models.Q(session_idle_minutes__gte=SESSION_IDLE_MIN)
                & models.Q(session_idle_minutes__lte=SESSION_IDLE_MAX),
                name="tenant_session_idle_range",
            ),
            models.CheckConstraint(
                condition=models.Q(session_max_hours__gte=1)
                & models.Q(session_max_hours__lte=SESSION_MAX_HOURS),
                name="tenant_session_max_range",
            ),
            models.CheckConstraint(condition=models.Q(domain=Lower("domain")), name="tenant_domain_lower"),
            models.CheckConstraint(
                condition=models.Q(password_min_length__gte=PASSWORD_MIN_LENGTH)
                & models.Q(password_min_length__lte=PASSWORD_MAX_LENGTH)
                & models.Q(password_history__lte=PASSWORD_HISTORY_MAX)
                & models.Q(password_max_age_days__lte=PASSWORD_MAX_AGE_DAYS),
                name="tenant_password_policy_range",
            ),
            models.CheckConstraint(
                condition=models.Q(mfa_grace_days__lte=MFA_GRACE_MAX), name="tenant_mfa_grace_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def email_domain_allowed(self, email: str) -> bool:
        domain = email.rsplit("@", 1)[-1].lower()
        return domain in {d.lower() for d in self.allowed_email_domains}


class UserManager(BaseUserManager.from_queryset(QuerySet)):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        email = addresses.canonical(email)
        problem = addresses.problem(email)
        if problem:  # createsuperuser, the shell: the rule sign-up and invitations follow
            raise ValueError(f"{email} {problem}.")
        user = self.model(email=email, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A global identity; what it may do in a tenant comes from its Membership there."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Canonical (accounts.addresses): looked up by exact equality on this unique index, never
    # by database case folding.
    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    password_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="Bearer tokens issued before this are refused."
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.email

    def set_password(self, raw_password) -> None:
        # Every path that changes a password (allauth, reset, Django admin, changepassword) comes
        # through here; the stamp is what makes tokens minted before the change stop working.
        if self.password:
            self.password_changed_at = timezone.now()
        super().set_password(raw_password)


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    ADMIN = "admin", "Admin"


def _this_second():
    return timezone.now().replace(microsecond=0)


class Membership(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Bearer tokens issued (`iat`, whole seconds) before this are refused: a token of an earlier
    # membership (removed, then joined again) never works in this one, nor one minted before a
    # deactivation once the member is reactivated. None: none refused (memberships made before
    # this rule).
    tokens_valid_from = models.DateTimeField(null=True, blank=True, default=_this_second, editable=False)

    objects = QuerySet.as_manager()  # bulk writes change the caches' generations

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.is_active and self.role == Role.ADMIN


class Workgroup(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="workgroups")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    objects = QuerySet.as_manager()  # bulk writes change the caches' generations

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="workgroup_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class WorkgroupMembership(models.Model):
    workgroup = models.ForeignKey(Workgroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="workgroup_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    objects = QuerySet.as_manager()  # bulk writes change the caches' generations

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workgroup", "user"], name="workgroup_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workgroup} ({self.role})"


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REVOKED = "revoked"
        EXPIRED = "expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "tenant",
                "email",
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def is_usable(self) -> bool:
        return self.status == self.Status.PENDING and self.expires_at > timezone.now()

    def sentence(self) -> str:
        """Who invited whom to what, as the invitee reads it."""
        by = self.invited_by
        who = f"{by.full_name} ({by.email})" if by is not None and by.full_name else by.email if by else ""
        what = f"to {self.tenant.name} as {'a tenant admin' if self.role == Role.ADMIN else 'a member'}"
        return f"{who} invited {self.email} {what}." if who else f"{self.email} was invited {what}."


class Event(models.Model):
    """The audit log: written in the same transaction as the change it records."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=254, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="event_tenant_time"),
            models.Index(fields=["tenant", "action", "-created_at"], name="event_tenant_action_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_email} {self.action} {self.target_label}"
