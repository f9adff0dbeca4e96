"""import_wordpress: the portal's fixture (wxr/sample.xml), re-runs, dry runs and WordPress's test data."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from taggit.models import Tag

from accounts.models import User
from blog.models import Category, Page, Post
from comments.models import Comment
from testing.factories import PostFactory
from testing.wordpress import SHARED, WXR, Terminal, counts, run
from wordpress.importer import import_file
from wordpress.parsing import parse_wxr

pytestmark = pytest.mark.django_db


def test_sample_import(existing):
    out, err = run(WXR / "sample.xml", stderr=Terminal())
    assert "Importing: 100%" in err and "8/8 [" in err and "item/s]" in err  # the progress bar, on stderr
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
    run(WXR / "sample.xml")
    before = counts()
    post = Post.objects.get(wp_id=102)
    post.title = "Edited in the portal"
    post.save()
    out, _ = run(WXR / "sample.xml")
    assert counts() == before
    assert Post.objects.get(wp_id=102).title == "Edited in the portal"
    assert "Changed since import, left alone: 1" in out and "post 102: Second post" in out
    assert "Unchanged:" in out and "Created:" not in out


def test_rerun_updates_unedited_posts(existing, tmp_path):
    run(WXR / "sample.xml")
    changed = tmp_path / "changed.xml"
    changed.write_text((WXR / "sample.xml").read_text().replace("Just one line.", "Now two lines."))
    out, _ = run(changed)
    assert "Now two lines." in Post.objects.get(wp_id=102).body_html
    assert "Updated: 1 posts" in out


def test_dry_run_saves_nothing(existing):
    before = counts()
    out, _ = run(WXR / "sample.xml", "--dry-run")
    assert counts() == before
    assert "Dry run" in out and "Created:" in out and "5 posts" in out


def test_media_dir_lists_which_attachments_exist(existing, tmp_path):
    (tmp_path / "2009" / "03").mkdir(parents=True)
    (tmp_path / "2009" / "03" / "logo.png").write_bytes(b"png")
    out, _ = run(WXR / "sample.xml", "--media-dir", str(tmp_path))
    assert "logo.png> [found in media dir]" in out


def test_a_post_slug_taken_in_the_portal_gets_a_number(existing):
    PostFactory(slug="gruesse")
    run(WXR / "sample.xml")
    assert Post.objects.get(wp_id=101).slug == "gruesse-2"


@pytest.mark.parametrize("stderr, args", [(None, ()), (Terminal(), ("--verbosity", "0"))])
def test_no_progress_bar_off_a_terminal_or_with_verbosity_0(existing, stderr, args):
    out, err = run(WXR / "sample.xml", *args, stderr=stderr)
    assert err == ""
    assert ("Import finished." in out) == (args == ())


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
