from django.urls import path

from hafan.ingest import views

app_name = "ingest"
urlpatterns = [
    path("", views.imports, name="imports"),
    path("<str:public_id>/", views.detail, name="detail"),
    path("<str:public_id>/errors.csv", views.error_report, name="errors"),
]
