from django.urls import path

from hafan.referrals import views

app_name = "referrals"
urlpatterns = [
    path("services/", views.directory, name="directory"),
    path("sent/", views.sent, name="sent"),
    path("received/", views.received, name="received"),
    path("episode/<uuid:public_id>/new/", views.new_for_episode, name="new_for_episode"),
    path("debrief/<uuid:public_id>/new/", views.new_for_debrief, name="new_for_debrief"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/update/", views.update, name="update"),
    path("<uuid:public_id>/nrm/", views.nrm, name="nrm"),
]
