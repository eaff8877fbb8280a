from allauth.account.adapter import get_adapter
from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet

from accounts import addresses
from accounts.models import Event, Membership, Role, Tenant, User, Workgroup
from accounts.requests import client_ip
from accounts.services import Actor, event_record, tokens_end


class AdminLoginForm(AdminAuthenticationForm):
    """Django admin's sign-in through allauth's adapter, like every other sign-in: the same
    lockout per account and per client address (ACCOUNT_RATE_LIMITS["login_failed"]), counted
    together with the portal's login page and the token endpoint's passwords."""

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is not None and password:
            # Raises "too many failed attempts" past the limit, right password or not.
            self.user_cache = get_adapter(self.request).authenticate(
                self.request, email=email, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = AdminLoginForm


class MembershipFormSet(BaseInlineFormSet):
    """Django admin obeys the same rule as the portal: a tenant keeps an active tenant admin."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept_admins = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("role") == Role.ADMIN
            and form.cleaned_data.get("is_active")
        ]
        if not kept_admins:
            raise ValidationError("A tenant must keep at least one active tenant admin.")


class MembershipInlineForm(forms.ModelForm):
    """A membership stays its user's: to give the place to someone else, remove it and add theirs
    (moving it would leave the first user's tokens and cached auth state behind)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["user"].disabled = True


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipInlineForm
    formset = MembershipFormSet
    extra = 1
    autocomplete_fields = ["user"]
    fields = ["user", "role", "is_active"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "signup_mode", "is_active", "created_at"]
    search_fields = ["name", "domain"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        # Membership changes made here are audited like the portal's own, in the same transaction.
        by = Actor(user=request.user, ip=client_ip(request), system=True)
        with transaction.atomic():
            formset.save()
            for membership, fields in formset.changed_objects:
                if "is_active" in fields and not membership.is_active:  # as the portal deactivates
                    tokens_end(membership)
                    membership.save(update_fields=["tokens_valid_from"])
            changes = [(m, "member.add", {}) for m in formset.new_objects]
            changes += [
                (m, "member.update", {field: getattr(m, field) for field in fields})
                for m, fields in formset.changed_objects
            ]
            changes += [(m, "member.remove", {}) for m in formset.deleted_objects]
            for membership, action, data in changes:
                event_record(
                    tenant=membership.tenant,
                    by=by,
                    action=action,
                    target=membership,
                    via="django-admin",
                    **data,
                )


class _CanonicalEmail:
    """An address typed in Django admin is stored in its one canonical form, like every other."""

    def clean_email(self):
        email = addresses.canonical(self.cleaned_data["email"])
        problem = addresses.problem(email)
        if problem:
            raise ValidationError(f"This address {problem}.")
        return email


class UserCreationForm(_CanonicalEmail, AdminUserCreationForm):
    pass


class EmailAddressForm(_CanonicalEmail, forms.ModelForm):
    class Meta:
        model = EmailAddress
        fields = ["user", "email", "verified", "primary"]


admin.site.unregister(EmailAddress)  # allauth's, registered when its admin module was imported above


@admin.register(EmailAddress)
class CheckedEmailAddressAdmin(EmailAddressAdmin):
    """allauth's, with the rule every other path follows for the addresses it stores."""

    form = EmailAddressForm


class UserChangeForm(_CanonicalEmail, BaseUserChangeForm):
    pass


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    form = UserChangeForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        ("Status", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    list_filter = ["is_active", "is_staff"]
    filter_horizontal = []


@admin.register(Workgroup)
class WorkgroupAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "created_at"]
    list_filter = ["tenant"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "tenant", "actor_email", "action", "target_label", "ip"]
    list_filter = ["tenant", "action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
