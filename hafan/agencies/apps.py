from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "hafan.agencies"
    label = "agencies"
