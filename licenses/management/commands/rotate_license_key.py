from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from licenses import keyring


class Command(BaseCommand):
    help = (
        "Start signing premium.lic files with a new Ed25519 key. The old public key stays in "
        "/.well-known/premium-license-keys.json until every file it signed has expired (90 days)."
    )

    def handle(self, *args, **options):
        try:
            kid, dropped = keyring.rotate()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Signing premium licenses with the new key {kid}.")
        for old in dropped:
            self.stdout.write(f"Dropped {old}: every file it signed has expired.")
        self.stdout.write("Running processes pick the new key up within a few seconds.")
