"""Settings → Sign-in: the tenant's identity provider (tenant admins)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.decorators import tenant_admin_required
from accounts.requests import actor_for
from core import shown_once
from core.errors import ServiceError
from sso import saml, selectors, services
from sso.forms import SignInForm, group_map_text
from sso.models import ScimToken, SignIn
from sso.services import scim as scim_services
from sso.services.settings import Provider

SHOWN = ("mode", "protocol", "organisation", "issuer", "client_id", "scopes", "saml_signed", "saml_encrypted",
         "saml_idp_initiated")  # fmt: skip


@tenant_admin_required
def signin_settings(request):
    signin = selectors.signin_of(request.tenant)
    form = SignInForm(
        request.POST or None, request.FILES or None, initial=_initial(signin), tenant=request.tenant
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        provider = Provider(
            protocol=data["protocol"], issuer=data["issuer"], client_id=data["client_id"],
            client_secret=data["client_secret"], scopes=data["scopes"], metadata_xml=data["metadata_file"],
            metadata_url=data["metadata_url"], saml_signed=data["saml_signed"],
            saml_encrypted=data["saml_encrypted"], saml_idp_initiated=data["saml_idp_initiated"],
            claims=form.claims(), group_map=data["group_map"],
        )  # fmt: skip
        try:
            services.signin_update(
                tenant=request.tenant, by=actor_for(request), mode=data["mode"],
                organisation=data["organisation"], provider=provider, break_glass=list(data["break_glass"]),
            )  # fmt: skip
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
        "idp_certificate": saml.certificate_summary(signin.saml_certificate) if signin else {},
        "sp": selectors.sp_endpoints(request, signin) if signin and signin.sp_certificate else {},
        "claim_fields": [form[f"claim_{key}"] for key in ("email", "first_name", "last_name", "groups")],
        "triable": signin is not None and selectors.triable(signin),
        "scim_url": request.build_absolute_uri("/scim/v2"),
        "scim_tokens": ScimToken.objects.filter(tenant=request.tenant, revoked_at__isnull=True).order_by(
            "created_at"
        ),
        "scim_created": shown_once.take(request, "scim-token"),
    }
    response = render(request, "sso/settings.html", context, status=400 if form.errors else 200)
    return shown_once.protect(request, response)


def _initial(signin: SignIn | None) -> dict:
    if signin is None:
        return {"mode": "password", "protocol": "oidc", "scopes": "openid email profile", "saml_signed": True}
    initial = {name: getattr(signin, name) for name in SHOWN}
    initial |= {f"claim_{key}": value for key, value in signin.claims.items()}
    initial |= {"metadata_url": signin.saml_metadata_url, "group_map": group_map_text(signin)}
    initial["break_glass"] = list(signin.break_glass.all())
    return initial


def _callback_url(request, signin) -> str | None:
    """The redirect URI to register at an OpenID Connect provider (allauth's callback for this
    tenant's provider id), on this tenant's own host."""
    if signin is None or signin.protocol != SignIn.Protocol.OIDC:
        return None
    return request.build_absolute_uri(f"/accounts/oidc/{signin.provider_id}/login/callback/")


@tenant_admin_required
def saml_metadata(request):
    """This tenant's service provider metadata, to register at its SAML identity provider."""
    signin = selectors.signin_of(request.tenant)
    if signin is None or signin.protocol != SignIn.Protocol.SAML or not signin.saml_entity_id:
        raise Http404("Save the identity provider's metadata first.")
    response = HttpResponse(
        selectors.sp_metadata(request, signin), content_type="application/samlmetadata+xml"
    )
    response["Content-Disposition"] = f'attachment; filename="{request.tenant.domain}-saml-metadata.xml"'
    return response


@tenant_admin_required
@require_POST
def scim_token_create(request):
    """A new SCIM token for the tenant's identity provider: its text shown once, on the page."""
    try:
        token, text = scim_services.scim_token_create(
            tenant=request.tenant, name=request.POST.get("name", ""), by=actor_for(request)
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("signin_settings")
    shown = {"name": token.name, "text": text}
    return shown_once.redirect(request, reverse("signin_settings"), "scim-token", shown)


@tenant_admin_required
@require_POST
def scim_token_revoke(request, token_id):
    token = get_object_or_404(ScimToken, pk=token_id, tenant=request.tenant, revoked_at__isnull=True)
    scim_services.scim_token_revoke(token=token, by=actor_for(request))
    messages.success(request, f"SCIM token {token.name} revoked: it provisions nothing any more.")
    return redirect("signin_settings")


@tenant_admin_required
@require_POST
def signin_try(request):
    """Try sign-in: off to the provider (in the new window the button opened); its answer is
    shown by sso.adapter, and nobody is signed in."""
    signin = selectors.signin_of(request.tenant)
    if signin is None or not selectors.triable(signin):
        messages.error(request, "Save the identity provider first: there is nothing to try yet.")
        return redirect("signin_settings")
    services.sso_try_start(request, signin)
    app = selectors.social_app(request.tenant, trying=signin.provider_id)
    return app.get_provider(request).redirect_from_request(request)
