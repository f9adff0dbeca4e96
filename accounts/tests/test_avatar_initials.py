"""Avatars: a member without a picture gets their initials on a color derived from the username."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from accounts.templatetags.avatar_tags import AVATAR_COLORS, avatar_color, initials
from testing.factories import CommentFactory, PostFactory, UserFactory

CSS = (Path(settings.BASE_DIR) / "portal" / "static" / "portal" / "portal.css").read_text()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Lucía Mendoza", "LM"),
        ("ada", "A"),
        ("Jean-Luc de la Picard", "JP"),
        ("émile zola", "ÉZ"),
        ("  Tomás   Herrero  ", "TH"),
        ("“Quoted” Name", "N"),  # a word that starts with punctuation gives no letter
        ("", "?"),
        (None, "?"),
        ("— –", "?"),
    ],
)
def test_initials(name, expected):
    assert initials(name) == expected


def test_the_color_depends_only_on_the_username():
    assert avatar_color("tomas") == avatar_color("tomas")
    colors = {avatar_color(f"member{n}") for n in range(200)}
    assert colors == set(range(AVATAR_COLORS))  # every color is used, none outside the palette


def relative_luminance(hex_color):
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_avatar_color_has_aa_contrast_with_its_white_initials():
    assert re.search(r"\.avatar-initials \{[^}]*color: #fff;", CSS)
    backgrounds = dict(re.findall(r"\.avatar-color-(\d+) \{ background: (#[0-9a-fA-F]{6}); \}", CSS))
    assert sorted(map(int, backgrounds)) == list(range(AVATAR_COLORS))
    for number, color in backgrounds.items():
        ratio = (1 + 0.05) / (relative_luminance(color) + 0.05)
        assert ratio >= 4.5, f".avatar-color-{number} {color}: {ratio:.2f}:1"


@pytest.mark.django_db
def test_a_member_without_a_picture_shows_initials_hidden_from_screen_readers(client):
    member = UserFactory(username="lucia", display_name="Lucía Mendoza")
    page = client.get(member.get_absolute_url()).content.decode()
    span = re.search(r'<span class="avatar avatar-initials[^"]*"[^>]*>[^<]*</span>', page).group(0)
    assert ">LM</span>" in span
    assert f"avatar-color-{avatar_color('lucia')}" in span and "avatar-128" in span
    assert 'aria-hidden="true"' in span
    assert "style=" not in span  # sizes are classes: no inline styles under the CSP
    assert "Lucía Mendoza" in page  # the name is always beside it


@pytest.mark.django_db
def test_a_guest_commenter_gets_initials_from_their_name(client):
    post = PostFactory()
    CommentFactory(post=post, author=None, author_name="Grace Hopper", body="From the old blog.")
    page = client.get(post.get_absolute_url()).content.decode()
    assert re.search(
        r'<span class="avatar avatar-initials avatar-48 avatar-color-\d[^"]*" aria-hidden="true">GH</span>',
        page,
    )


@pytest.mark.django_db
def test_a_member_with_a_picture_shows_it_as_a_decorative_image():
    member = UserFactory()
    member.avatar.name = "avatars/someone.png"
    html = render_to_string("accounts/includes/_avatar.html", {"member": member, "size": 40})
    assert re.search(r'<img src="[^"]*avatars/someone.png" alt="" width="40" height="40"', html)
    assert "avatar-initials" not in html
