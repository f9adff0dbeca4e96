"""Every page's head: <title>, meta description, canonical URL, Open Graph and Twitter card.

The head is read with an HTML parser, the way a search engine or a link
preview reads it, so an unescaped quote that broke out of an attribute would
show up as a wrong value or a stray attribute.
"""

import io
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import Community
from blog.models import Post
from testing.factories import (
    CommunityFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
    individual_learning,
)

pytestmark = pytest.mark.django_db
HOST = "http://testserver"
SITE = "Learning Together"


class Head(HTMLParser):
    """<title>, <meta> and <link> of a page's head, with every attribute of each."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title, self.metas, self.links = "", [], []
        self._in_title = self._in_head = False

    def handle_starttag(self, tag, attrs):
        if tag == "head":
            self._in_head = True
        elif self._in_head and tag == "title":
            self._in_title = True
        elif self._in_head and tag == "meta":
            self.metas.append(dict(attrs))
        elif self._in_head and tag == "link":
            self.links.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self._in_head = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def meta(self, key):
        values = [
            " ".join(m["content"].split())
            for m in self.metas
            if m.get("name") == key or m.get("property") == key
        ]
        assert len(values) <= 1 or key.startswith("article:"), (key, values)
        return values[0] if values else None

    def canonical(self):
        (link,) = [link for link in self.links if link.get("rel") == "canonical"]
        return link["href"]


def head_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parser = Head()
    parser.feed(response.content.decode())
    return parser


def jpeg_upload():
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 630), (40, 120, 110)).save(buffer, format="JPEG")
    return SimpleUploadedFile("cover.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def post():
    return PostFactory(
        title='Say "yes" <and> mean it & more',
        excerpt='Why "yes" & 1 < 2 are both answers.',
        author=UserFactory(username="ann", display_name="Ann Author"),
        tags=["assent"],
    )


def test_the_post_page_has_article_meta_escaped_in_attributes(client, post):
    head = head_of(client, post.get_absolute_url())
    assert head.title == f'Say "yes" <and> mean it & more · {SITE}'
    assert head.meta("og:title") == 'Say "yes" <and> mean it & more'
    # Double quotes of the sanitized text are dropped (they cannot end the attribute); & and < stay.
    assert head.meta("description") == "Why yes & 1 < 2 are both answers."
    assert head.meta("og:description") == "Why yes & 1 < 2 are both answers."
    assert head.meta("og:type") == "article"
    assert head.meta("og:site_name") == SITE
    url = HOST + post.get_absolute_url()
    assert head.canonical() == url
    assert head.meta("og:url") == url
    assert head.meta("twitter:card") == "summary"
    assert head.meta("og:image") is None
    assert head.meta("article:published_time").startswith(post.publish_at.date().isoformat())
    assert head.meta("article:author") == HOST + post.author.get_absolute_url()
    assert head.meta("article:tag") == "assent"
    for meta in head.metas:  # nothing broke out of an attribute into one of its own
        assert set(meta) <= {"charset", "name", "property", "content"}, meta


def test_a_description_cannot_inject_attributes(client):
    post = PostFactory(excerpt='Hello" http-equiv="refresh" content="0;url=https://evil.example', body="x")
    raw = client.get(post.get_absolute_url()).content.decode()
    head = head_of(client, post.get_absolute_url())
    assert not any(meta.get("http-equiv") for meta in head.metas)
    assert 'http-equiv="refresh"' not in raw
    assert head.meta("description").startswith("Hello http-equiv=refresh")


def test_a_post_without_excerpt_is_described_by_its_first_words(client):
    post = PostFactory(excerpt="", body=" ".join(f"w{n}" for n in range(50)))
    description = head_of(client, post.get_absolute_url()).meta("description")
    assert description.startswith("w0 w1 w2") and description.endswith("w29 …")


def test_a_cover_makes_an_absolute_og_image_and_a_large_card(client):
    post = PostFactory(cover=jpeg_upload())
    head = head_of(client, post.get_absolute_url())
    assert head.meta("og:image") == HOST + post.cover.url
    assert head.meta("og:image").startswith("http://testserver/media/covers/")
    assert head.meta("twitter:card") == "summary_large_image"


def test_canonical_urls_use_the_host_and_scheme_of_the_request(client, settings, post):
    settings.ALLOWED_HOSTS = ["learn.example.org"]
    response = client.get(post.get_absolute_url(), HTTP_HOST="learn.example.org", secure=True)
    parser = Head()
    parser.feed(response.content.decode())
    assert parser.canonical() == f"https://learn.example.org{post.get_absolute_url()}"


def test_canonical_urls_of_lists_name_the_page_after_the_first(client):
    PostFactory.create_batch(12, tags=["many"])
    tag_url = reverse("blog:tag", kwargs={"slug": "many"})
    assert head_of(client, tag_url).canonical() == HOST + tag_url
    assert head_of(client, tag_url + "?page=1").canonical() == HOST + tag_url
    second = head_of(client, tag_url + "?page=2")
    assert second.canonical() == f"{HOST}{tag_url}?page=2"
    assert second.meta("og:url") == f"{HOST}{tag_url}?page=2"
    assert second.title == f"Posts tagged “many” · Page 2 · {SITE}"
    assert head_of(client, "/?page=2").canonical() == f"{HOST}/?page=2"
    assert head_of(client, "/?utm_source=x").canonical() == f"{HOST}/"
    directory = reverse("communities:directory")
    assert head_of(client, directory + "?q=circle").canonical() == HOST + directory


def page_types(post, community, member):
    return {
        "home": ("/", SITE),
        "post": (post.get_absolute_url(), f"{post.title} · {SITE}"),
        "category": (individual_learning().get_absolute_url(), f"Individual learning · {SITE}"),
        "tag": (reverse("blog:tag", kwargs={"slug": "assent"}), f"Posts tagged “assent” · {SITE}"),
        "author": (reverse("blog:author", kwargs={"username": "ann"}), f"Posts by Ann Author · {SITE}"),
        "profile": (member.get_absolute_url(), f"Ann Author · {SITE}"),
        "community directory": (reverse("communities:directory"), f"Communities · {SITE}"),
        "community": (community.get_absolute_url(), f"Open circle · {SITE}"),
        "archive": (reverse("blog:archive"), f"Archive · {SITE}"),
        "year": (
            reverse("blog:archive_year", kwargs={"year": post.publish_at.year}),
            f"Posts from {post.publish_at.year} · {SITE}",
        ),
        "month": (
            reverse(
                "blog:archive_month", kwargs={"year": post.publish_at.year, "month": post.publish_at.month}
            ),
            f"Posts from {post.publish_at:%B %Y} · {SITE}",
        ),
        "sign in": (reverse("account_login"), f"Sign In · {SITE}"),
        "sign up": (reverse("account_signup"), f"Signup · {SITE}"),
        "password reset": (reverse("account_reset_password"), f"Password Reset · {SITE}"),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "home",
        "post",
        "category",
        "tag",
        "author",
        "profile",
        "community directory",
        "community",
        "archive",
        "year",
        "month",
        "sign in",
        "sign up",
        "password reset",
    ],
)
def test_every_page_has_a_title_a_description_a_canonical_url_and_social_meta(client, post, kind):
    community = CommunityFactory(name="Open circle", description="People who *learn* in the open.")
    url, title = page_types(post, community, post.author)[kind]
    head = head_of(client, url)
    assert " ".join(head.title.split()) == title
    assert len(head.meta("description")) > 10
    assert head.canonical() == HOST + url
    assert head.meta("og:url") == HOST + url
    assert head.meta("og:site_name") == SITE
    assert head.meta("og:type") in {"website", "article", "profile"}
    assert head.meta("og:title")
    assert head.meta("og:description")
    assert head.meta("twitter:card") in {"summary", "summary_large_image"}
    absolute = [link["href"] for link in head.links if link["href"].startswith(("http:", "https:", "//"))]
    assert all(href.startswith(f"{HOST}/") for href in absolute), "no other host"


def test_list_pages_describe_themselves(client, post):
    community = CommunityFactory(name="Open circle", description='We say "hello" & learn.')
    assert head_of(client, community.get_absolute_url()).meta("description") == "We say hello & learn."
    assert head_of(client, community.get_absolute_url()).meta("og:title") == "Open circle"
    tag = head_of(client, reverse("blog:tag", kwargs={"slug": "assent"}))
    assert tag.meta("description") == f"Posts tagged “assent” on {SITE}."
    assert tag.meta("og:title") == "Posts tagged “assent”"
    profile = head_of(client, post.author.get_absolute_url())
    assert profile.meta("og:type") == "profile"
    assert profile.meta("og:title") == "Ann Author"


def test_a_members_only_post_shows_its_meta_to_members_only(client):
    community = CommunityFactory(visibility=Community.Visibility.PRIVATE)
    member = UserFactory()
    MembershipFactory(community=community, member=member)
    post = PostFactory(title="Inside the room", community=community, visibility=Post.Visibility.MEMBERS)
    assert client.get(post.get_absolute_url()).status_code == 404
    client.force_login(member)
    assert head_of(client, post.get_absolute_url()).meta("og:title") == "Inside the room"
