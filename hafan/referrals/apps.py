from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "hafan.referrals"
    label = "referrals"
