"""Start the tests' OpenID Connect provider: `python -m tests.oidc_provider.serve PORT CONFIG`, with
CONFIG a JSON object: client_id, client_secret, redirect_uris, and people, each with email,
password, first_name, last_name and verified (what its email_verified claim says). It migrates
its own SQLite database, makes that client and those people, then serves until killed."""

import json
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def main(port: int, config: dict) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    django.setup()
    from allauth.account.models import EmailAddress
    from allauth.idp.oidc.models import Client
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0)
    client = Client(id=config["client_id"], name="Portal", skip_consent=True)
    client.set_secret(config["client_secret"])
    client.set_redirect_uris(config["redirect_uris"])
    client.set_scopes(["openid", "email", "profile"])
    client.save()
    for person in config["people"]:
        user = User.objects.create_user(
            username=person["email"], email=person["email"], password=person["password"],
            first_name=person.get("first_name", ""), last_name=person.get("last_name", ""),
        )  # fmt: skip
        EmailAddress.objects.create(
            user=user, email=person["email"], verified=person["verified"], primary=True
        )
    server = make_server(
        "127.0.0.1", port, get_wsgi_application(), server_class=_Server, handler_class=_Quiet
    )
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), json.loads(sys.argv[2]))
