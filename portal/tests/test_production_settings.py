"""Production mode from the environment: `manage.py check --deploy` is clean, and a missing secret stops
the site.

Each test runs manage.py in a subprocess with only the environment a
production server must have (DEBUG=0, SECRET_KEY, ALLOWED_HOSTS; no mail
setting: SMTP is the default then), so the settings module is read the way
gunicorn reads it.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
# Variables of the test run (or of the developer's shell) that would change the settings under test.
SETTINGS_VARIABLES = {
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "EMAIL_BACKEND",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "CSP_EXTRA_IMG_SRC",
}


def production_environment(tmp_path, **overrides):
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    # The browser tests allow async-unsafe calls for their own process; a server never does.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "learn.example.org",
            "VAR_DIR": str(tmp_path),
        }
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(env, *args, code=None):
    command = [sys.executable, "manage.py", *args]
    if code is not None:
        command = [sys.executable, "-c", code]
    return subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603


def test_check_deploy_reports_nothing_in_production(tmp_path):
    result = manage(production_environment(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output and "ERRORS" not in output


def test_check_deploy_is_clean_with_hsts_preload_too(tmp_path):
    env = production_environment(tmp_path, SECURE_HSTS_PRELOAD="1")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "warning"),
    [
        ({"SECRET_KEY": "short-and-guessable"}, "security.W009"),
        ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SESSION_COOKIE_SECURE": "0"}, "security.W012"),
    ],
)
def test_check_deploy_catches_a_weakened_setting(tmp_path, overrides, warning):
    """The check above could fail: weakening one setting from the environment makes it warn."""
    result = manage(
        production_environment(tmp_path, **overrides), "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = manage(production_environment(tmp_path, SECRET_KEY=None), "check", "--deploy")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_production_settings_values(tmp_path):
    """The values behind the clean check: HTTPS everywhere but /healthz, a year of HSTS, secure cookies, a
    strict CSP."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'DEBUG', 'SECURE_SSL_REDIRECT', 'SECURE_REDIRECT_EXEMPT', 'SECURE_HSTS_SECONDS', "
        "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SESSION_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_SAMESITE', "
        "'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'SECURE_CROSS_ORIGIN_OPENER_POLICY', "
        "'X_FRAME_OPTIONS', 'SECURE_PROXY_SSL_HEADER', 'SECURE_CSP')}, default=list))"
    )
    result = manage(production_environment(tmp_path), code=code)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_CSP"]["script-src"] == ["'self'"]
    assert values["SECURE_CSP"]["frame-ancestors"] == ["'none'"]


MAIL_BACKEND_CODE = (
    "import django; django.setup(); from django.core.mail import mailers; "
    "inner = type(mailers.default.backend); print(inner.__module__ + '.' + inner.__name__)"
)


def test_production_sends_mail_over_smtp_without_a_mail_setting(tmp_path):
    """No EMAIL_BACKEND in production: SMTP (Django's default), not the console, which would only log it."""
    result = manage(production_environment(tmp_path), code=MAIL_BACKEND_CODE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"


def test_development_prints_mail_to_the_console(tmp_path):
    result = manage(production_environment(tmp_path, DEBUG="1"), code=MAIL_BACKEND_CODE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend"
