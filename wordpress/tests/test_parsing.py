"""Reading WXR files: what is read, by namespace URI, and which files are refused with nothing imported."""

import pytest
from django.core.management.base import CommandError
from taggit.models import Tag

from accounts.models import User
from blog.models import Category, Page, Post
from testing.wordpress import SHARED, WXR, counts, run
from wordpress.importer import import_file
from wordpress.parsing import WXRError, parse_wxr

pytestmark = pytest.mark.django_db


def test_valid_wxr_1_1():
    data = parse_wxr(SHARED / "valid-wxr-1.1.xml")
    assert data.base_site_url == "http://localhost/" and data.version == "1.1"
    assert len(data.items) == 2 and len(data.authors) == 1  # WordPress counts pages among "posts"
    import_file(SHARED / "valid-wxr-1.1.xml")
    assert Post.objects.count() + Page.objects.count() == 2 and User.objects.count() == 1


def test_valid_wxr_1_0():
    data = parse_wxr(SHARED / "valid-wxr-1.0.xml")
    assert data.version == "1.0"
    assert len(data.items) == 6
    first = [t for t in data.terms if t.taxonomy == "category"][0]
    assert (first.slug, first.description, first.parent) == ("alpha", "The alpha category", "")
    assert [t for t in data.terms if t.taxonomy == "post_tag"][0].slug == "chicken"
    import_file(SHARED / "valid-wxr-1.0.xml")
    alpha = Category.objects.get(slug="alpha")
    assert alpha.description == "The alpha category" and alpha.parent is None
    assert Tag.objects.filter(slug="chicken").exists()
    assert Post.objects.count() + Page.objects.count() == 6


def test_namespace_edge_cases():
    data = parse_wxr(SHARED / "namespace-edge-cases.xml")
    assert len(data.items) == 6
    report = import_file(SHARED / "namespace-edge-cases.xml")
    assert report.items == 6
    assert not User.objects.filter(username="fake_ns_user").exists()
    real = User.objects.get(username="real_user")
    assert real.email == "real@example.com" and [a.wp_id for a in data.authors] == [2]
    assert report.ignored_elements["{http://example.com/fake/}author"] == 1
    first = counts()
    import_file(SHARED / "namespace-edge-cases.xml")
    assert counts() == first


def test_malformed_file_imports_nothing():
    before = counts()
    with pytest.raises(CommandError, match=r"line 10, column \d+.*Nothing was imported"):
        run(WXR / "malformed.xml")
    assert counts() == before


def test_crazy_cdata_unescaped_is_refused_clearly():
    with pytest.raises(WXRError, match=r"not well-formed XML at line 18, column \d+"):
        parse_wxr(SHARED / "crazy-cdata.xml")


@pytest.mark.parametrize("name", ["malformed.xml", "malformed-simple.xml"])
def test_malformed_shared_files(name):
    with pytest.raises(WXRError, match=r"line \d+, column \d+"):
        parse_wxr(SHARED / name)
    before = counts()
    with pytest.raises(CommandError, match="Nothing was imported"):
        run(SHARED / name)
    assert counts() == before


@pytest.mark.parametrize("name", ["missing-version-tag.xml", "invalid-version-tag.xml"])
def test_not_a_wordpress_export(name):
    before = counts()
    with pytest.raises(CommandError, match="not a WordPress export"):
        run(SHARED / name)
    assert counts() == before
