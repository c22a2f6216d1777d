from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hafan.accounts"
    label = "accounts"

    def ready(self) -> None:
        from hafan.accounts import signals  # noqa: F401 - connects the sign-in receivers
