from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "hafan.linkage"
    label = "linkage"
