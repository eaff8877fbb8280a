"""`manage.py check --deploy --fail-level WARNING` passes with the production settings (HTTPS, no
DEBUG, a real secret key), and fails without them: the check guards what it claims to."""

import os
import secrets
import subprocess
import sys

from tests.cli.conftest import ROOT

PRODUCTION = {"DEBUG": "0", "PORTAL_URL_SCHEME": "https", "SECRET_KEY": secrets.token_urlsafe(50)}


def deploy_check(**env) -> subprocess.CompletedProcess:
    # The process's environment, less the production knobs and what the browser tests set for
    # themselves (DJANGO_ALLOW_ASYNC_UNSAFE, which the deploy checks rightly refuse).
    testing_only = {*PRODUCTION, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {key: value for key, value in os.environ.items() if key not in testing_only}
    environment.update(env)
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_the_production_settings_pass_the_deploy_checks():
    done = deploy_check(**PRODUCTION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (0 silenced)" in done.stdout


def test_served_over_plain_http_or_with_debug_the_checks_fail():
    plain = deploy_check(**{**PRODUCTION, "PORTAL_URL_SCHEME": "http"})
    assert plain.returncode != 0
    assert all(f"security.W{n:03}" in plain.stderr for n in (4, 8, 12, 16))  # HSTS, redirect, cookies
    debug = deploy_check(**{**PRODUCTION, "DEBUG": "1"})
    assert debug.returncode != 0 and "security.W018" in debug.stderr


def test_over_https_plain_http_is_redirected_and_hsts_covers_every_tenant(settings, tenant_a):
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 365 * 86400
    client = Client(HTTP_HOST="acme.localhost")
    redirected = client.get("/accounts/login/")
    assert (
        redirected.status_code == 301 and redirected["Location"] == "https://acme.localhost/accounts/login/"
    )
    assert client.get("/healthz").status_code == 200  # probes speak plain HTTP inside the network
    secure = client.get("/accounts/login/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


# The deployment files (deploy/, Dockerfile, docker-compose.yml) are read by the tools that use them.


def test_docker_compose_accepts_the_compose_file():
    compose = _compose_command()
    env = {**os.environ, "SECRET_KEY": "x" * 50, "POSTGRES_PASSWORD": "secret"}
    done = subprocess.run([*compose, "-f", "docker-compose.yml", "config"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    for service in ("web", "worker", "beat", "migrate", "postgres", "redis"):
        assert f"\n  {service}:" in done.stdout
    bare = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "POSTGRES_PASSWORD")}
    unset = subprocess.run([*compose, "-f", "docker-compose.yml", "config"], cwd=ROOT, env=bare,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert unset.returncode != 0 and "SECRET_KEY" in unset.stderr  # refuses to start without secrets


def _compose_command() -> list[str]:
    """`docker compose` where the plugin is installed, else Debian's docker-compose (`make test`
    installs it: no Docker engine is needed to read a compose file)."""
    import shutil

    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    assert shutil.which("docker-compose"), (
        "install docker-compose (make test does: apt-get install docker-compose)"
    )
    return ["docker-compose"]


def test_gunicorn_accepts_its_configuration():
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--check-config",
        "--config",
        "deploy/gunicorn.conf.py",
        "portal.wsgi",
    ]
    env = {**os.environ, "SECRET_KEY": "x" * 50, "DEBUG": "0"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_access_log_leaves_query_strings_out():
    """A page showing a secret once carries the key to it in its query string (core/shown_once.py)."""
    import http.client
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PORTAL_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "DEBUG": "0"}
    env["SECRET_KEY"] = PRODUCTION["SECRET_KEY"]
    command = [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "portal.wsgi"]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/api/ping?shown=SECRET-KEY-42")
                connection.getresponse().read()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not answer"
                time.sleep(0.2)
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
    assert '"GET /api/ping HTTP/1.1"' in log and "SECRET-KEY-42" not in log, log
