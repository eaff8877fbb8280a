"""Settings → Sign-in: the tenant's identity provider (tenant admins)."""

from django.contrib import messages
from django.shortcuts import redirect, render

from accounts.decorators import tenant_admin_required
from accounts.requests import actor_for
from core.errors import ServiceError
from sso import selectors, services
from sso.forms import SignInForm


@tenant_admin_required
def signin_settings(request):
    signin = selectors.signin_of(request.tenant)
    initial = {"mode": "password", "scopes": "openid email profile"}
    if signin is not None:
        initial = {
            name: getattr(signin, name) for name in ("mode", "organisation", "issuer", "client_id", "scopes")
        }
        initial["break_glass"] = list(signin.break_glass.all())
    form = SignInForm(request.POST or None, initial=initial, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            data = {**form.cleaned_data, "break_glass": list(form.cleaned_data["break_glass"])}
            services.signin_update(tenant=request.tenant, by=actor_for(request), **data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Sign-in settings of {request.tenant.name} saved.")
            return redirect("signin_settings")
    context = {
        "form": form,
        "signin": signin,
        "callback": _callback_url(request, signin),
        "not_connected": selectors.members_not_connected(signin) if signin and signin.uses_sso else 0,
    }
    return render(request, "sso/settings.html", context, status=400 if form.errors else 200)


def _callback_url(request, signin) -> str | None:
    """The redirect URI to register at the identity provider (allauth's callback for this tenant's
    provider id), on this tenant's own host."""
    if signin is None:
        return None
    return request.build_absolute_uri(f"/accounts/oidc/{signin.provider_id}/login/callback/")
