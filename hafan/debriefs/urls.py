from django.urls import path

from hafan.debriefs import views

app_name = "debriefs"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<uuid:public_id>/", views.detail, name="detail"),
]
