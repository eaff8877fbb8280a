import secrets
import signal
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import services
from accounts.models import Tenant

EMAIL = "admin@demo.localhost"


class Command(BaseCommand):
    help = "Ensure the demo tenant exists (--announce: once the server answers, say how to sign in)."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument(
            "--announce",
            action="store_true",
            help="wait until the web server answers, print the box, and stay (a Procfile process)",
        )

    def handle(self, *args, **opts):
        password = self._demo_tenant()
        if not opts["announce"]:
            return
        _wait_for(f"http://127.0.0.1:{opts['port']}/healthz")
        url = f"http://demo.localhost:{opts['port']}/"
        lines = [
            "Portal is running. Open:",
            f"  {url}",
            "",
            f"Tenant admin:  {EMAIL}",
            f"Password:      {password}",
        ]
        width = max(map(len, lines)) + 2
        box = [
            "┌" + "─" * width + "┐",
            *(f"│ {line:<{width - 1}}│" for line in lines),
            "└" + "─" * width + "┘",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(box)))
        signal.pause()  # honcho stops every process when one ends

    def _demo_tenant(self) -> str:
        password_file = settings.VAR_DIR / "demo-admin-password"
        if not password_file.exists():
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(secrets.token_urlsafe(12))
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        services.tenant_create(
            name="Demo Genomics",
            domain="demo.localhost",
            admin_email=EMAIL,
            admin_password=password,
            signup_mode=Tenant.SignupMode.OPEN,
        )
        return password


def _wait_for(url: str) -> None:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own http:// address)
                return
        except urllib.error.HTTPError:  # it answers (503 while the worker starts): good enough
            return
        except OSError:  # not listening yet
            time.sleep(0.5)
