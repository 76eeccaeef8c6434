"""Settings for corespond, read from the environment.

One module for every deployment. Development and the demo need nothing set: SQLite in the data
directory, a secret key generated there on first use. Production sets ``CORESPOND_PRODUCTION=1``
and must then provide ``SECRET_KEY`` and ``ALLOWED_HOSTS``. Any secret may also be given as
``<NAME>_FILE`` pointing at a file that holds it (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    """A string from the environment, or from the file named by ``<name>_FILE``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: str = "False") -> bool:
    value = env(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    value = env(name, str(default))
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


PRODUCTION = envbool("CORESPOND_PRODUCTION")
DEBUG = envbool("DEBUG")

# Data never lives in the package: the SQLite file, the generated secret key and collected
# static files all go to the data directory.
DATA_DIR = Path(env("CORESPOND_DATA_DIR", str(Path.cwd() / "var"))).resolve()


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required in production")
    # Demo and development: generate once and keep it in the data directory so sessions
    # survive restarts, without a literal key in the repository.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "corespond.core",
    "corespond.people",
    "corespond.intake",
    "corespond.dispatch",
    "corespond.field",
    "corespond.care",
    "corespond.outcomes",
    "corespond.sharing",
    "corespond.demo",
    "corespond.imports",
    "corespond.interop",
    "corespond.api",
    "ninja",
]

MIDDLEWARE = [
    "corespond.core.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "corespond.core.middleware.IdleTimeoutMiddleware",
    "corespond.core.middleware.MfaRequiredMiddleware",
    "corespond.core.middleware.ProgramTimezoneMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "corespond.urls"
ASGI_APPLICATION = "corespond.asgi.application"
WSGI_APPLICATION = "corespond.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "corespond.core.context_processors.navigation",
            ],
        },
    },
]

_SQLITE_PATH = DATA_DIR / "corespond.sqlite3"
DATABASE_URL = env("DATABASE_URL")
DB_POOL_MAX_SIZE = envint("DB_POOL_MAX_SIZE", 10)
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_health_checks=True)
    if _db["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE > 0:
        # Under ASGI every request runs in a thread of its own, so Django's persistent
        # connections (per thread) would be opened and dropped per request, several ms each.
        # A pool per worker process keeps them open (Django 5.1+, psycopg_pool).
        _db["CONN_MAX_AGE"] = 0
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": envint("DB_POOL_TIMEOUT_SECONDS", 10),
        }
    else:
        _db["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", 60)
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(_SQLITE_PATH),
            "OPTIONS": {
                # WAL lets readers (dashboards) run while a writer works; IMMEDIATE takes the
                # write lock at BEGIN so two writers queue instead of failing with
                # "database is locked" half-way through a transaction.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": envint("SQLITE_BUSY_TIMEOUT_SECONDS", 20),
            },
            # Tests use a real file, not shared-cache memory, so that concurrent transactions
            # behave as they do in production (locks, busy timeout, WAL).
            "TEST": {"NAME": str(DATA_DIR / "test-corespond.sqlite3")},
        }
    }

AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
# django-axes checks every sign-in first: after AXES_FAILURE_LIMIT failures for one username
# the account is locked for AXES_COOLOFF_MINUTES (from any address, so spreading guesses over
# addresses does not help); a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for the address too. A dispatch centre often signs in from one address
# behind its agency's proxy; locking that address would lock out every dispatcher during a
# crisis, so accounts are locked by username alone (docs/threat-model.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# CJIS 5.5.5: a session ends after this long without the user doing anything (page views,
# form posts, or keyboard and pointer activity the pages report). Background refreshes of the
# live board do not count.
IDLE_TIMEOUT_MINUTES = envint("CORESPOND_IDLE_TIMEOUT_MINUTES", 30)
# A second factor (TOTP, django-otp) for everyone who can see person-level data: every role
# but evaluator, and staff. On by default in production; the demo leaves it off so that its
# sixteen personas sign in with a password alone (turn it on to try it).
MFA_REQUIRED = envbool("CORESPOND_MFA_REQUIRED", str(PRODUCTION))
OTP_TOTP_ISSUER = env("CORESPOND_MFA_ISSUER", "corespond")
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Stored in UTC; shown in the acting user's program time zone (ProgramTimezoneMiddleware).
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_PROGRAM_TIMEZONE = env("CORESPOND_DEFAULT_TIMEZONE", "America/Los_Angeles")
# How often `corespond serve` brings teams on and off shift by their roster (0: never; then
# run `corespond shifts --watch` or a timer yourself).
SHIFT_TICK_SECONDS = envint("CORESPOND_SHIFT_TICK_SECONDS", 30)
# How often `corespond serve` writes the catalog's stale day figures (outcomes/rollup.py) in
# the background, so a page rarely has to (0: never; pages then write them when they look).
FIGURES_TICK_SECONDS = envint("CORESPOND_FIGURES_TICK_SECONDS", 60)

# A shared cache (Redis) when several server processes must agree: API rate limits and
# the dashboard's short-lived figures. Without it each process keeps its own, in memory.
CACHE_URL = env("CORESPOND_CACHE_URL")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "corespond",
        }
    }

# The REST API's rate limits ("<n>/<s|min|h|d>"): per token, and per address for requests
# without a valid token. Counted in the cache: per process unless the cache is shared.
API_RATE_LIMIT = env("CORESPOND_API_RATE_LIMIT", "600/min")
API_ANON_RATE_LIMIT = env("CORESPOND_API_ANON_RATE_LIMIT", "60/min")

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
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
# Outside production, serve straight from the app folders so the demo needs no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content Security Policy (django-csp): scripts, styles and everything else only from this
# server (front-end assets are vendored), no inline script or style, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "True")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "True")
    # The reverse proxy terminates TLS and says so in this header (docs/deployment.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
