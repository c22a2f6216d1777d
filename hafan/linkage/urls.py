from django.urls import path

from hafan.linkage import views

app_name = "linkage"
urlpatterns = [
    path("review/", views.review_queue, name="queue"),
    path("review/<uuid:public_id>/", views.review_decision, name="review"),
    path("children/<uuid:public_id>/", views.identity_records, name="records"),
    path("candidates/", views.report_candidates, name="candidates"),
]
