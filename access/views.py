"""Settings → Access: where the tenant may be reached from, and its password rules (tenant admins)."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render

from access import selectors, services
from access.forms import MfaPolicyForm, NetworkPolicyForm, PasswordPolicyForm
from access.rules import AREAS, PAGES
from accounts.decorators import tenant_admin_required
from accounts.requests import actor_for, client_ip
from core.errors import ServiceError


@tenant_admin_required
def access_settings(request):
    tenant, posted = request.tenant, request.POST.get("form")
    networks = NetworkPolicyForm(
        request.POST if posted == "networks" else None, initial=_networks_initial(tenant)
    )
    passwords = PasswordPolicyForm(
        request.POST if posted == "passwords" else None, initial=_passwords_initial(tenant)
    )
    mfa = MfaPolicyForm(request.POST if posted == "mfa" else None, initial=_mfa_initial(tenant))
    preview = None
    if posted == "networks" and networks.is_valid():
        allowed, guarded = networks.cleaned_data["allowed_networks"], networks.guarded()
        if "preview" in request.POST:
            preview = selectors.network_preview(tenant=tenant, allowed=allowed, guarded=guarded)
        elif _saved(
            request, networks, services.network_policy_update, allowed=allowed, guarded=guarded, via=PAGES
        ):
            return redirect("access_settings")
    elif posted == "passwords" and passwords.is_valid():
        if _saved(request, passwords, services.password_policy_update, **passwords.cleaned_data):
            return redirect("access_settings")
    elif posted == "mfa" and mfa.is_valid():
        if _saved(request, mfa, services.mfa_policy_update, **mfa.cleaned_data):
            return redirect("access_settings")
    elif request.method == "GET" and tenant.allowed_networks:
        guarded = {area: getattr(tenant, f"networks_for_{area}") for area in AREAS}
        preview = selectors.network_preview(tenant=tenant, allowed=tenant.allowed_networks, guarded=guarded)
    context = {
        "form": networks, "passwords": passwords, "mfa": mfa, "preview": preview,
        "previewing": "preview" in request.POST, "address": client_ip(request),
        "mfa_deadline": _mfa_deadline(tenant),
    }  # fmt: skip
    invalid = networks.errors or passwords.errors or mfa.errors
    return render(request, "access/settings.html", context, status=400 if invalid else 200)


def _saved(request, form, service, **change) -> bool:
    """Whether `service` made the change; if not, the form says why."""
    try:
        service(tenant=request.tenant, by=actor_for(request), **change)
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return False
    what = {NetworkPolicyForm: "Allowed networks", PasswordPolicyForm: "Password rules"}.get(
        type(form), "Second factor rules"
    )
    messages.success(request, f"{what} of {request.tenant.name} saved.")
    return True


def _networks_initial(tenant) -> dict:
    initial = {"allowed_networks": "\n".join(tenant.allowed_networks)}
    return initial | {f"for_{area}": getattr(tenant, f"networks_for_{area}") for area in AREAS}


def _passwords_initial(tenant) -> dict:
    return {
        "min_length": tenant.password_min_length, "classes": tenant.password_classes,
        "history": tenant.password_history, "max_age_days": tenant.password_max_age_days,
    }  # fmt: skip


def _mfa_initial(tenant) -> dict:
    return {
        "required": tenant.mfa_required,
        "grace_days": tenant.mfa_grace_days,
        "passkey_login": tenant.passkey_login,
    }


def _mfa_deadline(tenant):
    since = tenant.mfa_required_since
    return since + timedelta(days=tenant.mfa_grace_days) if since else None
