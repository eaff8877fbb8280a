from django.core.management.base import BaseCommand, CommandError

from accounts.models import Tenant
from accounts.services import Actor
from core.errors import ServiceError
from sso import services
from sso.models import SignIn


class Command(BaseCommand):
    help = (
        "Show, or set, the email domains verified as a tenant's: the only addresses its identity "
        "provider may make or sign in accounts for. Verify ownership first (e.g. a DNS TXT record)."
    )

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="the tenant's domain, e.g. acme.example.org")
        parser.add_argument("--add", nargs="*", default=[], metavar="DOMAIN")
        parser.add_argument("--remove", nargs="*", default=[], metavar="DOMAIN")

    def handle(self, *args, **opts):
        tenant = Tenant.objects.filter(domain=opts["tenant"].lower()).first()
        if tenant is None:
            raise CommandError(f"No tenant lives at {opts['tenant']}.")
        signin = SignIn.objects.filter(tenant=tenant).first()
        domains = set(signin.verified_domains if signin else [])
        if opts["add"] or opts["remove"]:
            domains = (domains | {d.lower() for d in opts["add"]}) - {d.lower() for d in opts["remove"]}
            try:
                signin = services.signin_domains_set(
                    tenant=tenant, domains=list(domains), by=Actor.system_actor()
                )
            except ServiceError as exc:
                raise CommandError(exc.message) from None
            domains = set(signin.verified_domains)
        self.stdout.write(f"{tenant.domain}: " + (", ".join(sorted(domains)) or "no verified domains"))
