from django.urls import path

from hafan.referrals import views

app_name = "referrals"
urlpatterns = [
    path("episode/<uuid:public_id>/new/", views.new_for_episode, name="new_for_episode"),
    path("debrief/<uuid:public_id>/new/", views.new_for_debrief, name="new_for_debrief"),
    path("<uuid:public_id>/update/", views.update, name="update"),
]
