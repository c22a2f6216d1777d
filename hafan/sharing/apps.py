from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "hafan.sharing"
    label = "sharing"
