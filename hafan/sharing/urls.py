from django.urls import path

from hafan.sharing import views

app_name = "sharing"
urlpatterns = [
    path("", views.audit, name="audit"),
    path("download.csv", views.audit_csv, name="audit_csv"),
]
