"""import_wordpress: the portal's own fixtures (comments/tests/wxr/) and WordPress's importer test data."""

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from taggit.models import Tag

from accounts.models import User
from accounts.tests.factories import UserFactory
from blog.models import Category, Page, Post
from comments.models import Comment
from comments.wordpress import (
    WXRError,
    import_file,
    legacy_redirect,
    parse_wxr,
    with_legacy_redirect,
    wpautop,
)

pytestmark = pytest.mark.django_db

HERE = Path(__file__).parent / "wxr"
_SHARED = Path(settings.BASE_DIR).parent / "shared" / "wxr"
SHARED = _SHARED if (_SHARED / "small-export.xml").exists() else HERE / "shared"


def counts():
    return {
        "users": User.objects.count(),
        "categories": Category.objects.count(),
        "tags": Tag.objects.count(),
        "posts": Post.objects.count(),
        "pages": Page.objects.count(),
        "comments": Comment.objects.count(),
    }


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_wordpress", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------- wpautop


def test_wpautop_paragraphs_line_breaks_and_pre():
    assert wpautop("one\ntwo\n\nthree") == "<p>one<br />\ntwo</p>\n<p>three</p>\n"
    assert wpautop("<div>x</div>") == "<div>x</div>\n"
    html = wpautop("before\n\n<pre>a\n\nb</pre>\n\nafter")
    assert "<pre>a\n\nb</pre>" in html
    assert "<p>before</p>" in html and "<p>after</p>" in html
    assert wpautop("   \n ") == ""


# --------------------------------------------------------------------------- the portal's fixture


@pytest.fixture
def existing():
    return UserFactory(username="existing", email="existing@example.org")


def test_sample_import(existing):
    out, err = run(HERE / "sample.xml")
    assert "Importing [" in err  # the progress bar, on stderr
    juergen = User.objects.get(username="jürgen")
    assert not juergen.is_active and not juergen.has_usable_password()
    assert (juergen.email, juergen.display_name, juergen.last_name) == (
        "juergen@example.org",
        "Jürgen Groß",
        "Groß",
    )
    assert User.objects.get(username="existing") == existing and existing.has_usable_password()

    child = Category.objects.get(slug="organisationales-lernen")
    assert child.parent.slug == "lernen" and child.parent.description == "Über das Lernen"

    post = Post.objects.get(wp_id=101)
    assert post.slug == "gruesse" and post.title == "Grüße aus dem Netz" and post.author == juergen
    assert post.publish_at == datetime(2009, 3, 14, 23, 30, tzinfo=UTC)
    assert post.get_absolute_url() == "/2009/03/14/gruesse/"  # TIME_ZONE is UTC in the tests
    assert post.status == Post.Status.PUBLISHED and post.comments_open and post.imported_at
    assert set(post.categories.values_list("slug", flat=True)) == {"organisationales-lernen"}
    assert set(post.tags.values_list("name", flat=True)) == {"Wissen", "Neu"}
    assert (
        "<p>Erster Absatz mit <em>Betonung</em> &amp; Umlauten: äöü.<br>\nZweite Zeile.</p>" in post.body_html
    )
    assert "<pre>code\n  bleibt\n\nso</pre>" in post.body_html
    assert "<p>Letzter Absatz.</p>" in post.body_html
    assert "Kurz &amp; gut." in post.excerpt_html

    comments = {c.wp_id: c for c in post.comments.all()}
    assert {k: c.status for k, c in comments.items()} == {
        1: "approved",
        2: "approved",
        3: "approved",
        4: "pending",
        5: "spam",
        6: "rejected",
    }
    anna = comments[1]
    assert anna.author is None
    assert (anna.author_name, anna.author_url, anna.author_email) == (
        "Anna Gast",
        "http://anna.example.net/",
        "anna@example.net",
    )
    assert anna.created == datetime(2009, 3, 15, 9, 0, tzinfo=UTC)
    assert comments[2].author == juergen  # comment_user_id 7 is the author jürgen
    assert (comments[2].parent, comments[2].thread_root, comments[2].depth) == (anna, anna, 1)
    assert (comments[3].parent, comments[3].thread_root, comments[3].depth) == (comments[2], anna, 2)
    assert (anna.parent, anna.depth) == (None, 0)
    post.refresh_from_db()
    assert post.comment_count == 3

    second = Post.objects.get(wp_id=102)
    assert second.author == existing and not second.comments_open
    assert second.categories.get().slug == "lernen"

    visible = set(Post.objects.visible_to(AnonymousUser()).values_list("wp_id", flat=True))
    assert visible == {101, 102}  # private, password-protected and draft posts stay hidden
    assert Post.objects.get(wp_id=105).slug == "unfinished"

    about = Page.objects.get(wp_id=201)
    team = Page.objects.get(wp_id=202)
    assert (about.path, about.status) == ("über-uns/", "published")
    assert (team.parent, team.path, team.menu_order) == (about, "über-uns/team/", 2)

    assert "http://old.example.org/wp-content/uploads/2009/03/logo.png" in out
    assert "Unknown elements ignored: 2" in out
    assert "post 103: Private thoughts (private)" in out and "post 104: Locked (password-protected)" in out


def test_rerun_creates_nothing_and_leaves_edited_posts_alone(existing):
    run(HERE / "sample.xml")
    before = counts()
    post = Post.objects.get(wp_id=102)
    post.title = "Edited in the portal"
    post.save()
    out, _ = run(HERE / "sample.xml")
    assert counts() == before
    assert Post.objects.get(wp_id=102).title == "Edited in the portal"
    assert "Changed since import, left alone: 1" in out and "post 102: Second post" in out
    assert "Unchanged:" in out and "Created:" not in out


def test_rerun_updates_unedited_posts(existing, tmp_path):
    run(HERE / "sample.xml")
    changed = tmp_path / "changed.xml"
    changed.write_text((HERE / "sample.xml").read_text().replace("Just one line.", "Now two lines."))
    out, _ = run(changed)
    assert "Now two lines." in Post.objects.get(wp_id=102).body_html
    assert "Updated: 1 posts" in out


def test_dry_run_saves_nothing(existing):
    before = counts()
    out, _ = run(HERE / "sample.xml", "--dry-run")
    assert counts() == before
    assert "Dry run" in out and "Created:" in out and "5 posts" in out


def test_media_dir_lists_which_attachments_exist(existing, tmp_path):
    (tmp_path / "2009" / "03").mkdir(parents=True)
    (tmp_path / "2009" / "03" / "logo.png").write_bytes(b"png")
    out, _ = run(HERE / "sample.xml", "--media-dir", str(tmp_path))
    assert "logo.png> [found in media dir]" in out


def test_malformed_file_imports_nothing():
    before = counts()
    with pytest.raises(CommandError, match=r"line 10, column \d+.*Nothing was imported"):
        run(HERE / "malformed.xml")
    assert counts() == before


def test_legacy_redirect(existing):
    run(HERE / "sample.xml")
    factory = RequestFactory()

    def get(query):
        request = factory.get("/", query)
        request.user = AnonymousUser()
        return legacy_redirect(request, fallback=lambda r: "home page")

    response = get({"p": "101"})
    assert response.status_code == 301 and response["Location"] == "/2009/03/14/gruesse/"
    assert get({}) == "home page"
    from django.http import Http404

    for query in ({"p": "103"}, {"p": "999"}, {"p": "abc"}):  # private, unknown, not a number
        with pytest.raises(Http404):
            get(query)

    home = with_legacy_redirect(lambda request: "home page")
    request = factory.get("/", {"p": "102"})
    request.user = AnonymousUser()
    assert home(request)["Location"] == "/2010/01/02/second-post/"
    request = factory.get("/")
    request.user = AnonymousUser()
    assert home(request) == "home page"


# --------------------------------------------------------------------------- WordPress's importer test data


def test_small_export():
    data = parse_wxr(SHARED / "small-export.xml")
    before = counts()  # the migrations add the portal's two categories
    report = import_file(SHARED / "small-export.xml")
    first = counts()
    assert report.created["categories"] == first["categories"] - before["categories"] == 30
    assert set(User.objects.values_list("username", flat=True)) == {"admin", "editor", "author"}
    assert User.objects.get(username="admin").email == "local@host.null"
    editor = User.objects.get(username="editor")
    assert (editor.email, editor.first_name, editor.last_name) == (
        "editor@example.org",
        "FirstName",
        "LastName",
    )
    assert User.objects.get(username="author").email == "author@example.org"
    assert Category.objects.get(slug="foo-bar").parent.slug == "bar"
    assert Category.objects.get(slug="foo").parent is None
    assert set(Tag.objects.values_list("slug", flat=True)) == {"tag1", "tag2", "tag3"}
    public = Post.objects.visible_to(AnonymousUser())
    assert public.count() == 5
    private = Post.objects.get(title="Private Post")
    assert private not in public and private.status == Post.Status.DRAFT
    assert Post.objects.count() == 6
    published = Page.objects.filter(status=Page.Status.PUBLISHED)
    assert set(published.values_list("title", flat=True)) == {
        "1-col page",
        "Parent Page",
        "Child Page",
        "Sample Page",
    }
    child = Page.objects.get(title="Child Page")
    assert child.parent.title == "Parent Page" and child.path == f"{child.parent.path}{child.slug}/"
    draft = Page.objects.get(title="Draft Page")
    assert draft.status == Page.Status.DRAFT
    assert [i.slug for i in data.items if i.title == "Draft Page"] == [""]
    assert Comment.objects.count() == 1
    assert Post.objects.get(title="Many Categories").categories.count() == 27
    hello = Post.objects.get(slug="hello-world")
    assert hello.author.username == "author"
    import_file(SHARED / "small-export.xml")
    assert counts() == first


def test_slashes():
    import_file(SHARED / "slashes.xml")
    assert Category.objects.filter(name='a \\"great\\" category').exists()
    assert Tag.objects.filter(name="foo\\'bar").exists()
    post = Post.objects.get()
    assert 'Slashes aren\\\'t \\"cool\\"' in post.body
    assert 'Slashes aren\\\'t \\"cool\\"' in post.body_html.replace("&quot;", '"').replace("&#39;", "'")
    comment = Comment.objects.get()
    assert "\\o/ ¯\\_(ツ)_/¯" in comment.body and "\\o/ ¯\\_(ツ)_/¯" in comment.body_html


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


def test_post_content_blank_lines():
    data = parse_wxr(SHARED / "post-content-blank-lines.xml")
    assert data.items[0].content.count("\n") == 3
    import_file(SHARED / "post-content-blank-lines.xml")
    html = Post.objects.get().body_html
    assert html.count("<p>") == 2 and html.count("<br>") == 1


def test_crazy_cdata_escaped():
    import_file(SHARED / "crazy-cdata-escaped.xml")
    post = Post.objects.get()
    assert "Content with nested <![CDATA[ tags ]]> :)" in post.body  # the source, exactly
    # In HTML "<![CDATA[ … ]]>" is a bogus comment: browsers hide it in WordPress too, the sanitizer drops it.
    assert post.body_html.startswith("<p>Content with nested") and post.body_html.rstrip().endswith(":)</p>")


def test_crazy_cdata_unescaped_is_refused_clearly():
    with pytest.raises(WXRError, match=r"not well-formed XML at line 18, column \d+"):
        parse_wxr(SHARED / "crazy-cdata.xml")


def test_utf8_challenges():
    data = parse_wxr(SHARED / "wxr-utf-8-challenges.xml")
    item = data.items[0]
    import_file(SHARED / "wxr-utf-8-challenges.xml")
    post = Post.objects.get()
    assert User.objects.count() == 1
    title = '"The Road \u202eNot\u202c Taken" by Rob\u202dert \u202eFrost \u202a🌲\u202c'
    assert post.title == title == item.title
    assert "\u202e" in item.slug and "💫" in item.slug
    assert post.slug.isascii() and post.slug  # the post URL converter is ASCII (documented)
    assert item.content.strip() and item.content.strip().split("\n")[0] in post.body
    for line in item.content.splitlines():  # every character survives in the source (wpautop writes <br />)
        assert line.replace("<br>", "<br />") in post.body
    for text in ("\u202e", "\u202d", "💫", "السلام عليكم", "𝔱𝔯𝔞𝔳𝔢𝔩", "𝒮𝑒𝑒𝓂𝑒𝒹", "T̷̢̯̭̈w̴̰̜̾o̷͉̅"):
        assert text in post.body_html
    assert post.get_absolute_url()


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


def test_theme_unit_test_data_renders_every_published_post(client):
    import_file(SHARED / "theme-unit-test-data.xml")
    first = counts()
    published = Post.objects.visible_to(AnonymousUser())
    assert published.count() > 40
    for post in published:
        response = client.get(post.get_absolute_url())
        assert response.status_code == 200, post.title
    import_file(SHARED / "theme-unit-test-data.xml")
    assert counts() == first
