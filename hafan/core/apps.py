from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hafan.core"
    label = "core"
