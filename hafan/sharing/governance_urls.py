"""Information governance: sharing agreements, emergency access and its review, the disclosure log."""

from django.urls import path

from hafan.sharing import governance_views as views

app_name = "governance"
urlpatterns = [
    path("agreements/", views.agreement_list, name="agreements"),
    path("agreements/new/", views.agreement_create_view, name="agreement_create"),
    path("agreements/<uuid:public_id>/", views.agreement_detail, name="agreement"),
    path("agreements/<uuid:public_id>/edit/", views.agreement_edit, name="agreement_edit"),
    path("agreements/<uuid:public_id>/parties/", views.agreement_party, name="agreement_party"),
    path(
        "agreements/<uuid:public_id>/parties/remove/",
        views.agreement_party_remove_view,
        name="agreement_party_remove",
    ),
    path("agreements/<uuid:public_id>/status/", views.agreement_status, name="agreement_status"),
    path("emergency-access/", views.emergency_access, name="emergency_access"),
    path("emergency-access/reviews/", views.break_glass_reviews, name="break_glass_reviews"),
    path(
        "emergency-access/reviews/<uuid:public_id>/",
        views.break_glass_review_view,
        name="break_glass_review",
    ),
    path("disclosures/", views.disclosure_log, name="disclosures"),
    path("disclosures/<uuid:public_id>/told/", views.disclosure_told, name="disclosure_told"),
]
