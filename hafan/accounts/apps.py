from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hafan.accounts"
    label = "accounts"
