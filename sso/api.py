"""REST API for a tenant's sign-in settings (tenant admins): the same as Settings → Sign-in.
Thin: read through selectors, change through sso.services.signin_update."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership, Role, User
from accounts.permissions import IsTenantAdmin
from accounts.requests import actor_for
from core.api import valid
from core.errors import NotFound, ServiceError
from sso import saml, selectors, services
from sso.models import SignIn
from sso.services.settings import CLAIM_KEYS, Provider


class GroupMapEntry(serializers.Serializer):
    group = serializers.CharField(max_length=300, help_text="The group as the provider names it")
    workgroup = serializers.UUIDField(help_text="A workgroup of this tenant")


class SamlOut(serializers.Serializer):
    entity_id = serializers.CharField(source="saml_entity_id")
    sso_url = serializers.CharField(source="saml_sso_url")
    slo_url = serializers.CharField(source="saml_slo_url")
    metadata_url = serializers.CharField(source="saml_metadata_url")
    certificate_sha256 = serializers.SerializerMethodField()
    certificate_ends = serializers.SerializerMethodField()
    problem = serializers.CharField(source="saml_problem", help_text="Sign-in through SAML is off while set")
    notice = serializers.CharField(source="saml_notice")
    checked_at = serializers.DateTimeField(source="saml_checked_at", allow_null=True)
    assertions_signed = serializers.BooleanField(source="saml_signed")
    assertions_encrypted = serializers.BooleanField(source="saml_encrypted")
    idp_initiated = serializers.BooleanField(source="saml_idp_initiated")

    def get_certificate_sha256(self, signin) -> str:
        return saml.certificate_summary(signin.saml_certificate).get("sha256", "")

    def get_certificate_ends(self, signin) -> str:
        ends = saml.certificate_summary(signin.saml_certificate).get("ends")
        return ends.isoformat() if ends else ""


class SignInOut(serializers.Serializer):
    mode = serializers.ChoiceField(choices=SignIn.Mode.choices)
    protocol = serializers.ChoiceField(choices=SignIn.Protocol.choices)
    organisation = serializers.CharField()
    issuer = serializers.CharField(help_text="OpenID Connect issuer")
    client_id = serializers.CharField()
    client_secret_set = serializers.SerializerMethodField(
        help_text="Whether a secret is stored (never shown)"
    )
    scopes = serializers.CharField()
    saml = SamlOut(source="*")
    claims = serializers.DictField(
        child=serializers.CharField(), help_text="email, first_name, last_name, groups"
    )
    group_map = GroupMapEntry(many=True)
    break_glass = serializers.SerializerMethodField(help_text="Emails of the break-glass admins")
    verified_domains = serializers.ListField(child=serializers.CharField(), help_text="Set by the operators")
    worked_at = serializers.DateTimeField(allow_null=True, help_text="When a sign-in or try last worked")

    def get_client_secret_set(self, signin) -> bool:
        return bool(signin.client_secret_sealed)

    def get_break_glass(self, signin) -> list[str]:
        return sorted(user.email for user in signin.break_glass.all()) if signin.pk else []


class SignInIn(serializers.Serializer):
    mode = serializers.ChoiceField(choices=SignIn.Mode.choices, required=False)
    protocol = serializers.ChoiceField(choices=SignIn.Protocol.choices, required=False)
    organisation = serializers.CharField(max_length=100, required=False, allow_blank=True)
    issuer = serializers.URLField(max_length=500, required=False, allow_blank=True)
    client_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    client_secret = serializers.CharField(max_length=500, required=False, write_only=True,
                                          help_text="Kept sealed, never shown again")  # fmt: skip
    scopes = serializers.CharField(max_length=200, required=False)
    saml_metadata_xml = serializers.CharField(
        max_length=saml.MAX_METADATA, required=False, help_text="The identity provider's metadata document"
    )
    saml_metadata_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    saml_assertions_signed = serializers.BooleanField(required=False)
    saml_assertions_encrypted = serializers.BooleanField(required=False)
    saml_idp_initiated = serializers.BooleanField(required=False)
    claims = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=300), required=False
    )
    group_map = GroupMapEntry(many=True, required=False)
    break_glass = serializers.ListField(child=serializers.EmailField(), required=False,
                                        help_text="Emails of active tenant admins with TOTP")  # fmt: skip

    def validate_claims(self, claims):
        if unknown := set(claims) - CLAIM_KEYS:
            raise serializers.ValidationError(f"Unknown: {', '.join(sorted(unknown))}.")
        return claims


class SignInApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=SignInOut, summary="This tenant's sign-in settings (tenant admin)")
    def get(self, request):
        return Response(SignInOut(_current(request.tenant)).data)

    @extend_schema(
        request=SignInIn, responses=SignInOut,
        summary="Change this tenant's sign-in settings (tenant admin); what is not given stays",
    )  # fmt: skip
    def patch(self, request):
        data = valid(SignInIn, request)
        signin = _current(request.tenant)
        provider = Provider(
            protocol=data.get("protocol", signin.protocol), issuer=data.get("issuer", signin.issuer),
            client_id=data.get("client_id", signin.client_id), client_secret=data.get("client_secret", ""),
            scopes=data.get("scopes", signin.scopes), metadata_xml=data.get("saml_metadata_xml", ""),
            metadata_url=data.get("saml_metadata_url", signin.saml_metadata_url),
            saml_signed=data.get("saml_assertions_signed", signin.saml_signed),
            saml_encrypted=data.get("saml_assertions_encrypted", signin.saml_encrypted),
            saml_idp_initiated=data.get("saml_idp_initiated", signin.saml_idp_initiated),
            claims=data.get("claims", signin.claims),
            group_map=[{"group": e["group"], "workgroup": str(e["workgroup"])} for e in data["group_map"]]
            if "group_map" in data else signin.group_map,
        )  # fmt: skip
        break_glass = _admins(request.tenant, data["break_glass"]) if "break_glass" in data else None
        signin = services.signin_update(
            tenant=request.tenant, by=actor_for(request), mode=data.get("mode", signin.mode),
            organisation=data.get("organisation", signin.organisation), provider=provider,
            break_glass=break_glass,
        )  # fmt: skip
        return Response(SignInOut(signin).data)


def _current(tenant) -> SignIn:
    return selectors.signin_of(tenant) or SignIn(tenant=tenant)


def _admins(tenant, emails: list[str]) -> list[User]:
    admins = {
        m.user.email.lower(): m.user
        for m in Membership.objects.filter(tenant=tenant, role=Role.ADMIN, is_active=True).select_related(
            "user"
        )
    }
    missing = sorted({email for email in emails if email.lower() not in admins})
    if missing:
        raise ServiceError(f"Not an active tenant admin here: {', '.join(missing)}.")
    return [admins[email.lower()] for email in dict.fromkeys(emails)]


class SignInMethodsApi(APIView):
    """How people sign in at this tenant (no credentials needed: its sign-in page says as much),
    so `portal config set` can tell whether `portal login` is the way in."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "SignInMethods",
            {
                "tenant": serializers.CharField(),
                "password": serializers.BooleanField(),
                "sso": serializers.BooleanField(),
                "organisation": serializers.CharField(),
            },
        ),
        summary="How people sign in here: password, the organisation's single sign-on, or both",
    )
    def get(self, request):
        if request.tenant is None:
            raise NotFound("Ask at a tenant's address.")
        signin = selectors.signin_of(request.tenant)
        sso = selectors.social_app(request.tenant) is not None
        organisation = (signin.organisation or request.tenant.name) if sso else ""
        answer = {"tenant": request.tenant.name, "password": not (sso and signin.sso_only), "sso": sso}
        return Response({**answer, "organisation": organisation})
