"""Settings → Access: where the tenant may be reached from (tenant admins)."""

from django.contrib import messages
from django.shortcuts import redirect, render

from access import selectors, services
from access.forms import NetworkPolicyForm
from access.rules import AREAS, PAGES
from accounts.decorators import tenant_admin_required
from accounts.requests import actor_for, client_ip
from core.errors import ServiceError


@tenant_admin_required
def access_settings(request):
    tenant = request.tenant
    initial = {"allowed_networks": "\n".join(tenant.allowed_networks)}
    initial |= {f"for_{area}": getattr(tenant, f"networks_for_{area}") for area in AREAS}
    form = NetworkPolicyForm(request.POST or None, initial=initial)
    previewing = "preview" in request.POST
    preview = None
    if request.method == "POST" and form.is_valid():
        allowed, guarded = form.cleaned_data["allowed_networks"], form.guarded()
        if previewing:
            preview = selectors.network_preview(tenant=tenant, allowed=allowed, guarded=guarded)
        else:
            try:
                services.network_policy_update(
                    tenant=tenant, by=actor_for(request), allowed=allowed, guarded=guarded, via=PAGES
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Allowed networks of {tenant.name} saved.")
                return redirect("access_settings")
    elif request.method == "GET" and tenant.allowed_networks:
        guarded = {area: getattr(tenant, f"networks_for_{area}") for area in AREAS}
        preview = selectors.network_preview(tenant=tenant, allowed=tenant.allowed_networks, guarded=guarded)
    context = {"form": form, "preview": preview, "previewing": previewing, "address": client_ip(request)}
    return render(request, "access/settings.html", context, status=400 if form.errors else 200)
