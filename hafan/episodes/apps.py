from django.apps import AppConfig


class EpisodesConfig(AppConfig):
    name = "hafan.episodes"
    label = "episodes"
