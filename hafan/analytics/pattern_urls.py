"""Patterns across children (issue 7): places, co-missing groups, persons of concern. Hub casework staff only."""

from django.urls import path  # noqa: F401

app_name = "patterns"
urlpatterns: list = []
