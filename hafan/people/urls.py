from django.urls import path

from hafan.people import views

app_name = "people"
urlpatterns = [
    path("<uuid:public_id>/", views.child_detail, name="child"),
    path(
        "<uuid:public_id>/allocations/<uuid:allocation_id>/end/",
        views.allocation_end_view,
        name="allocation_end",
    ),
    path("facts/<uuid:public_id>/restrict/", views.fact_restrict_view, name="fact_restrict"),
]
