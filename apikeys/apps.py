from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "apikeys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import dashboard
        from apikeys import authstate, schema, selectors  # noqa: F401 (schema registers itself)

        authstate.watch()
        dashboard.register("apikeys", selectors.dashboard_panel)
