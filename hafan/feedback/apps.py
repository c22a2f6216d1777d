from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "hafan.feedback"
    label = "feedback"
