from django.conf import settings
from django.db import models
from django.utils import timezone


class PasswordHistory(models.Model):
    """A user's earlier passwords, as Django stored them (salted hashes), newest first: a tenant may
    forbid the last few coming back (`access.passwords`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    password = models.CharField(max_length=128)
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-replaced_at"]
        indexes = [models.Index(fields=["user", "-replaced_at"], name="password_history_user_time")]

    def __str__(self) -> str:
        return f"{self.user_id}'s password until {self.replaced_at:%Y-%m-%d}"
