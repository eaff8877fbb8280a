"""Credential identifiers are unique per tenant, not portal-wide: a credential carries its
license's tenant, and the constraint names it."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_tenant(apps, schema_editor):
    Credential = apps.get_model("licenses", "Credential")
    License = apps.get_model("licenses", "License")
    Credential.objects.update(
        tenant_id=Subquery(License.objects.filter(pk=OuterRef("license_id")).values("tenant_id"))
    )


class Migration(migrations.Migration):
    dependencies = [("licenses", "0004_narrow_files"), ("accounts", "0006_membership_tokens_valid_from")]

    operations = [
        migrations.AddField(
            model_name="credential",
            name="tenant",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.tenant",
            ),
        ),
        migrations.RunPython(fill_tenant, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="credential",
            name="tenant",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.tenant",
            ),
        ),
        migrations.RemoveConstraint(model_name="credential", name="credential_identifier_unique"),
        migrations.AddConstraint(
            model_name="credential",
            constraint=models.UniqueConstraint(
                fields=("tenant", "method", "identifier"), name="credential_identifier_unique_per_tenant"
            ),
        ),
    ]
