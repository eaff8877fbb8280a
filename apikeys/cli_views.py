"""The browser's side of `portal login` (apikeys.clilogin): the signed-in person lets the CLI on
their computer act as them, by its loopback address or by the code it shows."""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.decorators import member_required
from accounts.requests import client_ip
from apikeys import clilogin
from core.errors import RateLimited, ServiceError
from core.ratelimit import Limits

LOOPBACK = "http://127.0.0.1"


@member_required
def cli_login(request):
    """GET asks; POST answers the CLI's loopback address with a one-time code (or a refusal)."""
    params = request.POST if request.method == "POST" else request.GET
    try:
        port = int(params.get("port", ""))
    except ValueError:
        port = 0
    state, challenge = params.get("state", "")[:200], params.get("challenge", "")
    label = params.get("name", "")[:100]
    if not 1024 <= port <= 65535 or not clilogin.CHALLENGE.match(challenge) or not state:
        return render(request, "apikeys/cli_login.html", {"broken": True}, status=400)
    back = f"{LOOPBACK}:{port}/callback"
    if request.method == "POST":
        if request.POST.get("answer") != "allow":
            return redirect(f"{back}?{urlencode({'error': 'access_denied', 'state': state})}")
        code = clilogin.loopback_approve(
            request=request,
            tenant=request.tenant,
            user=request.user,
            port=port,
            challenge=challenge,
            label=label,
        )
        return redirect(f"{back}?{urlencode({'code': code, 'state': state})}")
    context = {"port": port, "state": state, "challenge": challenge, "label": label}
    response = render(request, "apikeys/cli_login.html", context)
    response._csp_update = {"form-action": [f"{LOOPBACK}:{port}"]}  # the answer leads there
    return response


@member_required
def cli_device(request):
    """The person types the code the CLI shows (GET ?code=), sees which computer asks, and says
    yes (POST, then the page says it is done)."""
    if request.method == "POST":
        try:  # typing codes, here as on the GET: counted alike
            Limits(counted=[("cli-code-user", request.user.pk)]).check()
        except RateLimited as exc:
            messages.error(request, exc.message)
            return redirect("cli_device")
        grant = clilogin.device_pending(tenant=request.tenant, user_code=request.POST.get("user_code", ""))
        try:
            if grant is None:
                raise ServiceError("That code has expired or was used: run `portal login --device` again.")
            clilogin.device_approve(request=request, grant=grant, user=request.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("cli_device")
        label = f" on {grant.label}" if grant.label else ""
        messages.success(
            request, f"Done: the portal CLI{label} is signed in as you. You can close this window."
        )
        return redirect(f"{reverse('cli_device')}?done=1")
    typed = request.GET.get("code", "")
    context = {"user_code": typed, "done": request.GET.get("done") == "1", "you": client_ip(request)}
    if typed:
        try:
            Limits(counted=[("cli-code-user", request.user.pk)]).check()
        except RateLimited as exc:
            messages.error(request, exc.message)
            return render(request, "apikeys/cli_device.html", context, status=429)
        context["grant"] = clilogin.device_pending(tenant=request.tenant, user_code=typed)
        context["unknown"] = context["grant"] is None
    return render(request, "apikeys/cli_device.html", context, status=400 if context.get("unknown") else 200)
