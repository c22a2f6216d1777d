from django.urls import path

from hafan.episodes import views

app_name = "episodes"
urlpatterns = [
    path("", views.episode_list, name="list"),
    path("report/", views.episode_report_view, name="report"),
    path("repeat/", views.repeat_missing, name="repeat"),
    path("<uuid:public_id>/", views.episode_detail, name="detail"),
    path("<uuid:public_id>/risk/", views.risk_record, name="risk"),
    path("<uuid:public_id>/risk/<uuid:assessment_id>/confirm/", views.risk_confirm, name="risk_confirm"),
    path("<uuid:public_id>/return/", views.episode_return, name="return"),
    path("<uuid:public_id>/safe-and-well/", views.safe_and_well, name="safe_and_well"),
    path("<uuid:public_id>/close/", views.episode_close_view, name="close"),
    path("<uuid:public_id>/response-plan/", views.response_plan, name="response_plan"),
]
