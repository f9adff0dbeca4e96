import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from testing.factories import PostFactory

pytestmark = pytest.mark.django_db


def jpeg_upload(width, height, name="cover.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 110)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_a_cover_is_reencoded_and_gets_a_thumbnail_for_lists(client):
    post = PostFactory(title="With a cover", cover=jpeg_upload(2400, 1200))
    with Image.open(post.cover.path) as cover, Image.open(post.cover_thumbnail.path) as thumbnail:
        assert cover.size == (1600, 800)
        assert thumbnail.size == (480, 240)
    page = client.get(reverse("blog:home")).content.decode()
    assert post.cover_thumbnail.url in page
    assert post.cover.url in client.get(post.get_absolute_url()).content.decode()


def test_a_cover_that_is_not_an_image_is_refused_with_a_message():
    post = PostFactory.build(cover=SimpleUploadedFile("cover.jpg", b"<html>not an image</html>"))
    with pytest.raises(ValidationError) as error:
        post.full_clean(exclude=["author"])
    assert "not an image or a corrupted image" in str(error.value)


def test_removing_the_cover_removes_the_thumbnail():
    post = PostFactory(cover=jpeg_upload(800, 600))
    post.cover = ""
    post.save()
    post.refresh_from_db()
    assert not post.cover_thumbnail
