"""WordPress text as the portal shows it: wpautop's paragraphs, slugs, and every character kept."""

import pytest
from taggit.models import Tag

from accounts.models import User
from blog.models import Category, Post
from comments.models import Comment
from testing.wordpress import SHARED
from wordpress.importer import import_file
from wordpress.parsing import parse_wxr
from wordpress.text import ascii_slug, unicode_slug, wordpress_html_to_body, wpautop

pytestmark = pytest.mark.django_db


def test_wpautop_paragraphs_line_breaks_and_pre():
    assert wpautop("one\ntwo\n\nthree") == "<p>one<br />\ntwo</p>\n<p>three</p>\n"
    assert wpautop("<div>x</div>") == "<div>x</div>\n"
    html = wpautop("before\n\n<pre>a\n\nb</pre>\n\nafter")
    assert "<pre>a\n\nb</pre>" in html
    assert "<p>before</p>" in html and "<p>after</p>" in html
    assert wpautop("   \n ") == ""


def test_blank_lines_inside_pre_do_not_end_commonmarks_raw_html_block():
    body = wordpress_html_to_body("intro\n\n<pre>a\n\nb</pre>")
    assert "<pre>a&#10;&#10;b</pre>" in body and "\n\n" not in body.split("<pre>")[1]


def test_slugs_are_kept_when_they_fit_the_address_else_made_from_the_slug_or_title():
    assert ascii_slug("hello-world", "Ignored") == "hello-world"
    assert ascii_slug("Hello_World") == "hello_world"
    assert ascii_slug("Gr%C3%BC%C3%9Fe", "Grüße") == "grue"  # slugify drops what is not ASCII
    assert ascii_slug("", "Hello, World!") == "hello-world"
    assert ascii_slug("---", "", "post-7") == "post-7"
    assert ascii_slug("-edge-") == "edge"
    assert unicode_slug("%C3%BCber-uns") == unicode_slug("über uns") == "über-uns"
    assert unicode_slug("", "", "page-3") == "page-3"


def test_post_content_blank_lines():
    data = parse_wxr(SHARED / "post-content-blank-lines.xml")
    assert data.items[0].content.count("\n") == 3
    import_file(SHARED / "post-content-blank-lines.xml")
    html = Post.objects.get().body_html
    assert html.count("<p>") == 2 and html.count("<br>") == 1


def test_slashes():
    import_file(SHARED / "slashes.xml")
    assert Category.objects.filter(name='a \\"great\\" category').exists()
    assert Tag.objects.filter(name="foo\\'bar").exists()
    post = Post.objects.get()
    assert 'Slashes aren\\\'t \\"cool\\"' in post.body
    assert 'Slashes aren\\\'t \\"cool\\"' in post.body_html.replace("&quot;", '"').replace("&#39;", "'")
    comment = Comment.objects.get()
    assert "\\o/ ¯\\_(ツ)_/¯" in comment.body and "\\o/ ¯\\_(ツ)_/¯" in comment.body_html


def test_crazy_cdata_escaped():
    import_file(SHARED / "crazy-cdata-escaped.xml")
    post = Post.objects.get()
    assert "Content with nested <![CDATA[ tags ]]> :)" in post.body  # the source, exactly
    # In HTML "<![CDATA[ … ]]>" is a bogus comment: browsers hide it in WordPress too, the sanitizer drops it.
    assert post.body_html.startswith("<p>Content with nested") and post.body_html.rstrip().endswith(":)</p>")


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
