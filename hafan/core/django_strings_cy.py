"""Messages shown on Hafan's pages that `makemessages` cannot find in Hafan's own code.

Nothing imports this module: it exists so that `make messages` (makemessages run from hafan/ with
--no-obsolete) collects these msgids into hafan/locale/cy, where they are translated like any other.
Our catalogue is in LOCALE_PATHS, so its translations win over Django's own. See docs/welsh.md.

- Django's own messages that reach our users: form-field errors, the `timesince` units used for a
  child's age, and the CSRF failure page. Django's `cy` catalogue lacks several of them (Django renamed
  "%d year" to "%(num)d year"; "Enter a valid UUID." has no Welsh) and gets one wrong
  ("Enter a valid date." reads "Rhif ddyddiad dilys").
- The audit trail's target codes ("episode", "risk_assessment"…), which sharing/audit.html translates
  by variable with the context "audit target", so the English page still shows the stored code.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

DJANGO_FORM_ERRORS = (
    gettext_noop("This field is required."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Enter a valid date/time."),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("Enter a list of values."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
)

# django.utils.timesince: the "Age when reported" column. Django's cy translates the separator ", " as ","
# ("15 o flynyddoedd,2 mis").
DJANGO_TIMESINCE = (
    gettext_noop(", "),
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
)

# django.views.csrf: shown when a form is posted without the CSRF cookie or Referer header.
DJANGO_CSRF_FAILURE = (
    gettext_noop(
        "You are seeing this message because this HTTPS site requires a "
        "“Referer header” to be sent by your web browser, but none was "
        "sent. This header is required for security reasons, to ensure "
        "that your browser is not being hijacked by third parties."
    ),
    gettext_noop(
        "If you have configured your browser to disable “Referer” headers, "
        "please re-enable them, at least for this site, or for HTTPS "
        "connections, or for “same-origin” requests."
    ),
    gettext_noop(
        'If you are using the <meta name="referrer" '
        'content="no-referrer"> tag or including the “Referrer-Policy: '
        "no-referrer” header, please remove them. The CSRF protection "
        "requires the “Referer” header to do strict referer checking. If "
        "you’re concerned about privacy, use alternatives like "
        '<a rel="noreferrer" …> for links to third-party sites.'
    ),
    gettext_noop(
        "You are seeing this message because this site requires a CSRF "
        "cookie when submitting forms. This cookie is required for "
        "security reasons, to ensure that your browser is not being "
        "hijacked by third parties."
    ),
    gettext_noop(
        "If you have configured your browser to disable cookies, please "
        "re-enable them, at least for this site, or for “same-origin” "
        "requests."
    ),
)

# AuditEvent.target_type codes, as written by the services and the admin.
AUDIT_TARGETS = (
    pgettext_lazy("audit target", "agency"),
    pgettext_lazy("audit target", "api_token"),
    pgettext_lazy("audit target", "audit_trail"),
    pgettext_lazy("audit target", "briefing"),
    pgettext_lazy("audit target", "child"),
    pgettext_lazy("audit target", "debrief"),
    pgettext_lazy("audit target", "debrief_queue"),
    pgettext_lazy("audit target", "episode"),
    pgettext_lazy("audit target", "fact"),
    pgettext_lazy("audit target", "referral"),
    pgettext_lazy("audit target", "response_plan"),
    pgettext_lazy("audit target", "risk_assessment"),
    pgettext_lazy("audit target", "service"),
    pgettext_lazy("audit target", "source_record"),
    pgettext_lazy("audit target", "user"),
)
