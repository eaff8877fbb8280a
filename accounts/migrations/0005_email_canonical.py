"""Emails are identities compared by exact equality on their canonical form (accounts.addresses):
stored addresses are brought to it, and the unique indexes built on the database's LOWER() go
(the plain unique index on User.email stays, and now decides alone). An invitation's link is built
from the tenant's configured address when it is sent, no longer from the inviting request's Host."""

from django.db import migrations, models


def canonical_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Invitation = apps.get_model("accounts", "Invitation")
    for model in (User, Invitation):
        for row in model.objects.all().only("pk", "email").iterator():
            canonical = row.email.strip().lower()
            if canonical == row.email:
                continue
            if model is User and User.objects.filter(email=canonical).exclude(pk=row.pk).exists():
                raise RuntimeError(
                    f"Two accounts are one address: {row.email!r} and {canonical!r}; merge them first."
                )
            model.objects.filter(pk=row.pk).update(email=canonical)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_owed_cache_change")]

    operations = [
        migrations.RemoveField(model_name="invitation", name="origin"),
        migrations.RemoveConstraint(model_name="user", name="user_email_ci_unique"),
        migrations.RemoveConstraint(model_name="invitation", name="invitation_one_pending_per_email"),
        migrations.RunPython(canonical_emails, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                "tenant",
                "email",
                condition=models.Q(("status", "pending")),
                name="invitation_one_pending_per_email",
            ),
        ),
    ]
