from django.apps import AppConfig


class IcaConfig(AppConfig):
    name = "ica"
    verbose_name = "ICA dialect"
