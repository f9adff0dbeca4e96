import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image

from testing.clients import client_for
from testing.factories import SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_user_changelist")


@pytest.fixture
def admin_client():
    return client_for(SuperuserFactory(username="boss", display_name="The Boss"))


def test_changelist_lists_members_with_their_profile_columns(admin_client):
    UserFactory(username="ada", email="ada@example.org", display_name="Ada Lovelace")

    response = admin_client.get(CHANGELIST)

    content = response.content.decode()
    assert response.status_code == 200
    for column in ("Username", "Email address", "Display name", "Staff status", "Date joined"):
        assert column in content
    assert "ada@example.org" in content
    assert "Ada Lovelace" in content


@pytest.mark.parametrize("query", ["ada", "ada@example.org", "Lovelace"])
def test_changelist_search_by_username_email_or_display_name(admin_client, query):
    UserFactory(username="ada", email="ada@example.org", display_name="Ada Lovelace")
    UserFactory(username="grace", email="grace@example.org", display_name="Grace Hopper")

    content = admin_client.get(CHANGELIST, {"q": query}).content.decode()

    assert "Ada Lovelace" in content
    assert "Grace Hopper" not in content


def test_change_page_shows_the_profile_fields(admin_client):
    member = UserFactory(
        username="ada", display_name="Ada Lovelace", bio="Engines.", website="https://ada.example.org"
    )

    response = admin_client.get(reverse("admin:accounts_user_change", args=[member.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Public profile" in content
    assert re.search(r'<input[^>]*name="display_name"[^>]*value="Ada Lovelace"', content)
    assert re.search(r"<textarea[^>]*name=\"bio\"[^>]*>\s*Engines.</textarea>", content)
    assert re.search(r'<input[^>]*name="website"[^>]*value="https://ada.example.org"', content)
    assert re.search(r'<input[^>]*type="file"[^>]*name="avatar"', content)


def test_non_staff_cannot_reach_the_user_admin(client):
    client.force_login(UserFactory())

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_avatar_uploaded_in_the_admin_is_reencoded(admin_client, settings):
    member = UserFactory(username="ada", email="ada@example.org", display_name="Ada Lovelace")
    url = reverse("admin:accounts_user_change", args=[member.pk])
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "N"
    Image.new("RGB", (900, 900), "teal").save(buffer, format="JPEG", exif=exif)

    response = admin_client.post(
        url,
        {
            "username": "ada",
            "email": "ada@example.org",
            "is_active": "on",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "10:00:00",
            "display_name": "Ada Lovelace",
            "bio": "",
            "website": "",
            "avatar": SimpleUploadedFile("ada.jpg", buffer.getvalue(), content_type="image/jpeg"),
        },
        follow=True,
    )

    assert "was changed successfully" in response.content.decode()
    member.refresh_from_db()
    with Image.open(member.avatar.path) as stored:
        assert stored.size == (settings.AVATAR_SIZE, settings.AVATAR_SIZE)
        assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}


def test_a_non_image_avatar_is_refused_in_the_admin(admin_client):
    member = UserFactory(username="ada", email="ada@example.org")
    url = reverse("admin:accounts_user_change", args=[member.pk])

    response = admin_client.post(
        url,
        {
            "username": "ada",
            "email": "ada@example.org",
            "is_active": "on",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "10:00:00",
            "display_name": "Ada",
            "avatar": SimpleUploadedFile("ada.png", b"just text", content_type="image/png"),
        },
    )

    assert response.status_code == 200
    assert "Upload a valid image." in response.content.decode()
    member.refresh_from_db()
    assert not member.avatar
