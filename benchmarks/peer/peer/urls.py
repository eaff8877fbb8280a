from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import BaseHasAPIKey
from rest_framework_simplejwt.tokens import RefreshToken

from peer.models import UserAPIKey


class HasUserAPIKey(BaseHasAPIKey):
    model = UserAPIKey


class Ping(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"status": "ok"})


class Me(APIView):
    def get(self, request):
        return Response({"id": request.user.pk, "email": request.user.email})


class Tokens(APIView):
    authentication_classes = []
    permission_classes = [HasUserAPIKey]

    def post(self, request):
        apikey = UserAPIKey.objects.get_from_key(request.META["HTTP_X_API_KEY"])
        access = RefreshToken.for_user(apikey.user).access_token
        return Response({"token": str(access), "token_type": "Bearer", "expires_in": 3600})


urlpatterns = [
    path("api/ping", Ping.as_view()),
    path("api/me", Me.as_view()),
    path("api/tokens", Tokens.as_view()),
]
