"""Hafan settings: one module, everything that varies comes from the environment.

`DATABASE_URL` unset means the embedded SQLite database; docs/environment.md lists every variable.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
HAFAN_DIR = BASE_DIR / "hafan"

DEBUG = env_bool("HAFAN_DEBUG", default=False)
# The fallback key is for the demo and the tests only; production sets SECRET_KEY (check --deploy fails otherwise).
SECRET_KEY = env_str("SECRET_KEY", default="django-insecure-hafan-development-only-key-change-me-0123456789")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "django_tasks_db",
    # --- Staff accounts (issue 5, item 7; docs/accounts.md): two-factor sign-in and lockout.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "hafan.core",
    "hafan.agencies",
    "hafan.accounts",
    "hafan.sharing",
    "hafan.people",
    "hafan.episodes",
    "hafan.risk",
    "hafan.debriefs",
    "hafan.referrals",
    "hafan.analytics",
    "hafan.feedback",
    "hafan.linkage",
    "hafan.ingest",
    "hafan.rights",  # --- Rights and retention (issue 5, item 9)
    "hafan.notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # --- Audit trail (docs/audit.md): a fresh id per request, in every audit entry and the X-Request-ID header.
    "hafan.core.middleware.RequestIdMiddleware",
    # Secure defaults (issue 5): pages and API responses carry personal data, so no cache keeps them.
    "hafan.core.security.NoStoreMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # --- Staff accounts (docs/accounts.md): which device verified the user, then timeouts and two-factor.
    "django_otp.middleware.OTPMiddleware",
    "hafan.accounts.middleware.StaffSessionMiddleware",
    "hafan.core.middleware.PagesLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # --- Staff accounts: turns django-axes' lockout flag into the locked-out page; axes wants to be last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HAFAN_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "hafan.core.context_processors.hafan",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'hafan.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo's server, the task worker and a shell share the file without "database is locked";
    # IMMEDIATE transactions take the write lock when they begin, so two writers wait for each other (up to
    # the timeout) instead of one failing when it tries to upgrade a read lock (e.g. two imports at once).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compilation spends 50-100 ms on any query its planner costs highly, and pays off only for
    # queries that run for seconds. Hafan's run in milliseconds (the dashboard reads monthly summaries), so the
    # application's connections turn it off (docs/performance.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# SQLite (the demo and development database) ignores the analytics store's covering-index columns, which only
# PostgreSQL (production, national scale) uses: nothing to warn about there.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# --- Staff accounts (issue 5, item 7; docs/accounts.md). django-axes checks the lockout before any password
# is tried; the model backend then checks the password (and hashes even for unknown usernames, so timing
# does not tell them apart).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
HAFAN_LOGIN_FAILURE_LIMIT = env_int("HAFAN_LOGIN_FAILURE_LIMIT", 10)
HAFAN_LOGIN_COOLOFF_MINUTES = env_int("HAFAN_LOGIN_COOLOFF_MINUTES", 15)
HAFAN_SESSION_IDLE_MINUTES = env_int("HAFAN_SESSION_IDLE_MINUTES", 30)
HAFAN_SESSION_ABSOLUTE_HOURS = env_int("HAFAN_SESSION_ABSOLUTE_HOURS", 10)
# Wrong two-factor codes in one sign-in before the session is ended (each also counts towards the lockout).
HAFAN_TWO_FACTOR_FAILURE_LIMIT = 5
# `hafan demo_code` prints demo logins' codes only when DEBUG or HAFAN_DEMO is on (docs/accounts.md).
HAFAN_DEMO = env_bool("HAFAN_DEMO", default=False)
AXES_FAILURE_LIMIT = HAFAN_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=HAFAN_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Only a full sign-in (password and code) clears the failures, in hafan.accounts.signin: otherwise a correct
# password would reset the count of wrong codes and the second factor could be guessed without end.
AXES_RESET_ON_SUCCESS = False
# Axes keeps a keyed hash of the typed username, never the text (it may be a password typed in the wrong box).
AXES_USERNAME_CALLABLE = "hafan.accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "hafan.accounts.lockout.locked_out_response"
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the hub's own audit trail
AXES_ENABLE_ADMIN = False  # hashed usernames mean nothing there; the User admin has "Clear failed sign-ins"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "Hafan"
# Keep the drift at zero: one step either side is allowed, and a code can never move the window forward.
OTP_TOTP_SYNC = False
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGES = [("en", _("English")), ("cy", _("Welsh"))]
LANGUAGE_CODE = "en"
LOCALE_PATHS = [HAFAN_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
# The embedded defaults keep their files under var/ (SQLite database, collected static files).
if not env_str("STATIC_ROOT", default=""):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [HAFAN_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

# Django 6's built-in CSP: nothing inline, nothing from another origin.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Secure defaults (issue 5, item 10; docs/security.md). HAFAN_HTTPS=1 means production behind HTTPS: every
# request is redirected to HTTPS, browsers are told to use nothing else for a year (HSTS), cookies are Secure,
# and the development SECRET_KEY is refused. `hafan check --deploy --fail-level WARNING` is clean with it.
HAFAN_HTTPS = env_bool("HAFAN_HTTPS", default=False)
if HAFAN_HTTPS and SECRET_KEY.startswith("django-insecure-"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "HAFAN_HTTPS is set: set SECRET_KEY to a long random value (docs/environment.md)."
    )
SECURE_SSL_REDIRECT = HAFAN_HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HAFAN_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HAFAN_HTTPS
SECURE_HSTS_PRELOAD = HAFAN_HTTPS
if HAFAN_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
# Only behind a proxy that sets X-Forwarded-Proto itself (and strips it from clients), or anyone could claim HTTPS.
if env_bool("HAFAN_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SAMESITE = "Lax"
# Pages and HTMX send the token from the template (base.html's hx-headers), so no script needs the cookie.
CSRF_COOKIE_HTTPONLY = True

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

# Hub rules that vary between areas (docs/environment.md).
HAFAN_REPEAT_MISSING_EPISODES = env_int("HAFAN_REPEAT_MISSING_EPISODES", 3)
HAFAN_REPEAT_MISSING_DAYS = env_int("HAFAN_REPEAT_MISSING_DAYS", 90)
HAFAN_DEBRIEF_DEADLINE_HOURS = env_int("HAFAN_DEBRIEF_DEADLINE_HOURS", 72)
# Referrals (issue 7): a referral with no answer from the service is reminded after this many days, and again
# after each further interval; one started with no outcome is reminded after HAFAN_REFERRAL_OUTCOME_DAYS.
HAFAN_REFERRAL_REMINDER_DAYS = env_int("HAFAN_REFERRAL_REMINDER_DAYS", 7)
HAFAN_REFERRAL_OUTCOME_DAYS = env_int("HAFAN_REFERRAL_OUTCOME_DAYS", 90)
# The young person's feedback (issue 7): how long a one-time link works, and the counts shown as "fewer than N"
# to anyone outside the service they are about (feedback results; other figures about few children use it too).
HAFAN_FEEDBACK_LINK_DAYS = env_int("HAFAN_FEEDBACK_LINK_DAYS", 14)
HAFAN_SMALL_NUMBER_THRESHOLD = env_int("HAFAN_SMALL_NUMBER_THRESHOLD", 5)
# The impact evaluation (issue 8): the interrupted time series' default start (YYYY-MM-DD, e.g. the hub's launch);
# empty means twelve months after the first month with data.
HAFAN_LAUNCH_DATE = (
    date.fromisoformat(env_str("HAFAN_LAUNCH_DATE", "")) if env_str("HAFAN_LAUNCH_DATE", "") else None
)
# The dashboard's medians are exact up to this many episodes in the period; above it they are estimated from a
# fixed 1-in-16 sample of episodes (and the page says so), because sorting millions of values takes seconds.
HAFAN_ANALYTICS_EXACT_MEDIANS_UP_TO = env_int("HAFAN_ANALYTICS_EXACT_MEDIANS_UP_TO", 200_000)
# Risk and response (issue 6). How soon each agency must answer the information call, by the episode's
# current grade (minutes; an episode not yet graded uses medium), and how soon each grade is reviewed (hours).
HAFAN_INFORMATION_CALL_MINUTES = {
    "high": env_int("HAFAN_INFORMATION_CALL_MINUTES_HIGH", 60),
    "medium": env_int("HAFAN_INFORMATION_CALL_MINUTES_MEDIUM", 240),
    "low": env_int("HAFAN_INFORMATION_CALL_MINUTES_LOW", 720),
    "very_low": env_int("HAFAN_INFORMATION_CALL_MINUTES_VERY_LOW", 1440),
}
HAFAN_REVIEW_HOURS = {
    "high": env_int("HAFAN_REVIEW_HOURS_HIGH", 1),
    "medium": env_int("HAFAN_REVIEW_HOURS_MEDIUM", 4),
    "low": env_int("HAFAN_REVIEW_HOURS_LOW", 12),
    "very_low": env_int("HAFAN_REVIEW_HOURS_VERY_LOW", 24),
}
# Triggers: a strategy meeting within this many days of the repeat rule being met; an exploitation review
# within this many days of an indicator; the screening score at or above which a review is triggered.
HAFAN_STRATEGY_MEETING_DUE_DAYS = env_int("HAFAN_STRATEGY_MEETING_DUE_DAYS", 5)
HAFAN_EXPLOITATION_REVIEW_DUE_DAYS = env_int("HAFAN_EXPLOITATION_REVIEW_DUE_DAYS", 2)
# An exploitation fact counts as a new indicator when its source recorded it within this many days.
HAFAN_EXPLOITATION_INDICATOR_DAYS = env_int("HAFAN_EXPLOITATION_INDICATOR_DAYS", 90)
HAFAN_SCREENING_REVIEW_SCORE = env_int("HAFAN_SCREENING_REVIEW_SCORE", 6)
# How often open pages ask for news (the briefing's information call, the notification bell), in seconds.
HAFAN_LIVE_POLL_SECONDS = env_int("HAFAN_LIVE_POLL_SECONDS", 10)
# --- Patterns across children (issue 7): the places map. No tile URL means no tiles at all: markers on a blank
# map with the area's outline. A tile URL is a Leaflet template (https://{s}.tile.example.org/{z}/{x}/{y}.png);
# its host is allowed in the map page's CSP img-src. Places within this many metres of a cluster's centre join it.
HAFAN_MAP_TILE_URL = env_str("HAFAN_MAP_TILE_URL", default="")
HAFAN_MAP_TILE_ATTRIBUTION = env_str("HAFAN_MAP_TILE_ATTRIBUTION", default="")
HAFAN_PLACE_CLUSTER_METRES = env_int("HAFAN_PLACE_CLUSTER_METRES", 400)
# --- Patterns across children (issue 7): co-missing groups and persons of concern (hafan/analytics/networks.py
# and persons.py give the rules). Two children are "missing together" when both are missing at once and
# reported within this many hours of each other; a pair recurs after this many separate occasions; an adult
# named in connection with this many children is a person of concern.
HAFAN_CO_MISSING_WINDOW_HOURS = env_int("HAFAN_CO_MISSING_WINDOW_HOURS", 6)
HAFAN_CO_MISSING_MIN_OCCASIONS = env_int("HAFAN_CO_MISSING_MIN_OCCASIONS", 2)
HAFAN_PERSON_OF_CONCERN_MIN_CHILDREN = env_int("HAFAN_PERSON_OF_CONCERN_MIN_CHILDREN", 2)
# Email for notifications.
# SMTP in production (EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS); the demo and development print emails instead.
_EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG or HAFAN_DEMO
        else "django.core.mail.backends.smtp.EmailBackend"
    ),
)
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        **(
            {
                "OPTIONS": {
                    "host": env_str("EMAIL_HOST", default="localhost"),
                    "port": env_int("EMAIL_PORT", 25),
                    "use_tls": env_bool("EMAIL_USE_TLS", default=False),
                }
            }
            if _EMAIL_BACKEND.endswith("smtp.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="hafan@hafan.invalid")
# The address staff reach Hafan at, for links in emails.
HAFAN_BASE_URL = env_str("HAFAN_BASE_URL", default="http://127.0.0.1:8000")
# Identity resolution (docs/adr/0003-linkage.md): pairs at or above the upper probability link
# automatically, pairs between the two go to the review queue, pairs below do not link.
HAFAN_LINK_UPPER = float(env_str("HAFAN_LINK_UPPER", default="0.95"))
HAFAN_LINK_LOWER = float(env_str("HAFAN_LINK_LOWER", default="0.80"))
# Agency imports (docs/ingest/): the largest file accepted, from the command line and through the API.
HAFAN_IMPORT_MAX_BYTES = env_int("HAFAN_IMPORT_MAX_BYTES", 2 * 1024**3)
HAFAN_IMPORT_API_MAX_BYTES = env_int("HAFAN_IMPORT_API_MAX_BYTES", 50 * 1024**2)
# JSON documents (FHIR bundles, POLE) are read whole, so they have a lower limit than streamed CSV and XML.
HAFAN_IMPORT_JSON_MAX_BYTES = env_int("HAFAN_IMPORT_JSON_MAX_BYTES", 20 * 1024**2)
HAFAN_IMPORT_BATCH_SIZE = env_int("HAFAN_IMPORT_BATCH_SIZE", 5000)
HAFAN_PARTNERSHIP_NAME = env_str("HAFAN_PARTNERSHIP_NAME", default="Gwent Missing Children Hub")
# --- Audit trail (issue 5, item 6; docs/audit.md): `hafan audit_checkpoint` appends the chain's head here and
# `hafan audit_verify` checks it. In production this is a file on another system (a mounted share, or a
# log shipped elsewhere), so someone able to rewrite the database cannot rewrite the checkpoints too.
HAFAN_AUDIT_CHECKPOINT_FILE = Path(
    env_str("HAFAN_AUDIT_CHECKPOINT_FILE", default=str(BASE_DIR / "var" / "audit-checkpoints.log"))
)
# --- Sharing agreements and break-glass (issue 5): how long emergency access to a child's record lasts.
HAFAN_BREAK_GLASS_MINUTES = env_int("HAFAN_BREAK_GLASS_MINUTES", 240)
# --- Encryption at rest (issue 5, item 8; docs/encryption.md). Field keys: comma-separated keyid:base64-32-byte
# entries, the first encrypts and all decrypt; the lookup key keys the hashes of NHS numbers and UPNs. Unset,
# both are derived from SECRET_KEY (demo and tests only: the deploy check hafan.E001 refuses that).
HAFAN_FIELD_KEYS = env_list("HAFAN_FIELD_KEYS", [])
HAFAN_LOOKUP_KEY = env_str("HAFAN_LOOKUP_KEY", default="")
# --- Rights and retention (issue 5, item 9; docs/adr/0006-retention.md). A subject-access request is due this
# many days after receipt (28 is always within the one calendar month UK GDPR allows). Retention periods are
# proposals for the partnership's information-governance board to confirm; the audit trail is never deleted
# by `hafan retention_run`.
HAFAN_SAR_DAYS = env_int("HAFAN_SAR_DAYS", 28)
HAFAN_RETENTION = {
    # A child's hub record and everything about them: this long after their last activity, once adult.
    "child_years_after_last_activity": env_int("HAFAN_RETENTION_CHILD_YEARS_AFTER_LAST_ACTIVITY", 6),
    "child_minimum_age": env_int("HAFAN_RETENTION_CHILD_MINIMUM_AGE", 18),
    # Rows an import rejected keep the raw values the agency sent: long enough to correct and re-send.
    "import_errors_days": env_int("HAFAN_RETENTION_IMPORT_ERRORS_DAYS", 90),
    "disclosure_years": env_int("HAFAN_RETENTION_DISCLOSURE_YEARS", 6),
    "break_glass_years": env_int("HAFAN_RETENTION_BREAK_GLASS_YEARS", 6),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # --- Secure defaults (issue 5): request log lines carry the path, never the query string (docs/security.md).
    "filters": {"path_only": {"()": "hafan.core.security.PathOnlyFilter"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["path_only"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["path_only"],
        },
    },
    "loggers": {
        "django.request": {"filters": ["path_only"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "filters": ["path_only"],
            "propagate": False,
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="WARNING")},
}
