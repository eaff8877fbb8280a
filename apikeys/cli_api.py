"""The CLI's side of `portal login` (apikeys.clilogin): start a device code, and redeem a code
for a token. No credentials but the codes: each is random, single-use and short-lived, and the
loopback one also needs the PKCE verifier only the CLI holds."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import client_ip, limit_unit
from apikeys import clilogin
from apikeys.api import TokenOut, _throttled, _token_response
from apikeys.throttles import token_limits
from core.api import valid
from core.errors import NotFound
from core.ratelimit import Limits

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class DeviceIn(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="This computer")


class CliDeviceApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        request=DeviceIn,
        responses=inline_serializer(
            "CliDevice",
            {
                "device_code": serializers.CharField(),
                "user_code": serializers.CharField(),
                "verification_uri": serializers.URLField(),
                "verification_uri_complete": serializers.URLField(),
                "expires_in": serializers.IntegerField(),
                "interval": serializers.IntegerField(),
            },
        ),
        summary="`portal login --device`: a code for the person to enter in a browser (RFC 8628)",
    )
    def post(self, request):
        if request.tenant is None:
            raise NotFound("Start `portal login` at a tenant's address.")
        Limits(counted=[("cli-device-ip", limit_unit(client_ip(request)))]).check(_throttled)
        label = valid(DeviceIn, request).get("name", "")
        started = clilogin.device_start(tenant=request.tenant, label=label, ip=client_ip(request))
        page = request.build_absolute_uri("/cli/device")
        complete = f"{page}?code={started['user_code']}"
        return Response({**started, "verification_uri": page, "verification_uri_complete": complete})


class TokenIn(serializers.Serializer):
    grant_type = serializers.ChoiceField(choices=["authorization_code", DEVICE_GRANT])
    code = serializers.CharField(max_length=100, required=False)
    code_verifier = serializers.CharField(min_length=43, max_length=128, required=False)
    device_code = serializers.CharField(max_length=100, required=False)


class CliTokenApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        request=TokenIn, responses={200: TokenOut},
        summary="`portal login`: redeem a loopback code (with its PKCE verifier) or a device code, once",
    )  # fmt: skip
    def post(self, request):
        if request.tenant is None:
            raise NotFound("Redeem at the tenant's address.")
        token_limits(request).check(_throttled)
        data = valid(TokenIn, request)
        if data["grant_type"] == DEVICE_GRANT:
            issued = clilogin.redeem(tenant=request.tenant, device_code=data.get("device_code", "") or "-")
        else:
            issued = clilogin.redeem(
                tenant=request.tenant,
                code=data.get("code", "") or "-",
                verifier=data.get("code_verifier", ""),
            )
        return _token_response(request, issued)
