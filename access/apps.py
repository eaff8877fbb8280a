from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from access.services import login_failure_record, login_record

        user_logged_in.connect(login_record, dispatch_uid="access-login-record", weak=False)
        user_login_failed.connect(login_failure_record, dispatch_uid="access-login-failure", weak=False)
