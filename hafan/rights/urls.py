from django.urls import path

from hafan.rights import views

app_name = "rights"
urlpatterns = [
    path("", views.rights_home, name="home"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<uuid:public_id>/", views.request_detail, name="request_detail"),
    path("requests/<uuid:public_id>/download/", views.request_download, name="request_download"),
    path("requests/<uuid:public_id>/extend/", views.request_extend, name="request_extend"),
    path("requests/<uuid:public_id>/close/", views.request_close, name="request_close"),
    path("notices/<uuid:public_id>/sent/", views.notice_sent, name="notice_sent"),
    path("holds/new/", views.hold_new, name="hold_new"),
    path("holds/<uuid:public_id>/lift/", views.hold_lift, name="hold_lift"),
]
