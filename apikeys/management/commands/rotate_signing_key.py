from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from apikeys import keyring


class Command(BaseCommand):
    help = (
        "Start signing JWTs with a new ES256 key. The old public key stays in /.well-known/jwks.json "
        "until every token it signed has expired; keys retired longer ago than that are dropped."
    )

    def handle(self, *args, **options):
        try:
            kid, dropped = keyring.rotate()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Signing with the new key {kid}.")
        for old in dropped:
            self.stdout.write(f"Dropped {old}: every token it signed has expired.")
        self.stdout.write("Running web processes pick the new key up within a few seconds.")
