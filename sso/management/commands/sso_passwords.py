from django.core.management.base import BaseCommand, CommandError

from accounts.models import Tenant
from accounts.services import Actor, event_record
from sso.models import SignIn


class Command(BaseCommand):
    help = (
        "Give a tenant in single-sign-on-only mode its passwords back (mode: password, or its "
        "provider): the way back when its provider is broken and no break-glass admin can sign in."
    )

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="the tenant's domain, e.g. acme.example.org")

    def handle(self, *args, **opts):
        tenant = Tenant.objects.filter(domain=opts["tenant"].lower()).first()
        signin = SignIn.objects.filter(tenant=tenant).first() if tenant else None
        if signin is None or not signin.sso_only:
            raise CommandError(f"{opts['tenant']} is not signing in through single sign-on only.")
        signin.mode = SignIn.Mode.BOTH
        signin.save(update_fields=["mode"])
        event_record(tenant=tenant, by=Actor.system_actor(), action="signin.update", target=signin,
                     changed=["mode"], mode=signin.mode)  # fmt: skip
        self.stdout.write(
            f"{tenant.domain}: passwords work again beside {signin.organisation or 'its provider'}."
        )
