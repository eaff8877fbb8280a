from django.core.management.base import BaseCommand, CommandError

from accounts import addresses, services
from accounts.models import Tenant
from core.errors import ServiceError


class Command(BaseCommand):
    help = "Create a tenant reachable at DOMAIN with its first tenant admin (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--domain", required=True, help="Host name, e.g. acme.example.org")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", help="Needed only when the admin has no account yet.")
        parser.add_argument(
            "--signup-mode", choices=Tenant.SignupMode.values, default=Tenant.SignupMode.INVITE_ONLY
        )

    def handle(self, *args, **opts):
        try:
            made = services.tenant_create(
                name=opts["name"],
                domain=opts["domain"],
                admin_email=opts["admin_email"],
                admin_password=opts["admin_password"],
                signup_mode=opts["signup_mode"],
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        tenant = made.tenant
        verb = "Created" if made.created else "Already there:"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} tenant {tenant.name} at {tenant.domain} (id {tenant.id})")
        )
        if made.admin_existed:
            email = addresses.canonical(opts["admin_email"])
            unused = " (the password given was NOT used)" if opts["admin_password"] else ""
            self.stdout.write(
                self.style.WARNING(f"{email} already had an account: its password is unchanged{unused}.")
            )
