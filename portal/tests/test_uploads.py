"""Image uploads through the real forms: avatar (profile), cover (post form), community logo (community form).

Accepted: JPEG, PNG, WebP and GIF, judged by what Pillow decodes, not by the
file name or content type. Every accepted image is re-encoded from its pixels:
the stored bytes differ from the upload, decode with Pillow, and carry no
EXIF (no GPS position), no comment and nothing appended (no ``<script``).
Refused with a form error, the other fields kept: SVG, HTML named .png, text,
truncated files, other formats (BMP, TIFF), decompression bombs, files over
the size limit.
"""

import io
import os
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image, PngImagePlugin

from accounts.models import Community, User
from blog.models import Post
from testing.clients import client_for
from testing.factories import EditorFactory, UserFactory, individual_learning

pytestmark = pytest.mark.django_db

TARGETS = ["avatar", "cover", "logo"]
PAYLOAD = b"<html><body><script>alert(document.cookie)</script></body></html>"


# --- Files ---------------------------------------------------------------------------------


def image_bytes(format, size=(640, 480), mode="RGB", **save):
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 80, 40) if mode == "RGB" else None).save(buffer, format=format, **save)
    return buffer.getvalue()


def jpeg_with_gps_and_comment():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Spy camera"
    exif[ExifTags.Base.ImageDescription] = "<script>alert(1)</script>"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    data = image_bytes("JPEG", exif=exif, comment=b"taken at home")
    with Image.open(io.BytesIO(data)) as sent:  # the upload really carries a position
        assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude]
    return data


def png_claiming(width, height):
    """A tiny PNG whose header claims width×height pixels: a decompression bomb."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def png_with_text_chunk():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", PAYLOAD.decode())
    return image_bytes("PNG", mode="RGBA", size=(300, 200), pnginfo=info)


def noisy_png(size):
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(
        buffer, format="PNG", compress_level=0
    )
    return buffer.getvalue()


ACCEPTED = {
    "jpeg": (lambda: image_bytes("JPEG"), "photo.jpg", "image/jpeg"),
    "png": (lambda: image_bytes("PNG", mode="RGBA"), "photo.png", "image/png"),
    "webp": (lambda: image_bytes("WEBP"), "photo.webp", "image/webp"),
    "gif": (lambda: image_bytes("GIF"), "photo.gif", "image/gif"),
    # The decoded format decides, not the name or the content type.
    "jpeg-named-gif": (lambda: image_bytes("JPEG"), "photo.gif", "image/gif"),
}
POLYGLOTS = {
    "gif-with-html-appended": (lambda: image_bytes("GIF") + PAYLOAD, "funny.gif", "image/gif"),
    "jpeg-with-html-appended": (lambda: image_bytes("JPEG") + PAYLOAD, "photo.jpg", "image/jpeg"),
    "jpeg-with-html-comment": (lambda: image_bytes("JPEG", comment=PAYLOAD), "photo.jpg", "image/jpeg"),
    "gif-with-html-comment": (lambda: image_bytes("GIF", comment=PAYLOAD), "photo.gif", "image/gif"),
    "png-with-html-text-chunk": (png_with_text_chunk, "photo.png", "image/png"),
}
INVALID = "Upload a valid image"
REFUSED = {
    "svg": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>',
        "logo.svg",
        "image/svg+xml",
        INVALID,
    ),
    "svg-named-png": (
        lambda: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>',
        "logo.png",
        "image/png",
        INVALID,
    ),
    "html-named-png": (lambda: PAYLOAD, "photo.png", "image/png", INVALID),
    "html-then-gif": (lambda: PAYLOAD + image_bytes("GIF"), "photo.gif", "image/gif", INVALID),
    "text": (lambda: b"just some words\n" * 50, "notes.jpg", "image/jpeg", INVALID),
    "truncated-jpeg": (lambda: noisy_jpeg()[:3000], "cut.jpg", "image/jpeg", INVALID),
    "bmp": (lambda: image_bytes("BMP"), "photo.bmp", "image/bmp", "JPEG, PNG, WebP or GIF"),
    "tiff": (lambda: image_bytes("TIFF"), "photo.tif", "image/tiff", "JPEG, PNG, WebP or GIF"),
    "decompression-bomb": (
        lambda: png_claiming(40_000, 40_000),
        "bomb.png",
        "image/png",
        "pixels|valid image",
    ),
    "over-pixel-limit": (lambda: png_claiming(9_000, 9_000), "huge.png", "image/png", "too many pixels"),
    "empty": (lambda: b"", "empty.png", "image/png", "empty|valid image|submitted"),
}


def noisy_jpeg():
    buffer = io.BytesIO()
    Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3)).save(buffer, format="JPEG")
    return buffer.getvalue()


# --- The three forms ---------------------------------------------------------------------------


def send(target, content, name, content_type):
    """Upload through the real form; return (response, stored image fields, marker text of the form)."""
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    if target == "avatar":
        member = UserFactory(display_name="Kept Name")
        response = client_for(member).post(
            reverse("accounts:edit_profile"),
            {"display_name": "Kept Name", "bio": "Kept bio", "website": "", "avatar": upload},
        )
        member = User.objects.get(pk=member.pk)
        return response, [member.avatar] if member.avatar else []
    if target == "cover":
        editor = EditorFactory()
        response = client_for(editor).post(
            reverse("blog:post_create"),
            {
                "title": "Kept Name",
                "community": "",
                "visibility": Post.Visibility.PUBLIC,
                "categories": [individual_learning().pk],
                "tags": "",
                "excerpt": "",
                "body": "Kept bio",
                "status": Post.Status.PUBLISHED,
                "publish_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "comments_open": "on",
                "cover": upload,
            },
        )
        post = Post.objects.filter(title="Kept Name").first()
        return response, [post.cover, post.cover_thumbnail] if post and post.cover else []
    owner = UserFactory()
    response = client_for(owner).post(
        reverse("communities:create"),
        {
            "name": "Kept Name",
            "description": "Kept bio",
            "kind": Community.Kind.PRACTICE,
            "visibility": Community.Visibility.PUBLIC,
            "join_policy": Community.JoinPolicy.OPEN,
            "parent": "",
            "logo": upload,
        },
    )
    community = Community.objects.filter(name="Kept Name").first()
    return response, [community.logo, community.logo_thumbnail] if community and community.logo else []


def assert_stored_clean(files, original):
    assert files, "the image was stored"
    for field in files:
        with field.open("rb") as stored_file:
            stored = stored_file.read()
        assert stored != original, "re-encoded, not stored as sent"
        assert b"<script" not in stored.lower() and b"<html" not in stored.lower()
        assert b"Exif" not in stored and b"Spy camera" not in stored
        with Image.open(io.BytesIO(stored)) as image:
            assert image.format in {"JPEG", "PNG"}
            image.load()
            assert not image.getexif()
            assert "comment" not in image.info and "exif" not in image.info
            assert not getattr(image, "text", None)


def assert_refused(response, files, message):
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    assert re.search(message, page), f"no {message!r} error on the page"
    assert "Kept Name" in page and "Kept bio" in page, "the other fields are kept"
    assert not files, "nothing was stored"


# --- Tests -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ACCEPTED)
@pytest.mark.parametrize("target", TARGETS)
def test_accepted_images_are_reencoded(target, kind):
    make, name, content_type = ACCEPTED[kind]
    original = make()
    response, files = send(target, original, name, content_type)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_stored_clean(files, original)


@pytest.mark.parametrize("target", TARGETS)
def test_exif_and_gps_position_are_stripped(target):
    original = jpeg_with_gps_and_comment()
    response, files = send(target, original, "holiday.jpg", "image/jpeg")
    assert response.status_code == 302
    assert_stored_clean(files, original)
    for field in files:
        with field.open("rb") as stored_file, Image.open(stored_file) as image:
            assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}


@pytest.mark.parametrize("kind", POLYGLOTS)
@pytest.mark.parametrize("target", TARGETS)
def test_html_polyglots_are_neutralised_by_reencoding(target, kind):
    make, name, content_type = POLYGLOTS[kind]
    original = make()
    assert b"<script" in original
    response, files = send(target, original, name, content_type)
    if response.status_code == 200:  # refused is fine too
        assert not files
    else:
        assert response.status_code == 302
        assert_stored_clean(files, original)


@pytest.mark.parametrize("kind", REFUSED)
@pytest.mark.parametrize("target", TARGETS)
def test_unsafe_or_broken_files_are_refused_with_a_form_error(target, kind):
    make, name, content_type, message = REFUSED[kind]
    response, files = send(target, make(), name, content_type)
    assert_refused(response, files, message)


@pytest.mark.parametrize("target", ["avatar", "logo"])
def test_files_over_the_size_limit_are_refused(target, settings):
    settings.AVATAR_MAX_UPLOAD_BYTES = 1024 * 1024
    content = noisy_png((700, 700))
    assert len(content) > settings.AVATAR_MAX_UPLOAD_BYTES
    response, files = send(target, content, "big.png", "image/png")
    assert_refused(response, files, "too large: the limit is 1 MB")


def test_a_cover_over_the_size_limit_is_refused(settings):
    content = noisy_png((1900, 1900))
    assert len(content) > settings.COVER_MAX_UPLOAD_BYTES
    response, files = send("cover", content, "big.png", "image/png")
    assert_refused(response, files, "too large: the limit is 10 MB")
