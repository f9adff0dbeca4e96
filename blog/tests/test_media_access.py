"""Uploaded covers are as private as their posts (blog/media.py), and their addresses cannot be guessed."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from blog.models import Post
from testing.clients import client_for
from testing.factories import CommunityFactory, MembershipFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def jpeg(name="team-retro.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 90)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def with_cover(post):
    post.cover = jpeg()
    post.save()
    return post


@pytest.fixture
def community():
    return CommunityFactory()


@pytest.fixture
def members_only_post(community):
    return with_cover(PostFactory(community=community, visibility=Post.Visibility.MEMBERS, title="Our retro"))


def body(response):
    return b"".join(response.streaming_content)


def test_a_members_only_cover_is_a_404_for_visitors_and_non_members(members_only_post):
    for url in (members_only_post.cover.url, members_only_post.cover_thumbnail.url):
        assert Client().get(url).status_code == 404
        assert client_for(UserFactory()).get(url).status_code == 404


def test_members_and_editors_get_it_marked_private(members_only_post, community):
    member = MembershipFactory(community=community).member
    for url in (members_only_post.cover.url, members_only_post.cover_thumbnail.url):
        response = client_for(member).get(url)
        assert response.status_code == 200
        assert body(response)[:3] == b"\xff\xd8\xff"  # a JPEG
        assert response["Cache-Control"] == "private"
    editor = UserFactory(is_staff=True)
    assert client_for(editor).get(members_only_post.cover.url).status_code == 200


def test_a_public_posts_cover_is_for_everyone_and_cacheable():
    post = with_cover(PostFactory(title="Open notes"))
    response = Client().get(post.cover.url)
    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")


def test_a_drafts_cover_waits_for_the_post(members_only_post):
    draft = with_cover(PostFactory(status=Post.Status.DRAFT))
    assert Client().get(draft.cover.url).status_code == 404
    assert client_for(draft.author).get(draft.cover.url).status_code == 200


def test_cover_addresses_cannot_be_guessed_from_the_file_name():
    first = with_cover(PostFactory())
    second = with_cover(PostFactory())
    assert "team-retro" in first.cover.name  # still readable
    assert first.cover.name != second.cover.name
    token = first.cover.name.rsplit("/", 1)[1].split("-team-retro")[0]
    assert len(token) >= 16


def test_other_uploads_and_missing_files(members_only_post):
    member = UserFactory()
    member.avatar = jpeg("me.jpg")
    member.save()
    assert Client().get(member.avatar.url).status_code == 200
    assert Client().get("/media/covers/2020/01/nothing-here.jpg").status_code == 404
