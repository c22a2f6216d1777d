from django.urls import path  # noqa: F401

app_name = "risk"
urlpatterns: list = [  # type: ignore[type-arg]
    # Hub tasks and exploitation screening (issue 6, item 7) add their pages here.
]
