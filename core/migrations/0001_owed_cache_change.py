"""OwedCacheChange moves here from accounts with its rows: this app takes over the model's state
on the table accounts made (accounts 0007 lets go of it without dropping it), then renames the
table to this app's name."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("accounts", "0006_membership_tokens_valid_from")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OwedCacheChange",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=250)),
                        ("timeout", models.PositiveIntegerField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={"db_table": "accounts_owedcachechange"},
                ),
            ],
        ),
        migrations.AlterModelTable(name="OwedCacheChange", table=None),
    ]
