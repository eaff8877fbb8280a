import sys

from allauth.account.adapter import get_adapter
from django import db
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import emails, selectors, services
from accounts.adapter import INVITATION_SESSION_KEY, signup_refusal
from accounts.dashboard import dashboard
from accounts.decorators import member_required, not_a_member, tenant_admin_required
from accounts.forms import (
    AddPersonForm,
    ProfileForm,
    TenantPolicyForm,
    WorkgroupMemberForm,
    WorkgroupNameForm,
)
from accounts.health import health_report
from accounts.models import Role, Tenant
from accounts.requests import actor_for
from core.errors import API_PATHS, Forbidden, NotFound, ServerError, ServiceError, Unavailable, problem_for


def healthz(request):
    report, ok = health_report()
    return JsonResponse(report, status=200 if ok else 503)


def server_error(request):
    """Django's handler500, inside the `except` that caught the error: a database that does not
    answer (restarting, failing over, out of connections) is a 503 to retry, not a 500. API
    clients get a problem; browsers a plain page that needs nothing from the database."""
    unavailable = isinstance(sys.exc_info()[1], (db.OperationalError, db.InterfaceError))
    status = 503 if unavailable else 500
    detail = (
        "The database is not answering; try again in a few seconds."
        if unavailable
        else "Something went wrong on our side; it has been logged."
    )
    if request.path.startswith(API_PATHS):
        return problem_for(Unavailable(detail, retry_after=5) if unavailable else ServerError(detail))
    page = render_to_string("500.html", {"status": status, "detail": detail})  # no request: no query
    response = HttpResponse(page, status=status)
    if unavailable:
        response["Retry-After"] = "5"
    return response


def not_found(request, exception=None):
    if request.path.startswith(API_PATHS):  # e.g. /api/workgroups/not-a-uuid: no route at all
        return problem_for(NotFound("Not found."))
    if getattr(request, "tenant", None) is None:
        return HttpResponseNotFound(render_to_string("unknown_host.html"))
    return HttpResponseNotFound(render_to_string("404.html", request=request))


def _attempt(request, change, success: str) -> bool:
    """Run one service call; a refusal becomes an error message on the next page."""
    try:
        change()
    except ServiceError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def permission_denied(request, exception=None):
    """Django's handler403: a page in the portal's layout (an API path answers problem+json)."""
    if request.path.startswith(API_PATHS):
        return problem_for(Forbidden("You may not do this."))
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """A form sent from a page of another session (signed in or out in another tab since): say so
    in words instead of Django's 'CSRF verification failed'."""
    return render(request, "403_csrf.html", status=403)


def root(request):
    """A tenant's home; on an operator host, where tenants live (listed under `make run`'s DEBUG,
    or to staff: elsewhere the list would tell strangers the portal's customers)."""
    if request.tenant is not None:
        return home(request)
    tenants = None
    if settings.DEBUG or (request.user.is_authenticated and request.user.is_staff):
        tenants = [
            {"name": tenant.name, "url": emails.tenant_url(tenant)}  # as configured, not this request
            for tenant in Tenant.objects.filter(is_active=True).order_by("name")
        ]
    return render(request, "operator_home.html", {"tenants": tenants})


@member_required
def profile(request):
    form = ProfileForm(request.POST or None, initial={"full_name": request.user.full_name})
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["full_name"]
        change = lambda: services.user_set_name(  # noqa: E731
            user=request.user, full_name=name, tenant=request.tenant, by=actor_for(request)
        )
        said = f"Your name is now {' '.join(name.split())}." if name.strip() else "Your name is cleared."
        if _attempt(request, change, said):
            return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200)


@member_required
def home(request):
    membership = selectors.current_membership(request)
    workgroups = selectors.user_workgroups(tenant=request.tenant, user=request.user)
    context = {"membership": membership, "my_workgroups": workgroups}
    if membership.is_admin:
        context["figures"], context["chart"] = dashboard(request.tenant)
    return render(request, "accounts/home.html", context)


@require_POST
def join(request):
    """A signed-in non-member joins an open (or matching email-domain) tenant."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    membership = selectors.current_membership(request)
    if membership is not None or signup_refusal(request.tenant, request.user.email):
        return not_a_member(request, membership)
    services.member_join(tenant=request.tenant, user=request.user, by=actor_for(request), via="self-join")
    messages.success(request, f"Welcome to {request.tenant.name}.")
    return redirect("home")


@tenant_admin_required
def users(request):
    form = AddPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email, role, by = form.cleaned_data["email"], form.cleaned_data["role"], actor_for(request)
        _attempt(
            request,
            lambda: services.invitation_create(tenant=request.tenant, email=email, role=role, by=by),
            f"An invitation is on its way to {email}.",
        )
        return redirect("users")
    search = request.GET.get("q", "").strip()
    page = Paginator(selectors.members_list(tenant=request.tenant, search=search), 25).get_page(
        request.GET.get("page")
    )
    invitations = list(selectors.invitations_pending(tenant=request.tenant))
    emails = [m.user.email for m in page] + [inv.email for inv in invitations]
    context = {
        "form": form,
        "page": page,
        "search": search,
        "invitations": invitations,
        "shown": selectors.addresses_shown(tenant=request.tenant, emails=emails),
    }
    return render(request, "accounts/users.html", context)


def _same_site_path(target: str | None) -> str | None:
    """`target` if it is a path on this host (`/users/?page=2`), else None: never another host
    (`https://evil.example/`, `//evil.example`) and never another scheme (`javascript:`)."""
    if target and target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=set()):
        return target
    return None


@require_POST
@tenant_admin_required
def user_update(request, user_id):
    membership = selectors.get_member_for_request(request, user_id)
    action = request.POST.get("action")
    changes = {
        "make_admin": {"role": Role.ADMIN},
        "remove_admin": {"role": Role.MEMBER},
        "deactivate": {"is_active": False},
        "reactivate": {"is_active": True},
    }
    by = actor_for(request)
    email = membership.user.email
    tenant = request.tenant.name
    done = {
        "make_admin": f"{email} is now a tenant admin of {tenant}.",
        "remove_admin": f"{email} is no longer a tenant admin of {tenant}.",
        "deactivate": f"{email} is deactivated: signed out, their API keys and tokens stopped.",
        "reactivate": f"{email} is active again in {tenant}.",
    }
    if action == "remove":
        _attempt(
            request,
            lambda: services.member_remove(membership=membership, by=by),
            f"{email} was removed from {tenant}.",
        )
    elif action in changes:
        _attempt(
            request,
            lambda: services.member_update(membership=membership, by=by, **changes[action]),
            done[action],
        )
    else:
        messages.error(request, "Unknown action.")
    return redirect(_same_site_path(request.POST.get("next")) or "users")


@require_POST
@tenant_admin_required
def invitation_revoke(request, invitation_id):
    invitation = selectors.get_invitation_for_request(request, invitation_id)
    services.invitation_revoke(invitation=invitation, by=actor_for(request))
    messages.success(request, f"The invitation for {invitation.email} was revoked.")
    return redirect("users")


@member_required
def workgroups(request):
    membership = selectors.current_membership(request)
    form = WorkgroupNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        _attempt(
            request,
            lambda: services.workgroup_create(tenant=request.tenant, name=name, by=actor_for(request)),
            f"Workgroup {name} created.",
        )
        return redirect("workgroups")
    context = {"workgroups": selectors.workgroups_visible(membership=membership), "form": form}
    return render(request, "accounts/workgroups.html", context, status=400 if form.errors else 200)


@member_required
def workgroup_detail(request, workgroup_id):
    workgroup = selectors.get_workgroup_for_request(request, workgroup_id)
    context = {
        "workgroup": workgroup,
        "members": selectors.workgroup_members(workgroup=workgroup),
        "can_manage": _can_manage(request, workgroup),
        "rename_form": WorkgroupNameForm(initial={"name": workgroup.name}),
    }
    return render(request, "accounts/workgroup_detail.html", context)


@member_required
def workgroup_candidates(request, workgroup_id):
    """The add-member picker's suggestions as one types (JSON); only for who may add members."""
    workgroup = selectors.get_workgroup_for_request(request, workgroup_id)
    if not _can_manage(request, workgroup):
        raise Http404("No such workgroup.")
    found = selectors.workgroup_candidates(workgroup=workgroup, query=request.GET.get("q", "")[:100])
    shown = selectors.addresses_shown(tenant=request.tenant, emails=[m.user.email for m in found])
    results = [
        {"email": m.user.email, "name": m.user.full_name, "lookalike": shown[m.user.email].suspicious}
        for m in found
    ]
    return JsonResponse({"results": results})


def _can_manage(request, workgroup) -> bool:
    membership = selectors.current_membership(request)
    return membership.is_admin or selectors.is_workgroup_admin(workgroup=workgroup, user=request.user)


@require_POST
@member_required
def workgroup_update(request, workgroup_id):
    workgroup = selectors.get_workgroup_for_request(request, workgroup_id)
    by = actor_for(request)
    if request.POST.get("action") == "delete":
        if _attempt(
            request, lambda: services.workgroup_delete(workgroup=workgroup, by=by), "Workgroup deleted."
        ):
            return redirect("workgroups")
        return redirect("workgroup_detail", workgroup_id=workgroup.pk)
    form = WorkgroupNameForm(request.POST)
    if form.is_valid():
        old, name = workgroup.name, form.cleaned_data["name"]
        _attempt(
            request,
            lambda: services.workgroup_rename(workgroup=workgroup, name=name, by=by),
            f"Workgroup {old} is now called {name}.",
        )
    else:
        messages.error(request, " ".join(form.errors["name"]))
    return redirect("workgroup_detail", workgroup_id=workgroup.pk)


@require_POST
@member_required
def workgroup_member_add(request, workgroup_id):
    workgroup = selectors.get_workgroup_for_request(request, workgroup_id)
    if not _can_manage(request, workgroup):  # before the lookup: its answer would tell who is here
        messages.error(request, "Only admins of this workgroup can do this.")
        return redirect("workgroup_detail", workgroup_id=workgroup.pk)
    form = WorkgroupMemberForm(request.POST)
    membership = form.is_valid() and selectors.workgroup_candidate(
        workgroup=workgroup, email=form.cleaned_data["member"]
    )
    if not membership:
        messages.error(request, " ".join(form.errors.get("member", [])) or _not_a_candidate(request, form))
        return redirect("workgroup_detail", workgroup_id=workgroup.pk)
    role = form.cleaned_data["role"]
    _attempt(
        request,
        lambda: services.workgroup_member_add(
            workgroup=workgroup, user=membership.user, role=role, by=actor_for(request)
        ),
        f"{membership.user.email} added to {workgroup.name}.",
    )
    return redirect("workgroup_detail", workgroup_id=workgroup.pk)


def _not_a_candidate(request, form) -> str:
    if not form.is_valid():
        return "Choose a role: member or workgroup admin."
    email = form.cleaned_data["member"]
    tenant = request.tenant.name
    return f"No active member of {tenant} has the address {email}, or they are in this workgroup already."


@require_POST
@member_required
def workgroup_member_update(request, workgroup_id, user_id):
    workgroup = selectors.get_workgroup_for_request(request, workgroup_id)
    wgm = selectors.get_workgroup_member_for_request(request, workgroup, user_id)
    by = actor_for(request)
    action = request.POST.get("action")
    email, name = wgm.user.email, workgroup.name
    if action == "remove":
        change = lambda: services.workgroup_member_remove(wgm=wgm, by=by)  # noqa: E731
        done = f"{email} was removed from {name}."
    elif action in ("make_admin", "remove_admin"):
        role = Role.ADMIN if action == "make_admin" else Role.MEMBER
        change = lambda: services.workgroup_member_update(wgm=wgm, role=role, by=by)  # noqa: E731
        done = f"{email} is {'now' if role == Role.ADMIN else 'no longer'} a workgroup admin of {name}."
    else:
        raise Http404("Unknown action.")
    _attempt(request, change, done)
    return redirect("workgroup_detail", workgroup_id=workgroup.pk)


@tenant_admin_required
def tenant_settings(request):
    tenant = request.tenant
    initial = {
        "signup_mode": tenant.signup_mode,
        "allowed_email_domains": ", ".join(tenant.allowed_email_domains),
        "jwt_lifetime_minutes": tenant.jwt_lifetime_seconds // 60,
        "apikey_max_lifetime_days": tenant.apikey_max_lifetime_days,
        "session_idle_minutes": tenant.session_idle_minutes,
        "session_max_hours": tenant.session_max_hours,
    }
    form = TenantPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = _attempt(
            request,
            lambda: services.tenant_policy_update(
                tenant=tenant,
                by=actor_for(request),
                signup_mode=data["signup_mode"],
                allowed_email_domains=form.domains(),
                jwt_lifetime_seconds=data["jwt_lifetime_minutes"] * 60,
                apikey_max_lifetime_days=data["apikey_max_lifetime_days"],
                session_idle_minutes=data["session_idle_minutes"],
                session_max_hours=data["session_max_hours"],
            ),
            "Settings saved.",
        )
        if saved:
            return redirect("tenant_settings")
    return render(request, "accounts/settings.html", {"form": form}, status=400 if form.errors else 200)


@tenant_admin_required
def events(request):
    action = request.GET.get("action", "")
    actor = request.GET.get("actor", "").strip()
    qs = selectors.events_list(tenant=request.tenant, action=action, actor=actor)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    emails = {e.actor_email for e in page} | {e.target_label.split(" ", 1)[0] for e in page}
    emails = [e for e in emails if "@" in e]
    context = {
        "page": page,
        "actions": selectors.event_actions(tenant=request.tenant),
        "action": action,
        "actor": actor,
        "shown": selectors.addresses_shown(tenant=request.tenant, emails=emails),
        "names": selectors.member_names(tenant=request.tenant, emails=emails),
    }
    return render(request, "accounts/events.html", context)


def invitation_accept(request, token):
    """The link in an invitation email: join now if signed in as the invitee, else sign up or in."""
    invitation = selectors.invitation_for_token(request, token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        return _accept_signed_in(request, invitation)
    if selectors.account_exists(invitation.email):
        return render(
            request, "accounts/invitation_accept.html", {"invitation": invitation, "has_account": True}
        )
    # The link came to this address, so it is verified: signup skips the confirmation email.
    messages.info(request, f"{invitation.sentence()} Choose a password to join.")
    request.session[INVITATION_SESSION_KEY] = str(invitation.pk)
    get_adapter(request).stash_verified_email(request, invitation.email)
    return redirect("account_signup")


def _accept_signed_in(request, invitation):
    if request.user.email != invitation.email:  # canonical, both: a lookalike is someone else
        if request.method == "POST" and request.POST.get("action") == "logout":
            logout(request)
            return redirect(request.path)
        return render(
            request, "accounts/invitation_accept.html", {"invitation": invitation, "wrong_user": True}
        )
    if request.method == "POST":
        accepted = _attempt(
            request,
            lambda: services.invitation_accept(
                invitation=invitation, user=request.user, by=actor_for(request)
            ),
            f"Welcome to {invitation.tenant.name}.",
        )
        return redirect("home" if accepted else request.path)
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})
