from django.urls import path

from hafan.episodes import views
from hafan.episodes.assign_views import episode_assign_view
from hafan.episodes.information_views import information_answer, information_call, information_requests
from hafan.episodes.pdf_views import briefing_pdf

app_name = "episodes"
urlpatterns = [
    path("", views.episode_list, name="list"),
    path("report/", views.episode_report_view, name="report"),
    path("repeat/", views.repeat_missing, name="repeat"),
    # Issue 6 / information call: the agencies' workers' queue and answer form.
    path("information-requests/", information_requests, name="information_requests"),
    path("information-requests/<uuid:request_id>/", information_answer, name="information_answer"),
    path("reviews/", views.risk_reviews, name="reviews"),
    path("<uuid:public_id>/", views.episode_detail, name="detail"),
    # Issue 6: the printable police briefing.
    path("<uuid:public_id>/briefing.pdf", briefing_pdf, name="briefing_pdf"),
    path("<uuid:public_id>/risk/", views.risk_record, name="risk"),
    path("<uuid:public_id>/risk/<uuid:assessment_id>/confirm/", views.risk_confirm, name="risk_confirm"),
    path("<uuid:public_id>/return/", views.episode_return, name="return"),
    path("<uuid:public_id>/safe-and-well/", views.safe_and_well, name="safe_and_well"),
    path("<uuid:public_id>/close/", views.episode_close_view, name="close"),
    path("<uuid:public_id>/response-plan/", views.response_plan, name="response_plan"),
    path(
        "<uuid:public_id>/response-plan/<uuid:plan_id>/decide/",
        views.response_plan_decide,
        name="response_plan_decide",
    ),
    path("<uuid:public_id>/information-call/", information_call, name="information_call"),
    path("<uuid:public_id>/assign/", episode_assign_view, name="assign"),
]
