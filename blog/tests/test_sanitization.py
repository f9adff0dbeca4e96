"""Hostile Markdown and HTML in post bodies never reaches readers as executable markup."""

import pytest

from core.markup import render_markdown
from testing.factories import PostFactory
from testing.html import script_vectors

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    "<svg onload=alert(1)><circle r=1></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<form action="https://evil.example"><input name=a></form>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<body onload=alert(1)>",
    '<p onclick="alert(1)">hello</p>',
    "<<script>script>alert(1)<</script>/script>",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_is_neutralised(source):
    html = render_markdown(source)
    assert script_vectors(html) == [], html
    assert script_vectors(render_markdown(source, comment=True)) == []


def test_the_checker_itself_finds_script_vectors():
    found = script_vectors('<a href="javascript:x">a</a><img src=x onerror=y><script></script><p style="x">')
    assert found == ["a[href=javascript:x]", "img[onerror]", "<script>", "p[style]"]


def test_links_are_marked_nofollow_ugc_noopener():
    html = render_markdown("[a site](https://example.org)")
    assert 'href="https://example.org"' in html
    assert 'rel="nofollow ugc noopener"' in html


@pytest.mark.django_db
def test_post_page_shows_formatting_but_no_script(client):
    post = PostFactory(body="**Bold** idea <script>alert('x')</script>\n\n<img src=x onerror=alert(1)>")
    page = client.get(post.get_absolute_url()).content.decode()
    assert "<strong>Bold</strong> idea" in page
    body = page.split('<div class="post-body">')[1].split("</div>")[0]
    assert "<script" not in body and "alert(" not in body
    assert "onerror" not in page
