from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "Single sign-on"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in

        from sso.services import sso_sign_in_record

        user_logged_in.connect(sso_sign_in_record, dispatch_uid="sso-sign-in-record", weak=False)
