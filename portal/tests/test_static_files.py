"""Static files the production way: hashed names, far-future cache headers, gzip and Brotli.

``collectstatic`` runs with the production storage (whitenoise's compressed
manifest storage) into a temporary folder, and whitenoise serves from it as
it does behind gunicorn.
"""

import re

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.templatetags.static import static
from django.test import RequestFactory, override_settings
from django.utils.functional import empty
from whitenoise.middleware import WhiteNoiseMiddleware

TEN_YEARS = 315360000


@pytest.fixture(scope="module")
def production_static(tmp_path_factory, django_db_blocker):
    """collectstatic once for the module (compressing Bootstrap with Brotli takes a while)."""
    root = tmp_path_factory.mktemp("static")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(DEBUG=False, STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
        staticfiles_storage._wrapped = empty  # the next use reads the manifest just written
        yield WhiteNoiseMiddleware(lambda request: pytest.fail("not a static file")), root
    staticfiles_storage._wrapped = empty


def fetch(middleware, url, encoding=""):
    request = RequestFactory().get(url, HTTP_ACCEPT_ENCODING=encoding)
    return middleware(request)


def test_pages_link_hashed_names_that_are_cached_for_ten_years_and_immutable(production_static):
    middleware, root = production_static
    url = static("portal/portal.css")
    assert re.search(r"/portal/portal\.[0-9a-f]{12}\.css$", url), url
    response = fetch(middleware, url)
    assert response.status_code == 200
    assert f"max-age={TEN_YEARS}" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]


@pytest.mark.parametrize("encoding, expected", [("br, gzip", "br"), ("gzip", "gzip"), ("", None)])
def test_css_and_javascript_are_served_compressed_when_the_browser_accepts_it(
    production_static, encoding, expected
):
    middleware, root = production_static
    for name in ("bootstrap/css/bootstrap.min.css", "bootstrap/js/bootstrap.bundle.min.js"):
        response = fetch(middleware, static(name), encoding)
        assert response.status_code == 200
        assert response.get("Content-Encoding") == expected, name
        assert "Accept-Encoding" in response["Vary"]


def test_unhashed_names_are_cached_briefly_so_a_deploy_shows_at_once(production_static):
    middleware, root = production_static
    response = fetch(middleware, "/static/portal/portal.css")
    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1)) <= 3600
