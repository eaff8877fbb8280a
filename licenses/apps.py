from django.apps import AppConfig


class LicensesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "licenses"
    verbose_name = "Premium licenses"

    def ready(self) -> None:
        from licenses import credstate

        credstate.watch()
