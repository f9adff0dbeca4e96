import re

import pytest
from django.contrib import auth
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from testing.factories import UserFactory

pytestmark = pytest.mark.django_db

EDIT_URL = "/accounts/profile/"


def profile_url(user):
    return reverse("accounts:profile", kwargs={"username": user.username})


def test_urls():
    assert reverse("accounts:edit_profile") == EDIT_URL
    assert reverse("accounts:profile", kwargs={"username": "ada.l@home"}) == "/members/ada.l@home/"


def test_profile_shows_the_public_profile(client):
    member = UserFactory(
        username="ada",
        display_name="Ada Lovelace",
        bio="I like engines.\n<script>alert('hi')</script>",
        website="https://ada.example.org/notes",
    )

    response = client.get(profile_url(member))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<title>Ada Lovelace · " in content
    assert '<h1 id="profile-name" class="h2 mb-1">Ada Lovelace</h1>' in content
    assert "@ada" in content
    assert f"Member since {member.date_joined:%B %Y}" in content
    # The bio is plain text: escaped, with its line breaks kept.
    assert "<script>alert" not in content
    assert "I like engines.<br>&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in content
    # The website is a link search engines are told not to credit.
    assert (
        '<a href="https://ada.example.org/notes" rel="nofollow ugc noopener" class="text-break">'
        "https://ada.example.org/notes</a>"
    ) in content
    # No avatar: initials instead.
    assert re.search(r'<span class="avatar avatar-initials[^"]*"[^>]*>AL</span>', content)
    # Only the member themself gets the edit button.
    assert "Edit profile</a>" not in content


def test_profile_of_a_member_with_no_display_name_uses_the_username(client):
    member = UserFactory(username="quiet", display_name="", bio="", website="")

    content = client.get(profile_url(member)).content.decode()

    assert '<h1 id="profile-name" class="h2 mb-1">quiet</h1>' in content
    assert 'rel="nofollow ugc noopener"' not in content


def test_own_profile_has_an_edit_button(client):
    member = UserFactory(display_name="Ada Lovelace", bio="", website="")
    client.force_login(member)

    content = client.get(profile_url(member)).content.decode()

    assert f'<a class="btn btn-outline-primary" href="{EDIT_URL}">Edit profile</a>' in content
    assert "Your profile is empty." in content


def test_someone_elses_profile_has_no_edit_button(client):
    member = UserFactory(display_name="Ada Lovelace")
    client.force_login(UserFactory())

    content = client.get(profile_url(member)).content.decode()

    assert "Ada Lovelace" in content
    assert 'class="btn btn-outline-primary"' not in content


def test_unknown_member_is_a_404(client):
    response = client.get("/members/nobody-by-that-name/")

    assert response.status_code == 404


def test_inactive_member_is_a_404(client):
    member = UserFactory(username="gone", display_name="Gone Member", is_active=False)

    response = client.get(profile_url(member))

    assert response.status_code == 404
    assert "Gone Member" not in response.content.decode()


@pytest.mark.parametrize("signed_in, expected", [(False, 4), (True, 8)])
@pytest.mark.parametrize("members", [1, 6])
def test_profile_query_count_is_constant(client, django_assert_num_queries, signed_in, expected, members):
    """Guards against per-member or per-field lookups on the profile page: one query for
    the member, one each for the posts, comments and communities lists (their own tests
    vary their sizes), plus session, visitor, the navigation's communities menu and the follow
    button when signed in."""
    member = UserFactory(bio="Some words.", website="https://example.org")
    UserFactory.create_batch(members - 1)
    if signed_in:
        client.force_login(UserFactory())

    with django_assert_num_queries(expected):
        response = client.get(profile_url(member))

    assert escape(member.public_name) in response.content.decode()


def test_edit_page_requires_sign_in(client):
    response = client.get(EDIT_URL, follow=True)

    assert response.redirect_chain[0][0] == f"{reverse('account_login')}?next={EDIT_URL}"
    assert "Sign In" in response.content.decode()


def test_anonymous_post_to_the_edit_page_changes_nothing(client):
    member = UserFactory(display_name="Ada Lovelace")

    response = client.post(EDIT_URL, {"display_name": "Hacked"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    member.refresh_from_db()
    assert member.display_name == "Ada Lovelace"


def test_edit_page_shows_the_current_profile(client):
    member = UserFactory(display_name="Ada Lovelace", bio="Engines.", website="https://ada.example.org")
    client.force_login(member)

    content = client.get(EDIT_URL).content.decode()

    assert re.search(r'<input[^>]*name="display_name"[^>]*value="Ada Lovelace"', content)
    assert re.search(r'<textarea[^>]*name="bio"[^>]*>\s*Engines.</textarea>', content)
    assert re.search(r'<input[^>]*name="website"[^>]*value="https://ada.example.org"', content)
    assert 'enctype="multipart/form-data"' in content
    # No avatar yet, so nothing to remove.
    assert 'name="remove_avatar"' not in content


def test_editing_the_profile_saves_it(client):
    member = UserFactory(display_name="Ada", bio="", website="")
    client.force_login(member)

    response = client.post(
        EDIT_URL,
        {
            "display_name": "Ada Lovelace",
            "bio": "First line.\nSecond line.",
            "website": "http://ada.example.org",
        },
        follow=True,
    )

    assert response.redirect_chain == [(profile_url(member), 302)]
    content = response.content.decode()
    assert "Your profile has been updated." in content
    assert '<h1 id="profile-name" class="h2 mb-1">Ada Lovelace</h1>' in content
    assert "First line.<br>Second line." in content
    member.refresh_from_db()
    assert member.display_name == "Ada Lovelace"
    assert member.bio == "First line.\nSecond line."
    assert member.website == "http://ada.example.org"


def test_a_website_without_a_scheme_gets_https(client):
    member = UserFactory()
    client.force_login(member)

    client.post(EDIT_URL, {"display_name": "Ada", "bio": "", "website": "ada.example.org"})

    member.refresh_from_db()
    assert member.website == "https://ada.example.org"


@pytest.mark.parametrize(
    "website",
    ["javascript:alert(1)", "ftp://files.example.org/me", "data:text/html,hi", "not a website"],
)
def test_invalid_website_keeps_what_the_member_typed(client, website):
    member = UserFactory(display_name="Ada", bio="Old bio", website="https://old.example.org")
    client.force_login(member)

    response = client.post(
        EDIT_URL, {"display_name": "Ada Lovelace", "bio": "A new <b>bio</b>", "website": website}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "Your profile was not saved." in content
    assert re.search(r'<input[^>]*name="website"[^>]*class="[^"]*is-invalid', content)
    assert re.search(r"Enter a (web address starting with http:// or https://|valid URL)\.", content)
    # The other values come back as typed, escaped.
    assert re.search(r'<input[^>]*name="display_name"[^>]*value="Ada Lovelace"', content)
    assert "A new &lt;b&gt;bio&lt;/b&gt;</textarea>" in content
    # Nothing was saved, and the navigation bar still shows the saved name.
    member.refresh_from_db()
    assert (member.display_name, member.bio, member.website) == ("Ada", "Old bio", "https://old.example.org")
    assert 'data-bs-toggle="dropdown" aria-expanded="false">Ada</a>' in content
    assert auth.get_user(client).display_name == "Ada"


def test_bio_longer_than_the_limit_is_refused(client):
    member = UserFactory(bio="")
    client.force_login(member)

    response = client.post(EDIT_URL, {"display_name": "Ada", "bio": "x" * 1001, "website": ""})

    assert "Ensure this value has at most 1000 characters (it has 1001)." in response.content.decode()
    member.refresh_from_db()
    assert member.bio == ""


def test_edit_page_only_edits_the_signed_in_member(client):
    member = UserFactory(display_name="Ada")
    other = UserFactory(display_name="Grace")
    client.force_login(member)

    client.post(EDIT_URL, {"display_name": "Changed", "bio": "", "website": "", "username": other.username})

    member.refresh_from_db()
    other.refresh_from_db()
    assert member.display_name == "Changed"
    assert other.display_name == "Grace"
    assert User.objects.filter(username="Changed").count() == 0
