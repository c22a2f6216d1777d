"""Patterns across children (issue 7): places, co-missing groups, persons of concern. Hub casework staff only."""

from django.urls import path

from hafan.analytics import network_views, pattern_views

app_name = "patterns"
urlpatterns: list = [
    path("", pattern_views.patterns_index, name="index"),
    path("places/", pattern_views.places, name="places"),
    path("places/<slug:key>/", pattern_views.place_detail, name="place"),
    path("co-missing/", network_views.co_missing, name="co_missing"),
    path("persons/", network_views.persons, name="persons"),
    path("persons/<slug:key>/", network_views.person, name="person"),
]
