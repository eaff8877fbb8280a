"""Manage API Keys (every member) and the tenant key inventory (tenant admins)."""

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts.decorators import member_required, tenant_admin_required
from accounts.models import Workgroup
from accounts.requests import actor_for
from apikeys import keyring, selectors, services
from apikeys.forms import ApiKeyForm, RegenerateForm, RenameForm
from apikeys.models import ApiKey
from core import shown_once
from core.errors import ServiceError


@cache_control(public=True, max_age=300)
def jwks(request):
    """The public keys that verify our JWTs, for any JOSE library, offline."""
    return JsonResponse(keyring.current().jwks)


def _key_form(request, data=None) -> ApiKeyForm:
    mine = account_selectors.user_workgroups(tenant=request.tenant, user=request.user)
    return ApiKeyForm(
        data, workgroups=[wgm.workgroup for wgm in mine], max_days=request.tenant.apikey_max_lifetime_days
    )


def _page(request, *, form=None, status=200):
    shown_status = request.GET.get("status", "")
    shown_status = shown_status if shown_status in ApiKey.Status.values else ""
    sort = request.GET.get("sort", "created")
    sort = sort if sort in selectors.SORTS else "created"
    apikeys = list(
        selectors.apikeys_of(tenant=request.tenant, user=request.user, status=shown_status, sort=sort)
    )
    context = {
        "apikeys": apikeys,
        "usage": selectors.key_usage(apikeys),
        "form": form or _key_form(request),
        "regenerate_form": RegenerateForm(),
        "created": _created(request),  # (ApiKey, key text): shown this once
        "limit": settings.APIKEYS_MAX_PER_USER,
        "live": selectors.live_key_count(tenant=request.tenant, user=request.user),
        "statuses": ApiKey.Status.values,
        "shown_status": shown_status,
        "sorts": {name: label for name, (label, _) in selectors.SORTS.items()},
        "sort": sort,
    }
    return shown_once.protect(request, render(request, "apikeys/manage.html", context, status=status))


def _created(request):
    """The key a Generate or Regenerate just made, for the GET its POST redirected to."""
    shown = shown_once.take(request, "apikey")
    if shown is not None:
        apikey = (
            selectors.apikeys_of(tenant=request.tenant, user=request.user).filter(pk=shown["apikey"]).first()
        )
        if apikey is not None:
            return apikey, shown["text"]
    return None


def _show_once(request, created):
    apikey, text = created
    return shown_once.redirect(
        request, reverse("apikeys"), "apikey", {"apikey": str(apikey.pk), "text": text}
    )


@member_required
def manage(request):
    if request.method != "POST":
        return _page(request)
    form = _key_form(request, request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    scope = services.ALL
    if form.cleaned_data["scope"] != services.ALL:
        scope = list(Workgroup.objects.filter(tenant=request.tenant, pk__in=form.cleaned_data["workgroups"]))
    try:
        created = services.apikey_create(
            tenant=request.tenant,
            user=request.user,
            name=form.cleaned_data["name"],
            workgroups=scope,
            expires_at=form.expires_at(),
            by=actor_for(request),
            allowed_networks=form.cleaned_data["allowed_networks"],
        )
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return _page(request, form=form, status=exc.status)
    return _show_once(request, created)


def _confirm_and_revoke(request, apikey, *, done: str):
    """GET: the confirmation (also loaded into the page's dialog); POST: revoke at once."""
    if request.method != "POST":
        return render(request, "apikeys/revoke.html", {"apikey": apikey, "action": request.path})
    services.apikey_revoke(apikey=apikey, by=actor_for(request))
    whose = "The" if apikey.user_id == request.user.pk else f"{apikey.user.email}'s"
    messages.success(request, f"{whose} key {apikey.name} ({apikey.prefix}…) is revoked; it no longer works.")
    return redirect(done)


@member_required
def revoke(request, apikey_id):
    return _confirm_and_revoke(request, selectors.get_apikey_for_request(request, apikey_id), done="apikeys")


@member_required
def rename(request, apikey_id):
    """GET: the form (also loaded into the page's dialog); POST: rename, back to the list."""
    apikey = selectors.get_apikey_for_request(request, apikey_id)
    initial = {"name": apikey.name, "allowed_networks": "\n".join(apikey.allowed_networks)}
    form = RenameForm(request.POST or None, initial=initial, auto_id="rename-%s")  # in a dialog
    if request.method == "POST" and form.is_valid():
        old = apikey.name
        try:
            services.apikey_update(apikey=apikey, by=actor_for(request), **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            renamed = f" is now called {apikey.name}" if apikey.name != old else " is saved"
            messages.success(request, f"Key {old} ({apikey.prefix}…){renamed}.")
        return redirect("apikeys")
    status = 400 if form.errors else 200
    return render(request, "apikeys/rename.html", {"apikey": apikey, "form": form}, status=status)


@member_required
def regenerate(request, apikey_id):
    apikey = selectors.get_apikey_for_request(request, apikey_id)
    form = RegenerateForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "apikeys/regenerate.html", {"apikey": apikey, "form": form})
    try:
        created = services.apikey_regenerate(
            apikey=apikey, by=actor_for(request), overlap=form.cleaned_data["overlap"]
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("apikeys")
    return _show_once(request, created)


@tenant_admin_required
def inventory(request):
    include_ended = request.GET.get("ended") == "1"
    context = {
        "apikeys": selectors.tenant_apikeys(tenant=request.tenant, include_ended=include_ended),
        "include_ended": include_ended,
        "departed": selectors.departed_key_count(tenant=request.tenant),
    }
    return render(request, "apikeys/inventory.html", context)


@tenant_admin_required
def inventory_revoke(request, apikey_id):
    apikey = selectors.get_tenant_apikey_for_request(request, apikey_id)
    return _confirm_and_revoke(request, apikey, done="apikey_inventory")


@require_POST
@tenant_admin_required
def inventory_revoke_departed(request):
    count = services.apikeys_revoke_departed(tenant=request.tenant, by=actor_for(request))
    messages.success(request, f"Revoked {count} key{'s' if count != 1 else ''} of departed members.")
    return redirect("apikey_inventory")
