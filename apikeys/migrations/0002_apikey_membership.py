"""A key belongs to the membership it was made in and goes with it: the keys of members removed
before this rule are deleted now, as their removal would have deleted them."""

import django.db.models.deletion
from django.db import migrations, models


def attach(apps, schema_editor):
    ApiKey = apps.get_model("apikeys", "ApiKey")
    Membership = apps.get_model("accounts", "Membership")
    memberships = {(m.tenant_id, m.user_id): m.pk for m in Membership.objects.all().iterator()}
    orphans = []
    for key in ApiKey.objects.all().only("pk", "tenant_id", "user_id").iterator():
        membership = memberships.get((key.tenant_id, key.user_id))
        if membership is None:
            orphans.append(key.pk)
        else:
            ApiKey.objects.filter(pk=key.pk).update(membership_id=membership)
    ApiKey.objects.filter(replaced_by__in=orphans).update(replaced_by=None)
    ApiKey.objects.filter(pk__in=orphans).delete()


class Migration(migrations.Migration):
    dependencies = [("apikeys", "0001_initial"), ("accounts", "0005_email_canonical")]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="membership",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="apikeys",
                to="accounts.membership",
            ),
        ),
        migrations.RunPython(attach, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apikey",
            name="membership",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="apikeys", to="accounts.membership"
            ),
        ),
    ]
