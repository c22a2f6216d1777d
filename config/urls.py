from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from hafan.core.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    # Staff accounts, agencies and the service directory only: no child's record is in the admin.
    path("admin/", admin.site.urls),
]

urlpatterns += i18n_patterns(
    path("", include("hafan.core.urls")),
    path("accounts/", include("hafan.accounts.urls")),
    path("episodes/", include("hafan.episodes.urls")),
    path("debriefs/", include("hafan.debriefs.urls")),
    # The young person's feedback after a debrief (issue 7): a one-time link answered without signing in.
    path("feedback/", include("hafan.feedback.urls")),
    path("referrals/", include("hafan.referrals.urls")),
    path("dashboard/", include("hafan.analytics.urls")),
    path("patterns/", include("hafan.analytics.pattern_urls")),
    path("audit/", include("hafan.sharing.urls")),
    # Sharing agreements, emergency access, the disclosure log (issue 5, part F).
    path("governance/", include("hafan.sharing.governance_urls")),
    path("children/", include("hafan.people.urls")),
    path("linkage/", include("hafan.linkage.urls")),
    path("imports/", include("hafan.ingest.urls")),
    # --- Rights and retention (issue 5, item 9): subject access, rectification notices, legal holds.
    path("rights/", include("hafan.rights.urls")),
    # --- Risk and response (issue 6): hub tasks from triggers, exploitation screening; notifications.
    path("tasks/", include("hafan.risk.urls")),
    path("notifications/", include("hafan.notifications.urls")),
    prefix_default_language=False,
)

handler404 = "hafan.core.views.not_found"
