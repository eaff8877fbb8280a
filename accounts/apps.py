from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from accounts import hosts
        from accounts.middleware import session_started
        from accounts.services.audit import signin_failure_count

        user_logged_in.connect(session_started, dispatch_uid="session-policy-start", weak=False)
        user_login_failed.connect(signin_failure_count, dispatch_uid="signin-failure-count", weak=False)
        hosts.watch()
