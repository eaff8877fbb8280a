"""Tokens issued before a membership began, or before its last deactivation, are refused. Existing
memberships get no limit (None), so no token in use now stops working at this migration."""

from django.db import migrations, models

import accounts.models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_email_canonical")]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="tokens_valid_from",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="membership",
            name="tokens_valid_from",
            field=models.DateTimeField(
                blank=True, default=accounts.models._this_second, editable=False, null=True
            ),
        ),
    ]
