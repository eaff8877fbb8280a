from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import metrics

        metrics.watch_tasks()  # a Celery worker loads Django's apps too: its jobs are counted there
