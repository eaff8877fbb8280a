"""/scim/v2/ on a tenant's host: scim2-server serves the protocol (routing, validation, PATCH,
filters, paging, ETags, errors) over the tenant's members and workgroups (sso.scim.storage),
for a client holding one of the tenant's SCIM tokens. The whole request is one transaction,
rolled back when it answers an error."""

import functools
import json

from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import UnauthorizedException
from scim2_server.applications.base import BaseApplication
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.service import ScimService

from sso.scim import resources
from sso.scim.storage import PortalStorage
from sso.services import scim as services

MAX_BODY = 1_000_000


@functools.cache
def _service() -> ScimService:
    return ScimService(resources.provider())


class _Application(BaseApplication):
    def __init__(self, token):
        super().__init__(_service().provider, _service())
        self.token = token
        self.handler = ScimHandler(self.service, PortalStorage(token))  # reads nothing without a token

    def check_auth(self, request: ScimRequest) -> None:
        if self.token is None:
            raise UnauthorizedException(
                detail="A SCIM token of this tenant is needed (Authorization: Bearer …)."
            )

    def serve(self, request: ScimRequest):
        try:
            if self.needs_auth(request):
                self.check_auth(request)
            response = self.handler.handle(request)
        except Exception as exception:  # scim2-server answers it as a SCIM error
            response = self.handle_exception(request, exception)
        return self.finalize_response(request, response)


@csrf_exempt
def scim(request, path: str = ""):
    tenant = getattr(request, "tenant", None)
    if tenant is None or len(request.body) > MAX_BODY:
        status = 404 if tenant is None else 413
        return HttpResponse(status=status, content_type="application/scim+json")
    given = request.headers.get("Authorization", "")
    token = (
        services.scim_token_check(tenant=tenant, text=given[7:].strip())
        if given[:7].lower() == "bearer "
        else None
    )
    scim_request = ScimRequest(
        method=request.method, base_url=request.build_absolute_uri("/scim/v2"), path=f"/{path}",
        query=request.GET.dict(), headers=dict(request.headers), body=request.body,
    )  # fmt: skip
    with transaction.atomic():
        response = _Application(token).serve(scim_request)
        if response.status >= 400:
            transaction.set_rollback(True)
    body = json.dumps(response.body).encode() if response.body is not None else b""
    answer = HttpResponse(body, status=response.status)
    for name, value in response.headers.items():
        answer[name] = value
    return answer
