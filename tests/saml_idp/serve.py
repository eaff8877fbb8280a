"""Serve the tests' SAML identity provider to a browser: `python -m tests.saml_idp.serve PORT
FOLDER PEOPLE`. FOLDER holds its key (idp.key, idp.crt: made by the test, which knows its
metadata first) and the service providers' metadata (sp-*.xml, read again at each request);
PEOPLE is a JSON list of email, password, first_name, last_name, groups.

GET /sso takes our AuthnRequest (HTTP-Redirect) and shows a sign-in form; its POST answers with
a signed response, posted back by the browser (HTTP-POST). GET /slo answers a LogoutRequest."""

import html
import json
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from tests.saml_idp.idp import RSA_SHA256, IdentityProvider

FORM = """<!doctype html><title>Test IdP</title><h1>Test IdP sign-in</h1>
<form method="post" action="/sso"><input type="hidden" name="SAMLRequest" value="{request}">
<input type="hidden" name="RelayState" value="{relay}"><label>Email <input name="email"></label>
<label>Password <input name="password" type="password"></label><button>Sign in at the IdP</button></form>"""


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def app(port: int, folder: Path, people: list[dict]):
    def respond(environ, start_response):
        idp = IdentityProvider(folder, base_url=f"http://127.0.0.1:{port}")  # the SPs known now
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/metadata":
            return _answer(start_response, "200 OK", idp.metadata(), "text/xml")
        if path == "/sso" and method == "GET":
            page = FORM.format(
                request=html.escape(query["SAMLRequest"]), relay=html.escape(query.get("RelayState", ""))
            )
            return _answer(start_response, "200 OK", page, "text/html")
        if path == "/sso" and method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size).decode()).items()}
            person = next(
                (
                    p
                    for p in people
                    if (p["email"], p["password"]) == (form.get("email"), form.get("password"))
                ),
                None,
            )
            if person is None:
                return _answer(start_response, "403 Forbidden", "Wrong email or password.", "text/plain")
            request = idp.server.parse_authn_request(form["SAMLRequest"], BINDING_HTTP_REDIRECT).message
            acs = request.assertion_consumer_service_url
            xml = idp.response(person, sp_entity_id=request.issuer.text, acs=acs, in_response_to=request.id)
            bound = idp.server.apply_binding(
                BINDING_HTTP_POST, xml, acs, form.get("RelayState", ""), response=True
            )
            return _answer(start_response, "200 OK", bound["data"], "text/html")
        if path == "/slo":
            request = idp.server.parse_logout_request(
                query["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=query.get("RelayState"),
                sigalg=query.get("SigAlg"), signature=query.get("Signature"),
            ).message  # fmt: skip
            answer = idp.server.create_logout_response(request, [BINDING_HTTP_REDIRECT])
            sls = request.issuer.text.replace("/metadata/", "/sls/")
            bound = idp.server.apply_binding(
                BINDING_HTTP_REDIRECT,
                str(answer),
                sls,
                query.get("RelayState", ""),
                response=True,
                sigalg=RSA_SHA256,
            )
            start_response("302 Found", list(bound["headers"]))
            return [b""]
        return _answer(start_response, "404 Not Found", "Not here.", "text/plain")

    return respond


def _answer(start_response, status: str, body: str, content_type: str):
    start_response(status, [("Content-Type", f"{content_type}; charset=utf-8")])
    return [body.encode()]


if __name__ == "__main__":
    port, folder, people = int(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
    server = make_server(
        "127.0.0.1", port, app(port, folder, people), server_class=_Server, handler_class=_Quiet
    )
    print("ready", flush=True)
    server.serve_forever()
