"""OwedCacheChange now belongs to the `core` app, which keeps its table and rows (core 0001)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_membership_tokens_valid_from"),
        ("core", "0001_owed_cache_change"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OwedCacheChange")]
        ),
    ]
