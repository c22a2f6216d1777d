from django.apps import AppConfig


class DebriefsConfig(AppConfig):
    name = "hafan.debriefs"
    label = "debriefs"
