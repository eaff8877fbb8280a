"""Licenses pages (tenant admins) and the public key endpoint."""

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

import premiumreq
from accounts.decorators import tenant_admin_required
from accounts.requests import actor_for
from core import shown_once
from core.errors import ServiceError
from licenses import keyring, methods, selectors, services
from licenses.forms import CredentialForm, LicenseEditForm, LicenseForm


@cache_control(public=True, max_age=300)
def license_keys(request):
    """The public keys that verify premium.lic files (JWKS, OKP/Ed25519), for tools offline."""
    return JsonResponse(keyring.current().jwks)


@cache_control(public=True, max_age=60)
def license_revocations(request):
    """The signed list of revoked premium.lic files and licenses, for tools to check offline."""
    listed = services.revocations_current()
    response = HttpResponse(listed.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="premium-license-revocations"'
    return response


@tenant_admin_required
def license_list(request):
    form = LicenseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.term()
        try:
            license = services.license_create(
                tenant=request.tenant,
                by=actor_for(request),
                name=form.cleaned_data["name"],
                sources=form.cleaned_data["sources"],
                starts_at=starts_at,
                ends_at=ends_at,
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"License {license.name} created. Add the credentials its tools will use."
            )
            return redirect("license", license.pk)
    context = {"licenses": selectors.licenses_of_tenant(request.tenant), "form": form, "now": timezone.now()}
    return render(request, "licenses/list.html", context, status=400 if form.errors else 200)


def _detail(request, license, *, edit_form=None, credential_form=None, status=200):
    credentials = list(selectors.credentials_of_license(license))
    context = {
        "license": license,
        "source_terms": license.terms.all(),
        "credentials": credentials,
        "usage": selectors.credential_usage(credentials),
        "files": selectors.files_of_license(license)[:50],
        "edit_form": edit_form or LicenseEditForm.for_license(license),
        "credential_form": credential_form or CredentialForm(),
        "created": _created(request, license),  # a new credential's secrets and downloads, once
        "challenge": services.activation_challenge(license),
        "now": timezone.now(),
    }
    return shown_once.protect(request, render(request, "licenses/detail.html", context, status=status))


@tenant_admin_required
def license_detail(request, license_id):
    return _detail(request, selectors.get_license_for_request(request, license_id))


@require_POST
@tenant_admin_required
def license_edit(request, license_id):
    license = selectors.get_license_for_request(request, license_id)
    form = LicenseEditForm.for_license(license, request.POST)
    if form.is_valid():
        try:
            services.license_update(license=license, by=actor_for(request), **form.changes())
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "License updated. Its credentials get new files with the new terms.")
            return redirect("license", license.pk)
    return _detail(request, license, edit_form=form, status=400)


def _state_change(request, license_id, service, done: str, *, confirm: str | None = None):
    license = selectors.get_license_for_request(request, license_id)
    if request.method != "POST":
        if confirm is None:
            return redirect("license", license.pk)
        return render(request, confirm, {"license": license, "action": request.path})
    try:
        service(license=license, by=actor_for(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(name=license.name))
    return redirect("license", license.pk)


@tenant_admin_required
def license_suspend(request, license_id):
    return _state_change(
        request, license_id, services.license_suspend, "{name} is suspended: its tools get no premium files."
    )


@tenant_admin_required
def license_resume(request, license_id):
    return _state_change(request, license_id, services.license_resume, "{name} is active again.")


@tenant_admin_required
def license_revoke(request, license_id):
    return _state_change(
        request,
        license_id,
        services.license_revoke,
        "{name} is revoked: its files fail online validation from now on.",
        confirm="licenses/revoke.html",
    )


@tenant_admin_required
def license_delete(request, license_id):
    license = selectors.get_license_for_request(request, license_id)
    if request.method != "POST":
        return render(request, "licenses/delete.html", {"license": license, "action": request.path})
    services.license_delete(license=license, by=actor_for(request))
    messages.success(request, f"License {license.name} deleted, with its credentials and files.")
    return redirect("licenses")


@require_POST
@tenant_admin_required
def credential_add(request, license_id):
    license = selectors.get_license_for_request(request, license_id)
    form = CredentialForm(request.POST)
    if not form.is_valid():
        return _detail(request, license, credential_form=form, status=400)
    try:
        new = services.credential_add(
            license=license,
            by=actor_for(request),
            method=form.cleaned_data["method"],
            **form.given(),
        )
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return _detail(request, license, credential_form=form, status=exc.status)
    credential, secrets = new.credential, new.secrets
    fields, downloads = methods.METHODS[credential.method].shown_once(credential, secrets)
    shown = {
        "credential": str(credential.pk),
        "fields": fields,
        "downloads": downloads,
        "secret": bool(secrets),
    }
    return shown_once.redirect(request, reverse("license", args=[license.pk]), "credential", shown)


def _created(request, license) -> dict | None:
    """What the page shows of a credential just added (with the files the tools read it from), for
    the GET its POST redirected to."""
    shown = shown_once.take(request, "credential")
    if shown is None:
        return None
    credential = selectors.credentials_of_license(license).filter(pk=shown["credential"]).first()
    return {**shown, "credential": credential} if credential is not None else None


@require_POST
@tenant_admin_required
def credential_enable(request, license_id, credential_id):
    return _set_enabled(request, license_id, credential_id, enabled=True)


@require_POST
@tenant_admin_required
def credential_disable(request, license_id, credential_id):
    return _set_enabled(request, license_id, credential_id, enabled=False)


def _set_enabled(request, license_id, credential_id, *, enabled: bool):
    license = selectors.get_license_for_request(request, license_id)
    credential = selectors.get_credential_for_request(request, license, credential_id)
    services.credential_set_enabled(credential=credential, by=actor_for(request), enabled=enabled)
    messages.success(request, f"{credential} is {'enabled' if enabled else 'disabled'}.")
    return redirect("license", license.pk)


@tenant_admin_required
def credential_delete(request, license_id, credential_id):
    license = selectors.get_license_for_request(request, license_id)
    credential = selectors.get_credential_for_request(request, license, credential_id)
    if request.method != "POST":
        context = {"license": license, "credential": credential, "action": request.path}
        return render(request, "licenses/credential_delete.html", context)
    services.credential_delete(credential=credential, by=actor_for(request))
    messages.success(request, f"{credential} deleted; its tools can no longer fetch or validate files.")
    return redirect("license", license.pk)


@tenant_admin_required
def file_download(request, license_id, file_id):
    license = selectors.get_license_for_request(request, license_id)
    file = selectors.get_file_for_request(request, license, file_id)
    return _premium_lic(file.text)


@require_POST
@tenant_admin_required
def license_activation(request, license_id):
    """Offline activation: an uploaded request is read back for the admin to check; the form on
    that page sends it again to be issued, answered with the premium.lic download."""
    license = selectors.get_license_for_request(request, license_id)
    by = actor_for(request)
    upload = request.FILES.get("request")
    try:
        # One text from here on, for the page and the form that sends it back (no byte-order mark).
        text = (
            services.activation_text(upload.read(premiumreq.MAX_BYTES + 1))
            if upload
            else request.POST.get("text", "")
        )
        if upload or "issue" not in request.POST:
            activation = services.activation_read(license=license, by=by, text=text)
        else:
            activation, file = services.activation_issue(
                license=license, by=by, text=text, confirmed=bool(request.POST.get("confirm"))
            )
            return _premium_lic(file.text)
    except ServiceError as exc:
        if not upload and exc.code == "confirmation_required":
            activation = services.activation_read(license=license, by=by, text=text)
            context = {"license": license, "activation": activation, "text": text, "error": exc.message}
            return render(request, "licenses/activation.html", context, status=400)
        messages.error(request, exc.message)
        return redirect(reverse("license", args=[license.pk]) + "#offline")
    return render(
        request, "licenses/activation.html", {"license": license, "activation": activation, "text": text}
    )


def _premium_lic(text: str) -> HttpResponse:
    return HttpResponse(
        text,
        content_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="premium.lic"', "Cache-Control": "no-store"},
    )
