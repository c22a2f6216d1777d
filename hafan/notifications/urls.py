from django.urls import path  # noqa: F401

app_name = "notifications"
urlpatterns: list = [  # type: ignore[type-arg]
    # The notification list and the bell (issue 6, item 6) add their pages here.
]
