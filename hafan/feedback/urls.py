from django.urls import path

from hafan.feedback import public_views, views

app_name = "feedback"
urlpatterns = [
    path("results/", views.results, name="results"),
    path("debrief/<uuid:public_id>/link/", views.link_create, name="link_create"),
    # The young person's page: no sign-in (public_views.answer is login_not_required).
    path("<str:token>/", public_views.answer, name="answer"),
]
