"""Posts and comments carry their language: lang="…" where it differs from the page's, set in the forms."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from blog.models import Post
from comments.models import Comment
from testing.clients import client_for
from testing.comments import post_comment
from testing.factories import CommentFactory, EditorFactory, PostFactory, UserFactory, individual_learning

pytestmark = pytest.mark.django_db


def comment_body_tag(page, comment):
    """The opening tag of a comment's body, within its <li>."""
    item = page.split(f'id="comment-{comment.pk}"')[1]
    return re.search(r'<div class="comment-body"[^>]*>', item).group(0)


def test_the_spanish_comment_under_an_english_post_is_marked_lang_es(client):
    post = PostFactory(title="Notes that talk back")
    spanish = CommentFactory(post=post, body="Muy de acuerdo con la entrada.", language="es")
    english = CommentFactory(post=post, body="Agreed, and thanks.", language="en")
    unmarked = CommentFactory(post=post, body="Imported from the old blog.")  # blank: the site's language
    page = client.get(post.get_absolute_url()).content.decode()
    assert '<html lang="en">' in page
    assert comment_body_tag(page, spanish) == '<div class="comment-body" lang="es">'
    assert comment_body_tag(page, english) == '<div class="comment-body">'
    assert comment_body_tag(page, unmarked) == '<div class="comment-body">'
    # The post itself is in the page's language: no lang attribute of its own.
    assert '<div class="post-body">' in page


def test_in_the_spanish_interface_english_content_is_marked_lang_en():
    post = PostFactory(title="Notes that talk back")  # blank language: the site's default, English
    spanish = CommentFactory(post=post, body="Muy de acuerdo.", language="es")
    english = CommentFactory(post=post, body="Agreed.", language="en")
    page = client_for(language="es").get(post.get_absolute_url()).content.decode()
    assert '<html lang="es">' in page
    assert '<span lang="en">Notes that talk back</span>' in page
    assert '<div class="post-body" lang="en">' in page
    assert comment_body_tag(page, spanish) == '<div class="comment-body">'
    assert comment_body_tag(page, english) == '<div class="comment-body" lang="en">'


def test_a_spanish_post_has_lang_es_on_its_title_and_body(client):
    post = PostFactory(title="Aprender en comunidad", body="Una *reflexión*.", language="es")
    page = client.get(post.get_absolute_url()).content.decode()
    assert '<h1 id="post-title" class="mb-2"><span lang="es">Aprender en comunidad</span>' in page
    assert '<div class="post-body" lang="es">' in page
    assert post.content_language == "es"
    assert PostFactory().content_language == settings.LANGUAGE_CODE == "en"


def test_the_comment_form_offers_the_language_and_defaults_to_the_interface_language():
    member = UserFactory()
    post = PostFactory()
    page = client_for(member, language="es").get(post.get_absolute_url()).content.decode()
    select = re.search(r'<select name="language"[^>]*>.*?</select>', page, re.S).group(0)
    assert '<option value="es" selected>Español</option>' in select
    assert '<option value="en">English</option>' in select
    english = client_for(member)
    select = re.search(
        r'<select name="language"[^>]*>.*?</select>',
        english.get(post.get_absolute_url()).content.decode(),
        re.S,
    ).group(0)
    assert '<option value="en" selected>English</option>' in select


def test_a_comment_is_saved_with_the_chosen_language_and_shown_with_it(client):
    member = UserFactory()
    CommentFactory(author=member)  # an approved comment: the next ones are published at once
    post = PostFactory()
    client.force_login(member)
    page = post_comment(client, post, "Me parece una idea estupenda.", language="es").content.decode()
    comment = Comment.objects.get(body="Me parece una idea estupenda.")
    assert comment.language == "es" and comment.is_approved
    assert comment_body_tag(page, comment) == '<div class="comment-body" lang="es">'


def test_an_unknown_comment_language_is_refused_and_the_text_kept(client):
    member = UserFactory()
    post = PostFactory()
    client.force_login(member)
    response = post_comment(client, post, "Ceci est un test.", follow_redirects=False, language="fr")
    assert response.status_code == 400  # the post page again, with the error, not a 500
    page = response.content.decode()
    assert "Ceci est un test." in page
    assert "fr is not one of the available choices" in page
    assert not Comment.objects.exists()


def test_a_comment_without_a_language_stays_blank(client):
    member = UserFactory()
    CommentFactory(author=member)
    client.force_login(member)
    post_comment(client, PostFactory(), "No language given.")
    assert Comment.objects.get(body="No language given.").language == ""


def test_the_post_form_sets_the_language_and_defaults_to_the_interface_language():
    editor = EditorFactory()
    client = client_for(editor, language="es")
    page = client.get(reverse("blog:post_create")).content.decode()
    select = re.search(r'<select name="language"[^>]*>.*?</select>', page, re.S).group(0)
    assert '<option value="es" selected>Español</option>' in select
    assert "El idioma predeterminado del sitio" in select
    response = client.post(
        reverse("blog:post_create"),
        {
            "title": "Aprender juntos",
            "visibility": "public",
            "categories": [individual_learning().pk],
            "tags": "",
            "excerpt": "",
            "body": "Texto.",
            "language": "es",
            "status": "draft",
            "publish_at": "2026-01-01T10:00",
            "comments_open": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Post.objects.get(title="Aprender juntos").language == "es"


def test_the_admin_edits_the_language_of_posts_and_comments():
    admin = client_for(EditorFactory(is_superuser=True))
    post = PostFactory()
    comment = CommentFactory(post=post)
    assert 'name="language"' in admin.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert (
        'name="language"'
        in admin.get(reverse("admin:comments_comment_change", args=[comment.pk])).content.decode()
    )


def test_the_search_triggers_survive_the_language_migrations():
    """AddField rebuilds blog_post and comments_comment on SQLite; the migrations restore the FTS5
    triggers."""
    if connection.vendor != "sqlite":
        pytest.skip("FTS5 triggers exist on SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {row[0] for row in cursor.fetchall()}
    from blog.search import fts5_available

    if not fts5_available():
        pytest.skip("this SQLite has no FTS5")
    assert any("blog_post" in name for name in triggers)
    assert any("comments_comment" in name for name in triggers)


def test_post_lists_mark_the_title_and_excerpt_of_a_post_in_another_language(client):
    PostFactory(title="Aprender en comunidad", excerpt="Un resumen.", language="es")
    PostFactory(title="Learning in public", excerpt="A summary.", language="en")
    page = client.get("/").content.decode()
    assert re.search(r'<a href="[^"]+" lang="es">Aprender en comunidad</a>', page)
    assert re.search(r'<div class="post-excerpt" lang="es">\s*<p>Un resumen.</p>', page)
    assert re.search(r'<a href="[^"]+">Learning in public</a>', page)
