"""Avatar uploads: verified, re-encoded and downscaled; anything else is a form error."""

import io
import os
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from testing.factories import UserFactory

pytestmark = pytest.mark.django_db

EDIT_URL = "/accounts/profile/"
NOT_AN_IMAGE = "Upload a valid image. The file you uploaded was either not an image or a corrupted image."


def png_bytes(size=(1000, 600), mode="RGBA", color=(31, 95, 91, 255)):
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_with_gps(size=(1200, 900)):
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def truncated_png():
    """The first half of a real, noisy PNG: its header is fine, its pixel data cut short."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3)).save(buffer, format="PNG")
    data = buffer.getvalue()
    truncated = data[: len(data) // 2]
    with Image.open(io.BytesIO(truncated)) as image:
        assert image.size == (200, 200)  # Pillow reads the header without complaint.
    return truncated


def png_header_only(width, height):
    """A tiny PNG whose header claims width×height 1-bit pixels (a decompression bomb)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def upload(client, content, name, content_type="image/png", **data):
    fields = {"display_name": "Ada Lovelace", "bio": "", "website": "", **data}
    if content is not None:
        fields["avatar"] = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(EDIT_URL, fields)


@pytest.fixture
def member(client):
    member = UserFactory(display_name="Ada Lovelace", bio="", website="")
    client.force_login(member)
    return member


@pytest.fixture
def member_with_avatar(client, member, settings):
    response = upload(client, png_bytes((300, 300)), "first.png")
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.avatar
    return member


def test_png_is_accepted_reencoded_and_downscaled(client, member, settings):
    response = client.post(
        EDIT_URL,
        {
            "display_name": "Ada Lovelace",
            "bio": "",
            "website": "",
            "avatar": SimpleUploadedFile("portrait.png", png_bytes((1000, 600)), content_type="image/png"),
        },
        follow=True,
    )

    content = response.content.decode()
    assert "Your profile has been updated." in content
    member.refresh_from_db()
    assert member.avatar.name.startswith(f"avatars/{member.pk}/portrait")
    assert member.avatar.name.endswith(".png")  # It has an alpha channel: kept as PNG.
    with Image.open(member.avatar.path) as stored:
        assert stored.format == "PNG"
        assert max(stored.size) <= settings.AVATAR_SIZE
        assert stored.size == (settings.AVATAR_SIZE, round(settings.AVATAR_SIZE * 600 / 1000))
    # The profile shows the image instead of the initials.
    assert f'<img src="{member.avatar.url}" alt="" width="128" height="128" class="avatar' in content
    assert "avatar-initials" not in content


def test_jpeg_loses_its_gps_position(client, member, settings):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as sent:
        assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # The upload does carry a position.

    response = upload(client, original, "holiday.jpg", content_type="image/jpeg")

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.avatar.name.endswith(".jpg")
    with Image.open(member.avatar.path) as stored:
        assert stored.format == "JPEG"
        assert max(stored.size) <= settings.AVATAR_SIZE
        assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert "exif" not in stored.info


def assert_refused(response, member, previous_avatar, error, field="avatar"):
    content = response.content.decode()
    assert response.status_code == 200
    assert "Your profile was not saved." in content
    assert error in content
    assert re.search(rf'<input[^>]*name="{field}"[^>]*class="[^"]*is-invalid', content)
    member.refresh_from_db()
    assert member.avatar.name == previous_avatar
    if previous_avatar:
        assert member.avatar.storage.exists(previous_avatar)


@pytest.mark.parametrize(
    "content, name, error",
    [
        (b"This is not a picture, just text.\n" * 20, "notes.png", NOT_AN_IMAGE),
        (truncated_png(), "truncated.png", NOT_AN_IMAGE),
        (png_header_only(30_000, 30_000), "bomb.png", "The image has too many pixels."),
        (png_header_only(7_000, 7_000), "big.png", "The image has too many pixels (7000×7000)."),
    ],
    ids=["text-named-png", "truncated-png", "decompression-bomb", "over-pixel-limit"],
)
def test_bad_files_are_refused_with_a_form_error(client, member_with_avatar, content, name, error):
    previous_avatar = member_with_avatar.avatar.name

    response = upload(client, content, name)

    assert_refused(response, member_with_avatar, previous_avatar, error)


def test_a_file_over_the_size_limit_is_refused(client, member, settings):
    too_big = b"\x89PNG\r\n\x1a\n" + b"\x00" * settings.AVATAR_MAX_UPLOAD_BYTES

    response = upload(client, too_big, "huge.png")

    assert_refused(response, member, "", "The image is too large: the limit is 5 MB.")


def test_an_empty_file_is_refused(client, member):
    response = upload(client, b"", "empty.png")

    assert_refused(response, member, "", "The submitted file is empty.")


def test_other_fields_are_kept_when_the_avatar_is_refused(client, member):
    response = upload(client, b"not an image", "x.png", display_name="New Name", bio="My bio")

    content = response.content.decode()
    assert 'value="New Name"' in content
    assert "My bio</textarea>" in content
    assert "If you chose a new avatar, choose it again." not in content  # The avatar itself was refused.
    member.refresh_from_db()
    assert member.display_name == "Ada Lovelace"


def test_a_good_avatar_with_another_error_asks_to_choose_it_again(client, member):
    response = upload(client, png_bytes(), "ok.png", website="javascript:alert(1)")

    content = response.content.decode()
    assert "If you chose a new avatar, choose it again." in content
    member.refresh_from_db()
    assert not member.avatar


def test_replacing_the_avatar_deletes_the_old_file(
    client, member_with_avatar, django_capture_on_commit_callbacks
):
    old_name = member_with_avatar.avatar.name
    storage = member_with_avatar.avatar.storage

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, png_bytes((500, 500)), "second.png")

    assert response.status_code == 302
    member_with_avatar.refresh_from_db()
    assert "second" in member_with_avatar.avatar.name
    assert storage.exists(member_with_avatar.avatar.name)
    assert not storage.exists(old_name)


def test_removing_the_avatar(client, member_with_avatar, django_capture_on_commit_callbacks):
    old_name = member_with_avatar.avatar.name
    storage = member_with_avatar.avatar.storage
    page = client.get(EDIT_URL).content.decode()
    assert 'name="remove_avatar"' in page
    assert "Remove my avatar" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            EDIT_URL,
            {"display_name": "Ada Lovelace", "bio": "", "website": "", "remove_avatar": "on"},
            follow=True,
        )

    content = response.content.decode()
    assert "Your profile has been updated." in content
    assert re.search(r'<span class="avatar avatar-initials[^"]*"[^>]*>AL</span>', content)
    member_with_avatar.refresh_from_db()
    assert not member_with_avatar.avatar
    assert not storage.exists(old_name)


def test_removing_and_uploading_at_once_is_refused(client, member_with_avatar):
    previous_avatar = member_with_avatar.avatar.name

    response = upload(client, png_bytes(), "new.png", remove_avatar="on")

    assert_refused(
        response,
        member_with_avatar,
        previous_avatar,
        "Either upload a new avatar or remove the current one, not both.",
        field="remove_avatar",
    )


def test_saving_without_a_new_file_keeps_the_avatar(client, member_with_avatar):
    previous_avatar = member_with_avatar.avatar.name

    response = upload(client, None, "", display_name="Ada L.")

    assert response.status_code == 302
    member_with_avatar.refresh_from_db()
    assert member_with_avatar.display_name == "Ada L."
    assert member_with_avatar.avatar.name == previous_avatar
