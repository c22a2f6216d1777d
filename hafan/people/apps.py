from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "hafan.people"
    label = "people"
