"""Hafan settings: one module, everything that varies comes from the environment.

`DATABASE_URL` unset means the embedded SQLite database; docs/environment.md lists every variable.
"""

from __future__ import annotations

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
    "hafan.linkage",
    "hafan.ingest",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hafan.core.middleware.PagesLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
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

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

# Hub rules that vary between areas (docs/environment.md).
HAFAN_REPEAT_MISSING_EPISODES = env_int("HAFAN_REPEAT_MISSING_EPISODES", 3)
HAFAN_REPEAT_MISSING_DAYS = env_int("HAFAN_REPEAT_MISSING_DAYS", 90)
HAFAN_DEBRIEF_DEADLINE_HOURS = env_int("HAFAN_DEBRIEF_DEADLINE_HOURS", 72)
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="WARNING")},
}
