from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from accounts.adapter import signup_refusal
from accounts.selectors import current_membership


def member_required(view):
    """Signed in and an active member of the request's tenant; otherwise a clear page says why."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = current_membership(request)
        if membership is None or not membership.is_active:
            return not_a_member(request, membership)
        return view(request, *args, **kwargs)

    return wrapper


def tenant_admin_required(view):
    @member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not current_membership(request).is_admin:
            return render(request, "accounts/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def not_a_member(request, membership):
    context = {
        "deactivated": membership is not None,
        "can_join": membership is None and signup_refusal(request.tenant, request.user.email) is None,
        "refusal": signup_refusal(request.tenant, request.user.email),
    }
    return render(request, "accounts/not_member.html", context, status=403)
