from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hafan.core"
    label = "core"

    def ready(self) -> None:
        # --- Encryption at rest (issue 5, item 8): the key checks hafan.E001-E003.
        from hafan.core import checks  # noqa: F401 - registers the checks
