"""Editors merge two spellings of one topic in the tag admin: posts and followers move, the others go."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from taggit.models import Tag

from blog.models import Follow, Post, TagRedirect
from blog.services import follow
from testing.clients import client_for
from testing.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:taggit_tag_changelist")


@pytest.fixture
def spellings():
    """ "KM" and "knowledge management" on different posts, one post with both, one unrelated tag."""
    only_short = PostFactory(title="Short spelling", tags=["KM"])
    only_long = PostFactory(title="Long spelling", tags=["knowledge management"])
    both = PostFactory(title="Both spellings", tags=["KM", "knowledge management", "wikis"])
    return {
        "short": Tag.objects.get(name="KM"),
        "long": Tag.objects.get(name="knowledge management"),
        "posts": (only_short, only_long, both),
    }


def merge(client, tags, *, into=None, confirm=True):
    data = {"action": "merge_selected_tags", ACTION_CHECKBOX_NAME: [tag.pk for tag in tags]}
    if confirm:
        data["post"] = "yes"
    if into is not None:
        data["into"] = into if isinstance(into, str) else into.pk
    return client.post(CHANGELIST, data, follow=True)


def test_the_tag_list_shows_how_many_posts_carry_each_tag(editor_client, spellings):
    page = editor_client.get(CHANGELIST).content.decode()

    for tag, count in [(spellings["short"], 2), (spellings["long"], 2), (Tag.objects.get(name="wikis"), 1)]:
        link = reverse("admin:blog_post_changelist") + f"?tagged_items__tag__id__exact={tag.pk}"
        assert f'<td class="field-post_count_link"><a href="{link}">{count}</a></td>' in page


def test_the_confirmation_page_asks_which_tag_to_keep(editor_client, spellings):
    response = merge(editor_client, [spellings["short"], spellings["long"]], confirm=False)

    page = response.content.decode()
    assert "Which tag do the posts keep?" in page
    assert "<strong>KM</strong>" in page and "<strong>knowledge management</strong>" in page
    assert "2 posts" in page
    assert Tag.objects.filter(name="KM").exists(), "nothing changes before the editor confirms"


def test_merging_moves_posts_and_followers_onto_the_kept_tag(editor_client, spellings):
    short, long = spellings["short"], spellings["long"]
    only_short, only_long, both = spellings["posts"]
    follows_short, follows_both = UserFactory(), UserFactory()
    follow(follower=follows_short, target=short)
    follow(follower=follows_both, target=short)
    follow(follower=follows_both, target=long)

    response = merge(editor_client, [short, long], into=long)

    assert "“KM” merged into “knowledge management”: 2 posts changed." in response.content.decode()
    assert not Tag.objects.filter(name="KM").exists()
    for post in (only_short, only_long, both):
        assert "knowledge management" in post.tags.names()
    assert sorted(both.tags.names()) == ["knowledge management", "wikis"]
    assert Follow.objects.filter(tag=long).count() == 2
    assert set(Follow.objects.filter(tag=long).values_list("follower", flat=True)) == {
        follows_short.pk,
        follows_both.pk,
    }
    only_short.refresh_from_db()
    assert only_short.search_tags == "knowledge management"
    entry = LogEntry.objects.get(object_id=str(long.pk))
    assert entry.get_change_message() == "Merged “KM” into this tag."


def test_readers_see_the_merged_tag_at_once(editor_client, spellings):
    visitor = Client()
    short_page = reverse("blog:tag", kwargs={"slug": spellings["short"].slug})
    long_page = reverse("blog:tag", kwargs={"slug": spellings["long"].slug})
    assert "Short spelling" not in visitor.get(long_page).content.decode()  # now in the page cache

    merge(editor_client, [spellings["short"], spellings["long"]], into=spellings["long"])

    moved = visitor.get(short_page)
    assert moved.status_code == 301 and moved["Location"] == long_page
    page = visitor.get(long_page).content.decode()
    assert "Short spelling" in page and "Long spelling" in page and "Both spellings" in page
    results = visitor.get(reverse("search"), {"q": "management"}).content.decode()
    assert "Short spelling" in results


def test_a_choice_outside_the_selection_changes_nothing(editor_client, spellings):
    outsider = Tag.objects.get(name="wikis")

    for choice in (outsider.pk, "", "not-a-number"):
        response = merge(editor_client, [spellings["short"], spellings["long"]], into=str(choice))
        page = response.content.decode()
        assert "Choose the tag to keep." in page
        assert 'aria-describedby="merge-error"' in page

    assert Tag.objects.filter(name__in=["KM", "knowledge management", "wikis"]).count() == 3
    assert not Post.objects.get(title="Short spelling").tags.filter(name="knowledge management").exists()


def test_one_tag_alone_is_not_a_merge(editor_client, spellings):
    response = merge(editor_client, [spellings["short"]], into=spellings["short"])

    assert "Select at least two tags to merge." in response.content.decode()
    assert Tag.objects.filter(name="KM").exists()


def test_staff_who_may_not_delete_tags_cannot_merge_them(spellings):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="taggit", codename__in=["view_tag", "change_tag"])
    )
    client = client_for(staff)

    assert "merge_selected_tags" not in client.get(CHANGELIST).content.decode()
    merge(client, [spellings["short"], spellings["long"]], into=spellings["long"])

    assert Tag.objects.filter(name="KM").exists()


def test_the_merge_page_speaks_spanish(editor_client, spellings):
    editor_client.cookies["django_language"] = "es"
    page = merge(editor_client, [spellings["short"], spellings["long"]], confirm=False).content.decode()

    assert "¿Qué etiqueta conservan las entradas?" in page
    assert "Fusionar etiquetas" in page
    assert "Which tag" not in page and "posts" not in page


def tag_page(slug):
    return reverse("blog:tag", kwargs={"slug": slug})


def test_a_merged_tags_address_and_feeds_redirect_to_the_kept_tag(editor_client, spellings):
    """A link to the merged spelling (a bookmark, an old page, a search engine) lands on the kept tag."""
    short, long = spellings["short"], spellings["long"]
    merge(editor_client, [short, long], into=long)
    visitor = Client()

    response = visitor.get(tag_page("km"), {"page": "1"}, follow=True)
    assert response.redirect_chain == [(tag_page("knowledge-management") + "?page=1", 301)]
    page = response.content.decode()
    assert "Short spelling" in page and "Long spelling" in page
    atom = reverse("blog:tag_feed_atom", kwargs={"slug": "km"})
    response = visitor.get(atom)
    assert response.status_code == 301
    assert response["Location"] == reverse("blog:tag_feed_atom", kwargs={"slug": "knowledge-management"})
    assert visitor.get(tag_page("never-a-tag")).status_code == 404


def test_the_kept_tag_keeps_a_clean_slug(editor_client):
    """ "Peer-Learning" came first and took peer-learning; "peer learning" got taggit's peer-learning_1.

    Kept after the merge, "peer learning" takes the clean address, and its numbered one redirects.
    """
    PostFactory(title="Study circles", tags=["Peer-Learning"])
    PostFactory(title="Learning pairs", tags=["peer learning"])
    merged, kept = Tag.objects.get(name="Peer-Learning"), Tag.objects.get(name="peer learning")
    assert (merged.slug, kept.slug) == ("peer-learning", "peer-learning_1")

    response = merge(editor_client, [merged, kept], into=kept)

    assert "“Peer-Learning” merged into “peer learning”: 1 post changed." in response.content.decode()
    kept.refresh_from_db()
    assert kept.slug == "peer-learning"
    visitor = Client()
    page = visitor.get(tag_page("peer-learning"))
    assert page.status_code == 200
    assert "Study circles" in page.content.decode() and "Learning pairs" in page.content.decode()
    numbered = visitor.get(tag_page("peer-learning_1"))
    assert numbered.status_code == 301 and numbered["Location"] == tag_page("peer-learning")
    assert not TagRedirect.objects.filter(old_slug="peer-learning").exists()


def test_a_slug_chosen_by_an_editor_is_kept(editor_client):
    PostFactory(tags=["Peer-Learning", "peer learning"])
    merged, kept = Tag.objects.get(name="Peer-Learning"), Tag.objects.get(name="peer learning")
    Tag.objects.filter(pk=kept.pk).update(slug="peers")

    merge(editor_client, [merged, kept], into=kept)

    kept.refresh_from_db()
    assert kept.slug == "peers"
    assert Client().get(tag_page("peer-learning"))["Location"] == tag_page("peers")


def test_merging_the_kept_tag_again_moves_its_old_addresses_along(editor_client, spellings):
    merge(editor_client, [spellings["short"], spellings["long"]], into=spellings["long"])
    PostFactory(title="Wiki gardening", tags=["wikis"])
    wikis = Tag.objects.get(name="wikis")

    merge(editor_client, [Tag.objects.get(name="knowledge management"), wikis], into=wikis)

    visitor = Client()
    for old in ("km", "knowledge-management"):
        response = visitor.get(tag_page(old))
        assert response.status_code == 301 and response["Location"] == tag_page("wikis")


def test_a_tag_whose_slug_an_editor_changes_keeps_its_old_address(editor_client, spellings):
    long = spellings["long"]
    change = reverse("admin:taggit_tag_change", args=[long.pk])

    response = editor_client.post(change, {"name": "knowledge management", "slug": "km-practice"})

    assert response.status_code == 302
    visitor = Client()
    moved = visitor.get(tag_page("knowledge-management"))
    assert moved.status_code == 301 and moved["Location"] == tag_page("km-practice")
    assert "Long spelling" in visitor.get(tag_page("km-practice")).content.decode()


def test_a_deleted_tags_addresses_are_gone(editor_client, spellings):
    merge(editor_client, [spellings["short"], spellings["long"]], into=spellings["long"])

    spellings["long"].delete()

    visitor = Client()
    assert visitor.get(tag_page("km")).status_code == 404
    assert visitor.get(tag_page("knowledge-management")).status_code == 404
