from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "hafan.ingest"
    label = "ingest"
