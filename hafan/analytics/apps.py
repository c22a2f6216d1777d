from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "hafan.analytics"
    label = "analytics"
