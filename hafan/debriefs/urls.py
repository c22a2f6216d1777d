from django.urls import path

from hafan.debriefs import views

app_name = "debriefs"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    # Issue 7: the workspace's steps, each its own small page.
    path("<uuid:public_id>/attempts/new/", views.attempt, name="attempt"),
    path("<uuid:public_id>/offer/", views.offer, name="offer"),
    path("<uuid:public_id>/assign/", views.assign, name="assign"),
    path("<uuid:public_id>/language/", views.language, name="language"),
    path("<uuid:public_id>/mediation/new/", views.mediation_new, name="mediation_new"),
    path("mediation/<uuid:session_id>/", views.mediation, name="mediation"),
]
