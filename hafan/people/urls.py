from django.urls import path

from hafan.people import profile_views, views

app_name = "people"
urlpatterns = [
    path("<uuid:public_id>/", views.child_detail, name="child"),
    path(
        "<uuid:public_id>/allocations/<uuid:allocation_id>/end/",
        views.allocation_end_view,
        name="allocation_end",
    ),
    path("facts/<uuid:public_id>/restrict/", views.fact_restrict_view, name="fact_restrict"),
    # Issue 6: the child information profile (Philomena protocol).
    path("<uuid:public_id>/profile/", profile_views.profile_detail, name="profile"),
    path("<uuid:public_id>/profile/edit/", profile_views.profile_edit, name="profile_edit"),
    path("<uuid:public_id>/profile/photo/", profile_views.profile_photo, name="profile_photo"),
]
