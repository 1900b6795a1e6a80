"""Partnera settings: one module, driven by PARTNERA_* environment variables.

Defaults give a zero-setup laptop install (SQLite under ./var). `PARTNERA_ENV=production`
turns on the strict checks: a real secret key, DEBUG off, secure cookies.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"PARTNERA_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = env(name)
    if raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


PACKAGE_DIR = Path(__file__).resolve().parent.parent
HOME = Path(env("HOME", str(Path.cwd() / "var"))).resolve()
PRODUCTION = env("ENV", "development") == "production"
TESTING = not PRODUCTION and (env_bool("TESTING") or "pytest" in sys.modules)

_INSECURE_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env("SECRET_KEY", _INSECURE_KEY)
DEBUG = env_bool("DEBUG", default=False)  # tracebacks only when a developer asks for them

if PRODUCTION:
    if SECRET_KEY == _INSECURE_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "PARTNERA_ENV=production needs PARTNERA_SECRET_KEY (at least 32 random characters)."
        )
    if DEBUG:
        raise ImproperlyConfigured("PARTNERA_ENV=production refuses to start with PARTNERA_DEBUG on.")

ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
# The address users reach Partnera at, for links in e-mails and calendar feeds written by jobs
# (which have no request to take the host from), e.g. https://crm.example.bg
PARTNERA_SITE_URL = env("SITE_URL", "").rstrip("/")
if not PRODUCTION:
    ALLOWED_HOSTS += ["testserver", "[::1]"]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "ninja",  # serves Swagger UI for /api/v1/docs from our static files (no CDN)
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "partnera.core",
    "partnera.people",
    "partnera.clients",
    "partnera.imports",
    "partnera.sales",
    "partnera.activities",
    "partnera.catalog",
    "partnera.contracts",
    "partnera.orders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "partnera.core.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "partnera.core.middleware.RequestContextMiddleware",
    "partnera.core.middleware.UserTimezoneMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "partnera.config.urls"
WSGI_APPLICATION = "partnera.config.wsgi.application"
ASGI_APPLICATION = "partnera.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partnera.core.context_processors.navigation",
            ],
        },
    }
]

# --- database -----------------------------------------------------------------------------
# PARTNERA_DATABASE_URL picks the engine; the default is an embedded SQLite file.
# Tests use PARTNERA_TEST_DATABASE_URL when it is set (the PostgreSQL run in CI).
HOME.mkdir(parents=True, exist_ok=True)
_db_url = env("TEST_DATABASE_URL") if TESTING and env("TEST_DATABASE_URL") else env("DATABASE_URL")
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        _test_name = DATABASES["default"].get("NAME") or "partnera"
        DATABASES["default"]["TEST"] = {"NAME": f"test_{_test_name}"}
        # A request reads a few rows through an index; starting parallel workers for it costs
        # more (≈5 ms each, measured on "My day") than the scan they would share. Set
        # PARTNERA_PG_PARALLEL_WORKERS to let PostgreSQL use them again.
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = " ".join(filter(None, [
            _options.get("options", ""),
            f"-c max_parallel_workers_per_gather={int(env('PG_PARALLEL_WORKERS', '0'))}"]))
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(HOME / "partnera.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE: writers take the lock at BEGIN, so concurrent writers queue
                # instead of failing with "database is locked" half-way through a transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA cache_size=-64000;"
                ),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth and security ---------------------------------------------------------------------
AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is slow on purpose; tests create hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLED = env_bool("LOGIN_THROTTLING", default=True)
# How many reverse proxies stand in front (each appends to X-Forwarded-For). 0: clients connect
# directly. The audit log and login throttling read the client address accordingly.
PARTNERA_PROXY_COUNT = int(env("PROXY_COUNT", "0"))
if PARTNERA_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = PARTNERA_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# The API docs page (/api/v1/docs) loads Swagger UI from our static files ("ninja" app) and runs
# under this same policy: no exemption (partnera.core.api.LocalSwagger).

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "bg"
LANGUAGES = [("bg", _("Bulgarian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
PARTNERA_DEFAULT_TIMEZONE = env("TIME_ZONE", "Europe/Sofia")
LANGUAGE_COOKIE_NAME = "partnera_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
FORMAT_MODULE_PATH = ["partnera.core.formats"]

# --- files ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it, even before collectstatic
MEDIA_ROOT = HOME / "uploads"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
PARTNERA_MAX_UPLOAD_BYTES = int(env("MAX_UPLOAD_MB", "20")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Imports: the largest file and the most rows one import takes, and the rows per transaction.
PARTNERA_IMPORT_MAX_BYTES = int(env("IMPORT_MAX_MB", "50")) * 1024 * 1024
PARTNERA_IMPORT_MAX_ROWS = int(env("IMPORT_MAX_ROWS", "200000"))
PARTNERA_IMPORT_BATCH_SIZE = int(env("IMPORT_BATCH_SIZE", "1000"))
# Days an import's uploaded file is kept after the import ended (done, undone, or failed and not
# resumed); `partnera imports cleanup` then removes it (imports.retention).
PARTNERA_IMPORT_FILE_DAYS = int(env("IMPORT_FILE_DAYS", "30"))
# A file of up to this many rows gets its dry run at once, in the web request; a larger one as a
# background job with a progress bar (0: always a job).
PARTNERA_IMPORT_INLINE_DRY_RUN_ROWS = int(env("IMPORT_INLINE_DRY_RUN_ROWS", "5000"))

# --- e-mail -----------------------------------------------------------------------------------
_email_url = env("EMAIL_URL")
if _email_url:
    from urllib.parse import unquote, urlparse

    _parts = urlparse(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _parts.hostname or "localhost"
    EMAIL_PORT = _parts.port or 25
    EMAIL_HOST_USER = unquote(_parts.username or "")
    EMAIL_HOST_PASSWORD = unquote(_parts.password or "")
    EMAIL_USE_TLS = _parts.scheme == "submission"
    EMAIL_USE_SSL = _parts.scheme == "smtps"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("FROM_EMAIL", "partnera@localhost")

# --- jobs ---------------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- caching -----------------------------------------------------------------------------------
_cache_url = env("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every step of every PDF at INFO ("Step 7 - Adding PDF metadata"): only its
    # warnings (a missing font, a refused URL) belong in the server log.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
PARTNERA_PAGE_SIZE = 50
CSRF_FAILURE_VIEW = "partnera.core.views.csrf_failure"
