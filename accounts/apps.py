from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import hosts
        from accounts.middleware import session_started

        user_logged_in.connect(session_started, dispatch_uid="session-policy-start", weak=False)
        hosts.watch()
