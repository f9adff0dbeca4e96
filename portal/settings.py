"""Settings for the community learning portal, read from the environment.

With no environment at all the site runs as a local development site on a
SQLite file under ``var/``. Production sets ``DEBUG=0``, ``SECRET_KEY``,
``ALLOWED_HOSTS`` and ``DATABASE_URL`` (PostgreSQL); it refuses to start
without a secret key rather than falling back to an unsafe one.
"""

import os
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "portal.admin_site.PortalAdminConfig",  # django.contrib.admin; signing in applies the member's language
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "portal.app_configs.TagsConfig",  # taggit, named "Tags"
    "simple_history",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "portal",
    "accounts",
    "blog",
    "comments",
    "wordpress",
    # django_tasks_db, with a translated name; after "portal", whose db_worker (portal/worker.py) is run.
    "portal.app_configs.TasksDatabaseConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header (settings.SECURE_CSP), on cached pages too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETag on every page, 304 to If-None-Match; above the page cache so cached pages answer it too.
    "django.middleware.http.ConditionalGetMiddleware",
    # A NUL character in the path is a 404, NUL characters in the query string are dropped.
    "core.hostile_input.HostileInputMiddleware",
    # Public pages for visitors without a session, whole from the cache (portal/middleware.py).
    "portal.middleware.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The interface language: the django_language cookie (set by /language/<code>/), then Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Signed-in members' own copies of public pages (portal/middleware.py); last, so
    # that every other middleware has seen the request before a cached page answers it.
    "portal.middleware.MemberPageCacheMiddleware",
]

ROOT_URLCONF = "portal.urls"

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
                "portal.context_processors.site",
                "comments.context_processors.moderation_counts",
            ],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets readers proceed while a comment is being written; synchronous=FULL
    # syncs the log at every commit, so an acknowledged comment survives a power
    # cut too. IMMEDIATE transactions take the write lock at BEGIN and "timeout"
    # (seconds, sqlite3's busy timeout) makes a second writer wait for it instead
    # of failing with "database is locked" (portal/tests/test_sqlite_settings.py).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# A PostgreSQL read replica (streaming replication of the primary): reads go to it,
# writes, transactions and POST requests to the primary (portal/db_router.py).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests: the replica is the test database
    DATABASE_ROUTERS = ["portal.db_router.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(0, "portal.db_router.PrimaryReadsMiddleware")

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Redis fails open (portal/cache.py): short timeouts, a circuit breaker per
    # process, and an epoch in every key so that nothing stale survives an outage.
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
            "OPTIONS": {
                "TIMEOUT_SECONDS": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
                "RETRY_SECONDS": float(os.environ.get("REDIS_RETRY_SECONDS", "2")),
            },
        }
    }
else:
    # One process's memory: pages, fragments and sessions share it, so more room
    # than the default 300 entries (each worker of a multi-process server has its own).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("LOCAL_CACHE_ENTRIES", "5000"))},
        }
    }
# With Redis, sessions are read from the shared cache and written through to the
# database. Without it each process has its own memory cache, where a session
# ended through another process (sign-out, password change) would live on: the
# database alone then.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
)
# How long a public page stays cached at most (portal/middleware.py); 0 turns the page cache off.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "600"))
# How long a signed-in member's own copy of a page stays cached at most; 0 turns it off.
MEMBER_PAGE_CACHE_SECONDS = int(os.environ.get("MEMBER_PAGE_CACHE_SECONDS", "300"))
# Where the content version that invalidates cached pages lives when there is no
# shared cache: a file's modification time, seen by every process on the machine
# (gunicorn's workers each have their own memory cache). None: in the cache.
PAGE_CACHE_VERSION_FILE = None if REDIS_URL else VAR_DIR / "content-version"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "blog:home"
LOGOUT_REDIRECT_URL = "blog:home"

# django-allauth (65.x setting names)
PORTAL_NAME = os.environ.get("PORTAL_NAME", "Learning Together")
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{PORTAL_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"

# English and Spanish interfaces. LANGUAGE_CODE is "en" (one of LANGUAGES), the
# language of visitors whose cookie and Accept-Language name neither.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language switcher's choice is kept for a year (Django's default is the browser session).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Dates in templates use the format names (DATE_FORMAT, ...): English keeps the
# portal's long dates (portal/formats/en), Spanish uses Django's own.
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # quiets whitenoise before collectstatic
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django 6.1 configures outgoing mail with MAILERS; the environment keeps the
# familiar EMAIL_* names. The console backend prints mail during development; in
# production (DEBUG off) the default is SMTP, as Django's own, to EMAIL_HOST.
_email_backend = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_email_options = {}
if _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": 10,
    }
elif _email_backend.endswith("filebased.EmailBackend"):
    # One file per connection under EMAIL_FILE_PATH (the scale-out check counts them).
    _email_options = {"file_path": os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))}
# The site's mailer wraps that backend: a notification email (a stable Message-ID)
# is recorded once the server took it and never sent twice (portal/mail.py).
MAILERS = {
    "default": {
        "BACKEND": "portal.mail.SendOnceBackend",
        "OPTIONS": {"backend": _email_backend, "options": _email_options},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{PORTAL_NAME} <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background tasks (django.tasks): notification emails are queued in the
# database and sent by `python manage.py db_worker`, so no request waits for
# a mail server and queued mail survives a restart.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

TAGGIT_CASE_INSENSITIVE = True

# --- Security (docs/security.md; portal/tests/test_production_settings.py) ---
# With DEBUG=0, `manage.py check --deploy` reports nothing. Behind a proxy that
# terminates TLS, it must set X-Forwarded-Proto (and strip it from clients).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # no script reads it: forms carry the token
# HTTPS only: redirect plain HTTP, except /healthz, which load balancers probe over HTTP.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS: a year by default in production. includeSubDomains unless told otherwise;
# preload only on request (SECURE_HSTS_PRELOAD=1), since a preload listing lasts.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 60 * 60)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD:
    # security.W021 only says "preload is off", which is the deliberate default above.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (Django's ContentSecurityPolicyMiddleware). No inline
# script or style and no nonces: anonymous pages are cached whole, so a nonce
# would be shared. Every script and style sheet is a static file on this host;
# data: images are Bootstrap's SVG icons in its CSS. CSP_EXTRA_IMG_SRC (e.g.
# "https:") admits images in post bodies from other hosts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *env_list("CSP_EXTRA_IMG_SRC", [])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

# Rate limits. django-allauth's (65.x actions; "5/5m/key" is five per five
# minutes per login, address or email): a 429 page (templates/429.html).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "10/h/ip",
    "reset_password": "20/h/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
# Sign-up and password reset answer the same for a known and an unknown address
# (allauth mails the address's owner instead): no way to learn who has an account.
ACCOUNT_PREVENT_ENUMERATION = True
# Behind N reverse proxies, the client is the Nth address from the right of X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# The portal's own (core/ratelimit.py): (uses, seconds). Comments are limited
# in the discussion settings (per minute and per day, in the admin).
PORTAL_RATE_LIMITS = {
    "search": (30, 60),  # searches a minute per member or address
    "invite": (100, 60 * 60),  # invitations an hour per inviter (an organization invites its people at once)
    "flag": (20, 60 * 60),  # flags an hour per member
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- The portal's own settings ---------------------------------------------
PORTAL_TAGLINE = os.environ.get(
    "PORTAL_TAGLINE", _("Individual and organizational learning, discussed in the open")
)
# The site-wide license shown in every page's footer.
PORTAL_LICENSE = {
    # The default name is translated (the license's official name in each language).
    "name": os.environ.get("PORTAL_LICENSE_NAME")
    or _("Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International License"),
    "short_name": os.environ.get("PORTAL_LICENSE_SHORT_NAME", "CC BY-NC-SA 4.0"),
    "url": os.environ.get("PORTAL_LICENSE_URL", "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
}
# The site's public address: links in emails are absolute, and the worker
# that sends them has no request to take the host from.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Where readers write to, shown in every page's footer and on the account pages that say
# "write to us" (an email that did not arrive): the address emails are sent from, unless set.
PORTAL_CONTACT_EMAIL = os.environ.get("PORTAL_CONTACT_EMAIL") or parseaddr(DEFAULT_FROM_EMAIL)[1]
POSTS_PER_PAGE = int(os.environ.get("POSTS_PER_PAGE", "10"))
RELATED_POSTS_COUNT = 5
AVATAR_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
AVATAR_MAX_PIXELS = 40_000_000
AVATAR_SIZE = 256
COVER_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
COVER_MAX_PIXELS = 60_000_000
# Communities: any signed-in member may create one, unless this is on.
COMMUNITY_CREATION_STAFF_ONLY = env_bool("COMMUNITY_CREATION_STAFF_ONLY", False)
