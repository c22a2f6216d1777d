from django.urls import path

from hafan.risk import views

app_name = "risk"
urlpatterns = [
    # Hub tasks and exploitation screening (issue 6, item 7).
    path("", views.task_list, name="tasks"),
    path("screening/<uuid:child_id>/", views.screening, name="screening"),
    path("<uuid:public_id>/", views.task_detail, name="task"),
]
