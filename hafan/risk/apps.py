from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "hafan.risk"
    label = "risk"
