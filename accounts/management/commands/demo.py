import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import services
from accounts.models import Tenant


class Command(BaseCommand):
    help = "Ensure the demo tenant at demo.localhost exists and print how to log in."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **opts):
        email = "admin@demo.localhost"
        password_file = settings.VAR_DIR / "demo-admin-password"
        if not password_file.exists():
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(secrets.token_urlsafe(12))
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        services.tenant_create(
            name="Demo Genomics",
            domain="demo.localhost",
            admin_email=email,
            admin_password=password,
            signup_mode=Tenant.SignupMode.OPEN,
        )
        url = f"http://demo.localhost:{opts['port']}/"
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Demo tenant: {url}\n  Tenant admin: {email}\n  Password:     {password}\n"
            )
        )
