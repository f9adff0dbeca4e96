"""Delete my account: personal data goes, the member's words stay in their threads under "deleted member"."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib import auth
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from accounts.models import Community, Invitation, Membership, MembershipEvent, User
from accounts.services import account_delete, community_create, membership_change_role
from blog.models import Follow, LearningPath, LearningPathStep, Post, StepCompletion
from blog.services import follow
from comments.models import Comment, CommentFlag, NotificationPreference, ThreadSubscription
from testing.clients import client_for
from testing.factories import (
    PASSWORD,
    CommentFactory,
    CommunityFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("accounts:delete_account")


@pytest.fixture
def member():
    return UserFactory(
        username="ada",
        email="ada@example.org",
        first_name="Ada",
        last_name="Lovelace",
        display_name="Ada L.",
        bio="Poetical science.",
        website="https://ada.example",
    )


def delete(client, password=PASSWORD):
    return client.post(URL, {"password": password})


def test_anonymous_visitor_is_sent_to_sign_in(client):
    for response in (client.get(URL), client.post(URL, {"password": "x"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_page_explains_and_asks_for_the_password(member):
    response = client_for(member).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="password"' in html and 'name="password"' in html
    assert "csrfmiddlewaretoken" in html
    assert "deleted member" in html
    assert reverse("accounts:my_data") in html
    assert User.objects.get(pk=member.pk).is_active  # looking changes nothing


def test_a_forged_post_without_csrf_token_is_refused(member):
    client = client_for(member, enforce_csrf_checks=True)
    assert delete(client).status_code == 403
    assert User.objects.get(pk=member.pk).deleted_at is None


def test_wrong_password_is_a_clear_error_that_echoes_nothing(member):
    client = client_for(member)
    response = delete(client, password="my-guess-Xy12")
    html = response.content.decode()
    assert response.status_code == 200
    assert "That is not your password. Your account has not been deleted." in html
    assert "my-guess-Xy12" not in html
    member.refresh_from_db()
    assert member.is_active and member.deleted_at is None and member.username == "ada"
    assert auth.get_user(client).is_authenticated

    response = delete(client, password="")
    assert "This field is required." in response.content.decode()
    assert User.objects.get(pk=member.pk).is_active


def test_deleted_member_is_signed_out_everywhere_and_cannot_sign_in(member):
    client, other_device = client_for(member), client_for(member)
    response = delete(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("blog:home")
    assert not auth.get_user(client).is_authenticated
    # The session on another device ends too (the password hash it was tied to is gone).
    assert not auth.get_user(other_device).is_authenticated
    assert other_device.get(reverse("accounts:edit_profile")).status_code == 302

    for login in ("ada", "ada@example.org"):
        response = Client().post(reverse("account_login"), {"login": login, "password": PASSWORD})
        assert response.status_code == 200  # the form again, with an error
        assert not auth.get_user(Client()).is_authenticated
    assert not User.objects.get(pk=member.pk).has_usable_password()


def test_the_email_address_and_username_are_free_for_a_new_sign_up(member, client):
    delete(client_for(member))
    new_password = "Learning-in-the-open 42"
    response = client.post(
        reverse("account_signup"),
        {"email": "ada@example.org", "username": "ada", "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302, response.content.decode()
    newcomer = User.objects.get(username="ada")
    assert newcomer.pk != member.pk
    assert EmailAddress.objects.get(email="ada@example.org").user == newcomer


def test_the_profile_page_and_author_page_are_gone(member):
    PostFactory(author=member)
    old_profile = member.get_absolute_url()
    delete(client_for(member))
    member.refresh_from_db()
    client = Client()
    assert client.get(old_profile).status_code == 404
    assert client.get(member.get_absolute_url()).status_code == 404
    assert client.get(reverse("blog:author", kwargs={"username": member.username})).status_code == 404


def test_post_page_shows_their_comment_and_post_under_deleted_member(member, client):
    upload_avatar(member)
    other = UserFactory()
    post = PostFactory(author=other, title="Notes on practice")
    CommentFactory(post=post, author=member, body="I *still* think practice beats theory.")
    own_post = PostFactory(author=member, title="My own essay")
    CommentFactory(post=own_post, author=other, body="Thanks for this essay.")
    avatar_url = member.avatar.url

    delete(client_for(member))
    member.refresh_from_db()

    html = client.get(post.get_absolute_url()).content.decode()
    assert "<em>still</em> think practice beats theory." in html
    assert '<strong class="comment-author">deleted member</strong>' in html
    traces = ("Ada L.", "Ada Lovelace", "ada@example.org", "ada.example", avatar_url, "/members/ada/")
    for trace in (*traces, member.get_absolute_url()):
        assert trace not in html

    html = client.get(own_post.get_absolute_url()).content.decode()
    assert "My own essay" in html and "Thanks for this essay." in html
    assert "by deleted member" in " ".join(html.split())
    assert "Ada L." not in html and member.get_absolute_url() not in html


def upload_avatar(user):
    user.avatar.save("face.png", ContentFile(b"not really a png"), save=True)
    assert default_storage.exists(user.avatar.name)


def test_no_personal_data_remains(member):
    upload_avatar(member)
    avatar_name = member.avatar.name
    default_storage.save(f"avatars/{member.pk}/older.png", ContentFile(b"an earlier upload"))
    EmailAddress.objects.create(user=member, email="ada.work@example.com", verified=True)
    other = UserFactory()
    club = CommunityFactory(owner=other)
    MembershipFactory(community=club, member=member)
    Invitation.objects.create(
        community=CommunityFactory(owner=other), email="ADA.work@example.com", token="t1"
    )
    kept_invitation = Invitation.objects.create(community=club, email="someone@example.org", token="t2")
    post = PostFactory(author=other)
    comment = CommentFactory(
        post=post, author=member, author_url="https://ada.example", author_email="ada@example.org"
    )
    follow(follower=member, target=other)
    follow(follower=other, target=member)
    ThreadSubscription.objects.create(post=post, member=member)
    NotificationPreference.objects.create(member=member, replies_to_me=False)
    CommentFlag.objects.create(
        comment=CommentFactory(post=post), flagged_by=member, reason="other", note="I know him"
    )
    path = LearningPath.objects.create(title="Path", slug="path", published=True)
    StepCompletion.objects.create(step=LearningPathStep.objects.create(path=path, post=post), member=member)
    published = PostFactory(author=member, title="Still readable")
    draft = PostFactory(author=member, status=Post.Status.DRAFT, title="Never sent")
    in_review = PostFactory(author=member, status=Post.Status.REVIEW, title="Waiting")
    member.is_staff = True
    member.save()
    admin_history = LogEntry.objects.log_actions(
        user_id=other.pk, queryset=[member, comment, published], action_flag=CHANGE
    )
    assert "Ada L." in admin_history[0].object_repr and "Ada L." in admin_history[1].object_repr

    account_delete(user=member)

    row = User.objects.get(pk=member.pk)
    assert row.username.startswith("deleted-") and "ada" not in row.username
    assert (row.first_name, row.last_name, row.email, row.display_name, row.bio, row.website) == ("",) * 6
    assert not row.avatar
    assert not row.has_usable_password()
    assert (row.is_active, row.is_staff, row.is_superuser) == (False, False, False)
    assert row.last_login is None and row.digest_sent_at is None and row.digest == User.Digest.NONE
    assert row.deleted_at is not None and row.is_deleted
    assert row.public_name == "deleted member"
    assert not row.groups.exists() and not row.user_permissions.exists()
    assert not default_storage.exists(avatar_name)
    assert not default_storage.exists(f"avatars/{member.pk}/older.png")

    assert not EmailAddress.objects.filter(user=row).exists()
    assert not EmailAddress.objects.filter(email__icontains="ada").exists()
    assert not Membership.objects.filter(member=row).exists()
    assert not Invitation.objects.filter(email__icontains="ada").exists()
    assert Invitation.objects.filter(pk=kept_invitation.pk).exists()
    assert not Follow.objects.filter(follower=row).exists() and not Follow.objects.filter(member=row).exists()
    assert not ThreadSubscription.objects.filter(member=row).exists()
    assert not NotificationPreference.objects.filter(member=row).exists()
    assert not StepCompletion.objects.filter(member=row).exists()
    assert CommentFlag.objects.get(flagged_by=row).note == ""

    comment = Comment.objects.get(pk=comment.pk)
    assert comment.body.startswith("Comment number")  # the words stay
    assert (comment.author_name, comment.author_email, comment.author_url) == ("deleted member", "", "")

    assert Post.objects.filter(pk=published.pk, author=row).exists()
    assert not Post.objects.filter(pk__in=[draft.pk, in_review.pk]).exists()
    assert not Post.history.filter(id__in=[draft.pk, in_review.pk]).exists()
    assert not LogEntry.objects.filter(object_repr__contains="Ada L.").exists()
    assert LogEntry.objects.filter(object_repr="Still readable").exists()

    # No field of the member's row still holds anything she gave.
    personal = ("Ada", "Lovelace", "ada@example.org", "ada.work", "Poetical", "ada.example", "face.png")
    for field in User._meta.concrete_fields:
        value = str(getattr(row, field.attname))
        assert not any(trace in value for trace in personal), field.name


def test_the_only_owner_of_a_community_is_asked_to_hand_it_over_first(member):
    community_create(creator=member, name="Poetry circle")
    community_create(creator=member, name="Engines club")
    shared = community_create(creator=member, name="Shared lead")
    co_owner = UserFactory()
    MembershipFactory(community=shared, member=co_owner, role=Membership.Role.OWNER)
    client = client_for(member)

    page = client.get(URL).content.decode()
    assert "You are the only owner of these communities" in page
    alert = page.split("You are the only owner of these communities")[1].split("</div>")[0]
    assert "Poetry circle" in alert and "Engines club" in alert and "Shared lead" not in alert
    assert reverse("communities:members", kwargs={"slug": "poetry-circle"}) in alert
    assert 'name="password"' not in page  # nothing to confirm yet

    response = delete(client)
    assert response.status_code == 200
    assert User.objects.get(pk=member.pk).deleted_at is None
    assert Membership.objects.filter(member=member).count() == 3

    with pytest.raises(ValidationError) as error:
        account_delete(user=member)
    assert "“Engines club”, “Poetry circle”" in str(error.value)

    # Handing both over makes deletion possible; the communities keep their new owner.
    for community in Community.objects.filter(name__in=["Poetry circle", "Engines club"]):
        successor = MembershipFactory(community=community, member=co_owner)
        membership_change_role(membership=successor, role=Membership.Role.OWNER, actor=member)
    assert delete(client).status_code == 302
    assert Membership.objects.filter(member=co_owner, role=Membership.Role.OWNER).count() == 3
    assert not Membership.objects.filter(member=member).exists()
    events = MembershipEvent.objects.filter(member=member, action=MembershipEvent.Action.ACCOUNT_DELETED)
    assert sorted(e.community_name for e in events) == ["Engines club", "Poetry circle", "Shared lead"]


def test_deleting_twice_changes_nothing(member):
    first = account_delete(user=member)
    second = account_delete(user=member)
    assert first.username == second.username


def test_password_guessing_is_rate_limited(member, settings):
    settings.ACCOUNT_RATE_LIMITS = {"reauthenticate": "2/m/user"}
    client = client_for(member)
    for guess in ("guess-1", "guess-2"):
        assert "That is not your password" in delete(client, password=guess).content.decode()
    response = delete(client)  # even the right password waits now
    html = response.content.decode()
    assert response.status_code == 200
    assert "Too many attempts. Wait a minute and try again." in html
    assert "That is not your password" not in html
    assert User.objects.get(pk=member.pk).deleted_at is None
