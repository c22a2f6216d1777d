from django.urls import path

from hafan.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.bell, name="bell"),
    path("read-all/", views.notifications_read_all, name="read_all"),
    path("<uuid:public_id>/open/", views.notification_open_view, name="open"),
]
