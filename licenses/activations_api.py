"""Air-gapped activation through the API (tenant admins): today's challenge, and a request from
`portal license request` traded for its premium.lic."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

import premiumreq
from accounts.permissions import IsTenantAdmin
from accounts.requests import actor_for
from core.api import valid
from licenses import selectors, services
from licenses.api import LicenseFileDetailOut


class ChallengeOut(serializers.Serializer):
    challenge = serializers.CharField(help_text="Give it to `portal license request --challenge`.")
    valid_until = serializers.DateTimeField()


class ActivationIn(serializers.Serializer):
    request = serializers.JSONField(help_text="The request `portal license request` wrote, as it is.")
    confirmed = serializers.BooleanField(
        default=False, help_text="Issue a request that proves nothing (a serial number, or no challenge)."
    )


class ActivationOut(serializers.Serializer):
    credential_id = serializers.UUIDField()
    method = serializers.CharField()
    credential = serializers.CharField()
    proof = serializers.ChoiceField(choices=["challenge", "confirmation"])
    host = serializers.CharField(help_text="The offline server, as it names itself.")
    tool = serializers.CharField()
    clock_offset_seconds = serializers.IntegerField(help_text="Its clock minus ours when it asked.")
    file = LicenseFileDetailOut()


class ActivationApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=ChallengeOut, summary="Today's challenge for offline activation")
    def get(self, request, license_id):
        license = selectors.get_license_for_request(request, license_id)
        challenge, until = services.activation_challenge(license)
        return Response(ChallengeOut({"challenge": challenge, "valid_until": until}).data)

    @extend_schema(
        request=ActivationIn,
        responses={201: ActivationOut},
        summary="Trade an offline server's request for its premium.lic",
    )
    def post(self, request, license_id):
        license = selectors.get_license_for_request(request, license_id)
        data = valid(ActivationIn, request)
        text = data["request"] if isinstance(data["request"], str) else premiumreq.dumps(data["request"])
        activation, file = services.activation_issue(
            license=license, by=actor_for(request), text=text, confirmed=data["confirmed"]
        )
        body = {**activation.described(), "file": file}
        return Response(
            ActivationOut(body).data, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"}
        )
