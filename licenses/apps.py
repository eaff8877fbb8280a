from django.apps import AppConfig


class LicensesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "licenses"
    verbose_name = "Premium licenses"

    def ready(self) -> None:
        from accounts import dashboard
        from licenses import credstate, selectors

        credstate.watch()
        dashboard.register("licenses", selectors.dashboard_panel)
