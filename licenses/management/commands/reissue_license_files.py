from django.core.management.base import BaseCommand
from django.db import transaction

from licenses.models import Credential
from licenses.services.files import files_want


class Command(BaseCommand):
    help = (
        "Sign a new premium.lic for every enabled credential (the worker does it, in batches): after "
        "the license signing key was lost, files signed with it no longer verify anywhere. Tools get "
        "the new file at their next download."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            files_want(Credential.objects.all())
        wanted = Credential.objects.filter(is_enabled=True, file_wanted_at__isnull=False).count()
        self.stdout.write(f"Asked for a new premium.lic for {wanted} credentials.")
