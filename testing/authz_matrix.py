"""The table of the authorization matrix: every URL of the project, every role, GET and POST.

``portal/tests/test_authorization_matrix.py`` requests each URL as each role of
``testing.authz_world`` and compares the answer with the table's cell;
``portal/tests/test_spanish_everywhere.py`` reads every page the table lets a role
read, in Spanish. A cell:

* ``"200"``, ``"302"``, ``"400"``: allowed (or a form/message answer);
  ``"302+"`` the POST must change the database, ``"302="`` / ``"200="`` must not;
* ``"login"`` / ``"admin"``: a redirect to the site's / the admin's sign-in page;
* ``"403"``, ``"404"`` (hidden objects are 404, never 403), ``"405"``.

A new URL must be added here: the matrix fails when a URL exists that the table does
not mention, or when the table names a URL that no longer exists.
"""

# ruff: noqa: S106 - the "token" arguments name signed unsubscribe tokens of the world

import json
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from blog.models import Category, Post
from comments.models import Comment, DiscussionSettings
from testing.authz_world import (
    CIRCLE_LEADERS,
    CIRCLE_MANAGERS,
    CIRCLE_READERS,
    ROLES,
    SECRET_COMMENT,
    SECRET_DRAFT,
    SECRET_HELD,
    SECRET_POST,
    SECRET_WARD,
    STAFF,
    WARD_READERS,
)
from testing.comments import started
from testing.factories import PASSWORD, individual_learning

REFUSALS = {"login", "admin", "403", "404", "405"}
CSRF_EXEMPT = {"comments:unsubscribe", "blog:digest_unsubscribe"}
ADMIN_ROLES = ["anonymous", "member", "community_owner", "editor", "superuser"]


# --- The table's vocabulary ------------------------------------------------------------------


def cells(default, roles=ROLES, **overrides):
    """``default`` for every role, except those named."""
    unknown = set(overrides) - set(roles)
    assert not unknown, unknown
    return {role: overrides.get(role, default) for role in roles}


def sign_in_required(code, **overrides):
    """Anonymous visitors go to the sign-in page; every signed-in role gets ``code``."""
    return cells(code, anonymous="login", **overrides)


def only(allowed_roles, ok, refused, *, hidden=(), hidden_code="404", **overrides):
    """``ok`` for ``allowed_roles``, ``hidden_code`` for ``hidden``, ``refused`` for other signed-in roles."""
    row = {}
    for role in ROLES:
        if role == "anonymous":
            row[role] = "login"
        elif role in allowed_roles:
            row[role] = ok
        elif role in hidden:
            row[role] = hidden_code
        else:
            row[role] = refused
    row.update(overrides)
    return row


def readers(allowed_roles, ok="200", hidden="404", **overrides):
    """A page everyone may ask for, that only ``allowed_roles`` may see (404 for the others)."""
    return {role: overrides.get(role, ok if role in allowed_roles else hidden) for role in ROLES}


EVERYONE_200 = cells("200")
GET_ONLY = cells("405")  # a page without a POST handler
# POST-only actions behind ``login_required``: visitors are sent to sign in before the method is checked.
POST_ONLY = cells("405", anonymous="login")


@dataclass
class Spec:
    key: str  # the URL's name ("ns:name") or, for unnamed patterns, its route
    path: object  # world -> the address to request
    get: dict
    post: dict
    data: object = None  # (world, role) -> the POST's form data
    secrets: tuple = ()  # (text, roles that may read it, whether those roles must see it on this page)
    check: object = None  # (world, role, method, response) -> None, extra assertions
    variant: str = ""
    roles: list = field(default_factory=lambda: list(ROLES))
    forger: str | None = None  # the role whose forged POST must be a 403

    @property
    def id(self):
        return f"{self.key}[{self.variant}]" if self.variant else self.key


def rev(name, **kwargs):
    """An address from a URL name and kwargs computed from the world:
    ``rev("blog:post_edit", pk="@draft.pk")``."""

    def build(world):
        values = {}
        for key, value in kwargs.items():
            values[key] = _attr(world, value) if isinstance(value, str) and value.startswith("@") else value
        return reverse(name, kwargs=values)

    return build


def _attr(world, dotted):
    value = world
    for part in dotted[1:].split("."):
        value = getattr(value, part) if not isinstance(value, dict) else value[part]
    return value


def form(**values):
    return lambda world, role: values


# --- What members may read --------------------------------------------------------------------

MEMBERS_POST = (SECRET_POST, CIRCLE_READERS, True)
MEMBERS_POST_NOT_LISTED = (SECRET_POST, CIRCLE_READERS, False)
WARD = (SECRET_WARD, WARD_READERS, False)
HELD = (SECRET_HELD, {"author"}, False)
DRAFT = (SECRET_DRAFT, set(), False)
LIST_SECRETS = (MEMBERS_POST, WARD, HELD, DRAFT)
# Feeds are for feed readers: public posts only, whoever asks.
FEED_SECRETS = ((SECRET_POST, set(), False), (SECRET_WARD, set(), False), HELD, DRAFT)


def post_form(world, role):
    """A members-only post into Circle, as its leaders write them on the site."""
    return {
        "title": "Minutes of the matrix",
        "community": world.circle.pk,
        "visibility": Post.Visibility.MEMBERS,
        "categories": [individual_learning().pk],
        "tags": "matrix",
        "excerpt": "",
        "body": "What we *learned*.",
        "status": Post.Status.PUBLISHED,
        "publish_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "comments_open": "on",
        "language": "",
    }


def comment_form(world, role):
    return {"body": "A matrix comment.", "started": started(), "website": "", "language": ""}


def community_form(name):
    return form(
        name=name,
        description="Renamed.",
        kind="practice",
        visibility="public",
        join_policy="request",
        parent="",
    )


def exports_only_the_signed_in_member(world, role, method, response):
    """ "Download my data" has no parameter naming a member: whatever is posted, it is the signed-in one's."""
    if method != "POST" or response.status_code != 200:
        return
    data = json.loads(response.content)
    me = world.users[role]
    assert data["profile"]["username"] == me.username, role
    assert {address["email"] for address in data["email_addresses"]} == {me.email}, role
    mine = set(Comment.objects.filter(author=me).values_list("pk", flat=True))
    assert {comment["id"] for comment in data["comments"]} == mine, role
    assert len(data["memberships"]) == me.memberships.count(), role


# --- The table -------------------------------------------------------------------------------

SITE = [
    Spec("healthz", rev("healthz"), EVERYONE_200, GET_ONLY),
    Spec("switch_language", rev("switch_language", code="es"), cells("302"), cells("302")),
    Spec("robots_txt", rev("robots_txt"), EVERYONE_200, GET_ONLY),
    Spec("sitemap", rev("sitemap"), EVERYONE_200, GET_ONLY, secrets=FEED_SECRETS),
    Spec(
        "sitemap_section",
        rev("sitemap_section", section="posts"),
        EVERYONE_200,
        GET_ONLY,
        secrets=FEED_SECRETS,
    ),
    Spec("home_or_legacy", rev("home_or_legacy"), EVERYONE_200, GET_ONLY, secrets=LIST_SECRETS),
    # Searching for another word of the hidden texts (the page repeats the query).
    Spec(
        "search", lambda w: reverse("search") + "?q=handover", EVERYONE_200, GET_ONLY, secrets=(MEMBERS_POST,)
    ),
    Spec(
        "search",
        lambda w: reverse("search") + "?q=tussock&type=comments",
        EVERYONE_200,
        GET_ONLY,
        secrets=((SECRET_COMMENT, CIRCLE_READERS, True),),
        variant="comments",
    ),
    Spec(
        "search",
        lambda w: reverse("search") + "?q=fennelworth",
        EVERYONE_200,
        GET_ONLY,
        secrets=((SECRET_WARD, WARD_READERS, True),),
        variant="ward",
    ),
    Spec("^media/(?P<path>.*)$", lambda w: "/media/avatars/nobody.png", cells("404"), GET_ONLY),
]

ACCOUNTS = [
    Spec(
        "accounts:profile",
        rev("accounts:profile", username="comment-author"),
        EVERYONE_200,
        GET_ONLY,
        secrets=(HELD, WARD),
    ),
    Spec(
        "accounts:profile",
        rev("accounts:profile", username="ward-owner"),
        EVERYONE_200,
        GET_ONLY,
        secrets=((SECRET_WARD, WARD_READERS, True),),
        variant="ward-owner",
    ),
    Spec(
        "accounts:edit_profile",
        rev("accounts:edit_profile"),
        sign_in_required("200"),
        sign_in_required("302+"),
        data=form(display_name="Renamed by the matrix", bio="", website="", digest="none"),
    ),
    # Naming someone else in the request changes nothing: the export is the signed-in member's.
    Spec(
        "accounts:my_data",
        rev("accounts:my_data"),
        sign_in_required("200"),
        sign_in_required("200="),
        data=lambda w, role: {
            "username": "comment-author",
            "user": w.users["author"].pk,
            "pk": w.users["author"].pk,
        },
        check=exports_only_the_signed_in_member,
    ),
    # The sole owners of a community must hand it over first: the page says so, nothing is deleted.
    Spec(
        "accounts:delete_account",
        rev("accounts:delete_account"),
        sign_in_required("200"),
        sign_in_required("302+", other_member="200=", community_owner="200="),
        data=form(password=PASSWORD),
    ),
]

ALLAUTH_ANONYMOUS_FORMS = {
    # name: (anonymous GET, anonymous POST with an empty form, signed-in GET, signed-in POST)
    "account_login": ("200", "200=", "302", "302"),
    "account_signup": ("200", "200=", "302", "302"),
    "account_reset_password": ("200", "200=", "200", "200="),
    "account_reset_password_done": ("200", "405", "200", "405"),
    "account_reset_password_from_key_done": ("200", "405", "200", "405"),
    "account_inactive": ("200", "405", "200", "405"),
    "account_email_verification_sent": ("200", "405", "200", "405"),
}
ALLAUTH = [
    Spec(
        name,
        rev(name),
        sign_in_required(get) | {"anonymous": anon_get},
        sign_in_required(post) | {"anonymous": anon_post},
    )
    for name, (anon_get, anon_post, get, post) in ALLAUTH_ANONYMOUS_FORMS.items()
] + [
    Spec("account_logout", rev("account_logout"), cells("200", anonymous="302"), cells("302")),
    Spec("account_email", rev("account_email"), sign_in_required("200"), sign_in_required("302=")),
    Spec(
        "account_change_password",
        rev("account_change_password"),
        sign_in_required("200"),
        sign_in_required("200="),
    ),
    Spec(
        "account_set_password", rev("account_set_password"), sign_in_required("302"), sign_in_required("302")
    ),
    Spec(
        "account_reauthenticate",
        rev("account_reauthenticate"),
        sign_in_required("200"),
        sign_in_required("200="),
    ),
    Spec(
        "account_request_reauthentication_code",
        rev("account_request_reauthentication_code"),
        sign_in_required("200"),
        sign_in_required("200="),
    ),
    Spec(
        "account_confirm_reauthentication_code",
        rev("account_confirm_reauthentication_code"),
        sign_in_required("302"),
        sign_in_required("302="),
    ),
    # No code was sent: back to the sign-in page (members: home).
    Spec(
        "account_confirm_login_code",
        rev("account_confirm_login_code"),
        sign_in_required("302"),
        sign_in_required("302="),
    ),
    Spec("account_confirm_email", rev("account_confirm_email", key="not-a-key"), EVERYONE_200, cells("404")),
    Spec(
        "account_reset_password_from_key",
        rev("account_reset_password_from_key", uidb36="zz", key="not-a-key"),
        EVERYONE_200,
        EVERYONE_200,
    ),
]

COMMENTS = [
    Spec(
        "comments:post",
        rev("comments:post", post_id="@public_post.pk"),
        GET_ONLY | {"anonymous": "405"},
        sign_in_required("302+"),
        data=comment_form,
    ),
    Spec(
        "comments:post",
        rev("comments:post", post_id="@members_post.pk"),
        GET_ONLY,
        only(CIRCLE_READERS, "302+", "404", anonymous="login"),
        data=comment_form,
        variant="members-only post",
    ),
    Spec(
        "comments:permalink", rev("comments:permalink", comment_id="@comment.pk"), cells("302"), cells("302")
    ),
    Spec(
        "comments:permalink",
        rev("comments:permalink", comment_id="@members_comment.pk"),
        # Visitors sign in first (a link in an email): then it is there for those who may read it.
        readers(CIRCLE_READERS, "302", anonymous="login"),
        readers(CIRCLE_READERS, "302", anonymous="login"),
        variant="members-only post",
    ),
    Spec(
        "comments:permalink",
        rev("comments:permalink", comment_id="@held.pk"),
        readers({"author"}, "302", anonymous="login"),
        readers({"author"}, "302", anonymous="login"),
        variant="held",
    ),
    # Only its author edits a comment; anyone else: it does not exist for them.
    Spec(
        "comments:edit",
        rev("comments:edit", comment_id="@comment.pk"),
        only({"author"}, "200", "404"),
        only({"author"}, "302+", "404"),
        data=form(body="Edited by the matrix."),
    ),
    Spec(
        "comments:edit",
        rev("comments:edit", comment_id="@members_comment.pk"),
        only({"community_member"}, "200", "404"),
        only({"community_member"}, "302+", "404"),
        data=form(body="Edited by the matrix."),
        variant="members-only post",
    ),
    # Its author and Circle's leaders (editors everywhere) remove a comment; others get a 404.
    Spec(
        "comments:remove",
        rev("comments:remove", comment_id="@comment.pk"),
        GET_ONLY,
        only(CIRCLE_LEADERS | {"author"}, "302+", "404"),
        data=form(reason="Off topic."),
    ),
    Spec(
        "comments:remove",
        rev("comments:remove", comment_id="@members_comment.pk"),
        GET_ONLY,
        only(CIRCLE_LEADERS | {"community_member"}, "302+", "404"),
        data=form(reason="Off topic."),
        variant="members-only post",
    ),
    Spec(
        "comments:post_feed",
        rev("comments:post_feed", post_id="@public_post.pk"),
        EVERYONE_200,
        GET_ONLY,
        secrets=FEED_SECRETS,
    ),
    Spec(
        "comments:post_feed",
        rev("comments:post_feed", post_id="@members_post.pk"),
        cells("404"),
        GET_ONLY,
        variant="members-only post",
    ),
    Spec(
        "comments:post_feed_atom",
        rev("comments:post_feed_atom", post_id="@public_post.pk"),
        EVERYONE_200,
        GET_ONLY,
        secrets=FEED_SECRETS,
    ),
    Spec(
        "comments:post_feed_atom",
        rev("comments:post_feed_atom", post_id="@members_post.pk"),
        cells("404"),
        GET_ONLY,
        variant="members-only post",
    ),
    Spec(
        "comments:flag",
        rev("comments:flag", comment_id="@comment.pk"),
        sign_in_required("200", author="302"),
        sign_in_required("302+", author="302="),
        data=form(reason="spam", note=""),
    ),
    Spec(
        "comments:flag",
        rev("comments:flag", comment_id="@members_comment.pk"),
        only(CIRCLE_READERS, "200", "404", community_member="302"),
        only(CIRCLE_READERS, "302+", "404", community_member="302="),
        data=form(reason="spam", note=""),
        variant="members-only post",
    ),
    # A held comment cannot be flagged (nor read: only its author sees it).
    Spec(
        "comments:flag",
        rev("comments:flag", comment_id="@held.pk"),
        sign_in_required("302"),
        sign_in_required("302="),
        data=form(reason="spam", note=""),
        secrets=(HELD,),
        variant="held",
    ),
    # The queue: those who moderate something; each sees only what they moderate.
    Spec(
        "comments:queue",
        rev("comments:queue"),
        only(CIRCLE_LEADERS | {"other_member"}, "200", "403"),
        cells("405"),
        secrets=((SECRET_HELD, CIRCLE_LEADERS, True), ("Held in the ward", WARD_READERS, True)),
    ),
    Spec(
        "comments:moderate",
        rev("comments:moderate"),
        GET_ONLY | {"anonymous": "405"},
        only(CIRCLE_LEADERS, "302+", "403", other_member="302="),
        data=lambda w, role: {"action": "approve", "ids": [w.held.pk]},
    ),
    # Moderating outside one's communities: Ward's held comment, ids posted by Circle's leaders.
    Spec(
        "comments:moderate",
        rev("comments:moderate"),
        GET_ONLY | {"anonymous": "405"},
        only(
            STAFF | {"other_member"},
            "302+",
            "403",
            community_moderator="302=",
            post_author="302=",
            community_owner="302=",
        ),
        data=lambda w, role: {"action": "reject", "ids": [w.ward_held.pk]},
        variant="another community",
    ),
    # Dismissing the flags on Circle's comment: Ward's owner posts its id, and nothing happens.
    Spec(
        "comments:moderate",
        rev("comments:moderate"),
        GET_ONLY,
        only(CIRCLE_LEADERS, "302+", "403", other_member="302="),
        data=lambda w, role: {"action": "dismiss", "ids": [w.comment.pk]},
        variant="dismiss flags",
    ),
    Spec(
        "comments:return",
        rev("comments:return", comment_id="@held.pk"),
        only(CIRCLE_LEADERS, "200", "403", other_member="404"),
        only(CIRCLE_LEADERS, "302+", "403", other_member="404"),
        data=form(note="Say which notes."),
    ),
    Spec(
        "comments:return",
        rev("comments:return", comment_id="@ward_held.pk"),
        only(
            STAFF | {"other_member"},
            "200",
            "403",
            community_moderator="404",
            post_author="404",
            community_owner="404",
        ),
        only(
            STAFF | {"other_member"},
            "302+",
            "403",
            community_moderator="404",
            post_author="404",
            community_owner="404",
        ),
        data=form(note="Say which notes."),
        variant="another community",
    ),
    Spec(
        "comments:spam_author",
        rev("comments:spam_author", user_id="@users.author.pk"),
        only(STAFF, "200", "403"),
        only(STAFF, "302+", "403"),
        data=form(mark_spam="on"),
    ),
    Spec("comments:audit", rev("comments:audit"), only(STAFF, "200", "403"), sign_in_required("405")),
    Spec(
        "comments:follow",
        rev("comments:follow", post_id="@public_post.pk"),
        GET_ONLY,
        sign_in_required("302+", author="302="),
    ),  # the author follows the discussions they comment on
    Spec(
        "comments:follow",
        rev("comments:follow", post_id="@members_post.pk"),
        GET_ONLY,
        only(CIRCLE_READERS, "302+", "404"),
        variant="members-only post",
    ),
    Spec(
        "comments:unfollow",
        rev("comments:unfollow", post_id="@public_post.pk"),
        GET_ONLY,
        sign_in_required("302=", author="302+"),
    ),
    Spec(
        "comments:unfollow",
        rev("comments:unfollow", post_id="@members_post.pk"),
        GET_ONLY,
        only(CIRCLE_READERS, "302=", "404"),
        variant="members-only post",
    ),
    Spec(
        "comments:preferences",
        rev("comments:preferences"),
        sign_in_required("200"),
        sign_in_required("302+"),
        data=form(replies_to_me="on"),
    ),
    # The signed link of a comment email: no sign-in, the token is the proof; GET changes nothing.
    Spec(
        "comments:unsubscribe",
        rev("comments:unsubscribe", token="@unsubscribe_token"),
        EVERYONE_200,
        cells("200+"),
    ),
    Spec(
        "comments:unsubscribe",
        rev("comments:unsubscribe", token="forged"),
        cells("400"),
        cells("400"),
        variant="bad token",
    ),
]

COMMUNITIES = [
    Spec(
        "communities:directory",
        rev("communities:directory"),
        EVERYONE_200,
        GET_ONLY,
        secrets=((SECRET_WARD, WARD_READERS, True),),
    ),
    Spec(
        "communities:create",
        rev("communities:create"),
        sign_in_required("200"),
        sign_in_required("302+"),
        data=community_form("A matrix community"),
    ),
    Spec(
        "communities:invitation",
        rev("communities:invitation", token="@invitation.token"),
        EVERYONE_200,
        sign_in_required("302="),
    ),
    Spec(
        "communities:invitation",
        rev("communities:invitation", token="guessed"),
        cells("404"),
        cells("404"),
        variant="guessed token",
    ),
    # The link of a member's invitation email (signed): it explains the invitation to whoever holds it,
    # signed out on a phone too; the invited member, signed in, is sent on to the community's page.
    Spec(
        "communities:member_invitation",
        rev("communities:member_invitation", token="@invited_token"),
        EVERYONE_200,
        GET_ONLY,
    ),
    Spec(
        "communities:member_invitation",
        rev("communities:member_invitation", token="forged"),
        cells("404"),
        GET_ONLY,
        variant="forged token",
    ),
    Spec(
        "communities:detail",
        rev("communities:detail", slug="circle"),
        EVERYONE_200,
        GET_ONLY,
        secrets=(MEMBERS_POST, WARD, DRAFT),
    ),
    Spec(
        "communities:detail",
        rev("communities:detail", slug="ward"),
        readers(WARD_READERS),
        GET_ONLY,
        secrets=((SECRET_WARD, WARD_READERS, True),),
        variant="private",
    ),
    Spec(
        "communities:edit",
        rev("communities:edit", slug="circle"),
        only(CIRCLE_MANAGERS, "200", "403"),
        only(CIRCLE_MANAGERS, "302+", "403"),
        data=community_form("Renamed circle"),
    ),
    Spec(
        "communities:edit",
        rev("communities:edit", slug="ward"),
        only(WARD_READERS, "200", "404"),
        only(WARD_READERS, "302+", "404"),
        data=community_form("Renamed ward"),
        variant="private",
    ),
    Spec(
        "communities:members",
        rev("communities:members", slug="circle"),
        only(CIRCLE_MANAGERS, "200", "403"),
        POST_ONLY,
    ),
    Spec(
        "communities:members",
        rev("communities:members", slug="ward"),
        only(WARD_READERS, "200", "404"),
        POST_ONLY,
        variant="private",
    ),
    Spec(
        "communities:join",
        rev("communities:join", slug="circle"),
        POST_ONLY,
        sign_in_required(
            "302+",
            community_member="302=",
            community_moderator="302=",
            post_author="302=",
            community_owner="302=",
        ),
    ),
    Spec(
        "communities:join",
        rev("communities:join", slug="ward"),
        POST_ONLY,
        only(STAFF, "302=", "404", other_member="302="),
        variant="private",
    ),
    Spec(
        "communities:leave",
        rev("communities:leave", slug="circle"),
        POST_ONLY,
        sign_in_required("302=", community_member="302+", community_moderator="302+", post_author="302+"),
    ),
    Spec(
        "communities:leave",
        rev("communities:leave", slug="ward"),
        POST_ONLY,
        only(WARD_READERS, "302=", "404"),
        variant="private",
    ),
    Spec(
        "communities:invite",
        rev("communities:invite", slug="circle"),
        POST_ONLY,
        only(CIRCLE_MANAGERS, "302+", "403"),
        data=form(invitees="plain-member"),
    ),
    Spec(
        "communities:invite",
        rev("communities:invite", slug="ward"),
        POST_ONLY,
        only(WARD_READERS, "302+", "404"),
        data=form(invitees="plain-member"),
        variant="private",
    ),
    Spec(
        "communities:withdraw_invitation",
        rev("communities:withdraw_invitation", pk="@invitation.pk"),
        POST_ONLY,
        only(CIRCLE_MANAGERS, "302+", "403"),
    ),
    Spec(
        "communities:insights",
        rev("communities:insights", slug="circle"),
        only(CIRCLE_LEADERS, "200", "403"),
        only(CIRCLE_LEADERS, "200", "403"),
    ),
    Spec(
        "communities:insights",
        rev("communities:insights", slug="ward"),
        only(WARD_READERS, "200", "404"),
        only(WARD_READERS, "200", "404"),
        variant="private",
    ),
]
# Membership decisions: Circle's owner and staff; Ward's (private) are a 404 to Circle's people.
for name, data in (("approve", {}), ("decline", {}), ("role", {"role": "moderator"}), ("remove", {})):
    target = "@applicant.pk" if name in ("approve", "decline") else "@membership.community_member.pk"
    COMMUNITIES += [
        Spec(
            f"communities:{name}",
            rev(f"communities:{name}", pk=target),
            POST_ONLY,
            only(CIRCLE_MANAGERS, "302+", "403"),
            data=form(**data),
        ),
        Spec(
            f"communities:{name}",
            rev(
                f"communities:{name}",
                pk="@ward_applicant.pk" if name in ("approve", "decline") else "@ward_membership.pk",
            ),
            POST_ONLY,
            only(WARD_READERS, "302+", "404"),
            data=form(**data),
            variant="private",
        ),
    ]
# An invitation is answered by the invited member only: to everyone else it does not exist.
for name in ("accept", "refuse"):
    COMMUNITIES.append(
        Spec(
            f"communities:{name}",
            rev(f"communities:{name}", pk="@invited.pk"),
            POST_ONLY,
            only((), "302", "404"),
        )
    )
COMMUNITY_FEEDS = [
    spec
    for suffix in ("", "_full", "_atom", "_atom_full")
    for spec in (
        Spec(
            f"communities:feed{suffix}",
            rev(f"communities:feed{suffix}", slug="circle"),
            EVERYONE_200,
            GET_ONLY,
            secrets=FEED_SECRETS,
        ),
        Spec(
            f"communities:feed{suffix}",
            rev(f"communities:feed{suffix}", slug="ward"),
            cells("404"),
            GET_ONLY,
            variant="private",
        ),
    )
]

BLOG = [
    Spec("blog:home", rev("blog:home"), EVERYONE_200, GET_ONLY, secrets=LIST_SECRETS),
    Spec(
        "blog:post",
        lambda w: w.public_post.get_absolute_url(),
        EVERYONE_200,
        GET_ONLY,
        secrets=(MEMBERS_POST_NOT_LISTED, WARD, DRAFT),
    ),
    Spec(
        "blog:post",
        lambda w: w.members_post.get_absolute_url(),
        readers(CIRCLE_READERS),
        GET_ONLY,
        secrets=(MEMBERS_POST, (SECRET_COMMENT, CIRCLE_READERS, True)),
        variant="members-only",
    ),
    Spec(
        "blog:post",
        lambda w: w.draft.get_absolute_url(),
        readers(STAFF | {"post_author"}),
        GET_ONLY,
        variant="draft",
    ),
    Spec(
        "blog:category",
        rev("blog:category", slug="individual-learning"),
        EVERYONE_200,
        GET_ONLY,
        secrets=LIST_SECRETS,
    ),
    Spec("blog:tag", rev("blog:tag", slug="practice"), EVERYONE_200, GET_ONLY, secrets=LIST_SECRETS),
    Spec(
        "blog:author",
        rev("blog:author", username="circle-writer"),
        EVERYONE_200,
        GET_ONLY,
        secrets=LIST_SECRETS,
    ),
    Spec(
        "blog:post_create",
        rev("blog:post_create"),
        only(CIRCLE_LEADERS | {"other_member"}, "200", "403"),
        # Ward's owner may write posts, into Ward only: Circle is not a choice for them.
        only(CIRCLE_LEADERS, "302+", "403", other_member="200="),
        data=post_form,
    ),
    # ?community= preselects a community in the form: never one the writer may not see.
    Spec(
        "blog:post_create",
        lambda w: reverse("blog:post_create") + "?community=ward",
        only(CIRCLE_LEADERS | {"other_member"}, "200", "403"),
        only(CIRCLE_LEADERS, "302+", "403", other_member="200="),
        data=post_form,
        secrets=(WARD,),
        variant="another community preselected",
    ),
    # Only its author (a leader of its community) and editors edit a post; a fellow moderator may not.
    Spec(
        "blog:post_edit",
        rev("blog:post_edit", pk="@members_post.pk"),
        only(STAFF | {"post_author"}, "200", "403", hidden=[r for r in ROLES if r not in CIRCLE_READERS]),
        only(STAFF | {"post_author"}, "302+", "403", hidden=[r for r in ROLES if r not in CIRCLE_READERS]),
        data=post_form,
    ),
    Spec(
        "blog:post_edit",
        rev("blog:post_edit", pk="@draft.pk"),
        only(STAFF | {"post_author"}, "200", "404"),
        only(STAFF | {"post_author"}, "302+", "404"),
        data=post_form,
        variant="draft",
    ),
    Spec(
        "blog:follow",
        rev("blog:follow", kind="community", pk="@circle.pk"),
        GET_ONLY,
        sign_in_required("302+"),
    ),
    Spec(
        "blog:follow",
        rev("blog:follow", kind="community", pk="@ward.pk"),
        GET_ONLY,
        only(WARD_READERS, "302+", "404"),
        variant="private",
    ),
    Spec(
        "blog:unfollow",
        rev("blog:unfollow", kind="community", pk="@circle.pk"),
        GET_ONLY,
        sign_in_required("302="),
    ),
    Spec(
        "blog:unfollow",
        rev("blog:unfollow", kind="community", pk="@ward.pk"),
        GET_ONLY,
        only(WARD_READERS, "302=", "404"),
        variant="private",
    ),
    Spec("blog:my_feed", rev("blog:my_feed"), sign_in_required("200"), sign_in_required("405")),
    Spec(
        "blog:digest_unsubscribe",
        rev("blog:digest_unsubscribe", token="@digest_token"),
        EVERYONE_200,
        cells("200+"),
    ),
    # Months and counts only: nothing to show, nothing to leak.
    Spec(
        "blog:archive",
        rev("blog:archive"),
        EVERYONE_200,
        GET_ONLY,
        secrets=(MEMBERS_POST_NOT_LISTED, WARD, DRAFT),
    ),
    Spec(
        "blog:archive_year",
        lambda w: reverse("blog:archive_year", kwargs={"year": w.members_post.publish_at.year}),
        EVERYONE_200,
        GET_ONLY,
        secrets=LIST_SECRETS,
    ),
    Spec(
        "blog:archive_month",
        lambda w: reverse(
            "blog:archive_month",
            kwargs={"year": w.members_post.publish_at.year, "month": w.members_post.publish_at.month},
        ),
        EVERYONE_200,
        GET_ONLY,
        secrets=LIST_SECRETS,
    ),
    Spec("blog:learning_paths", rev("blog:learning_paths"), EVERYONE_200, GET_ONLY),
    Spec(
        "blog:learning_path",
        rev("blog:learning_path", slug="start-here"),
        EVERYONE_200,
        GET_ONLY,
        secrets=(MEMBERS_POST,),
    ),
    Spec(
        "blog:step_done",
        rev("blog:step_done", slug="start-here", step_id="@public_step.pk"),
        GET_ONLY,
        sign_in_required("302+"),
    ),
    Spec(
        "blog:step_done",
        rev("blog:step_done", slug="start-here", step_id="@members_step.pk"),
        GET_ONLY,
        only(CIRCLE_READERS, "302+", "404"),
        variant="members-only post",
    ),
    Spec(
        "blog:step_undone",
        rev("blog:step_undone", slug="start-here", step_id="@public_step.pk"),
        GET_ONLY,
        sign_in_required("302="),
    ),
    Spec(
        "blog:step_undone",
        rev("blog:step_undone", slug="start-here", step_id="@members_step.pk"),
        GET_ONLY,
        only(CIRCLE_READERS, "302=", "404"),
        variant="members-only post",
    ),
    Spec("blog:page", rev("blog:page", path="about"), EVERYONE_200, GET_ONLY),
    Spec("blog:page", rev("blog:page", path="plans"), readers(STAFF), GET_ONLY, variant="draft"),
]
BLOG_FEEDS = [
    Spec(
        f"blog:{kind}{suffix}",
        rev(f"blog:{kind}{suffix}", **kwargs),
        EVERYONE_200,
        GET_ONLY,
        secrets=FEED_SECRETS,
    )
    for kind, kwargs in (
        ("feed", {}),
        ("category_feed", {"slug": "individual-learning"}),
        ("tag_feed", {"slug": "practice"}),
        ("author_feed", {"username": "circle-writer"}),
    )
    for suffix in ("", "_full", "_atom", "_atom_full")
]


# --- The admin: every registered model, by rule ------------------------------------------------

# Each registered model: how to find an object of it in the world, what the Editors group may do
# there, and (when less than everything) what a superuser may do: some admins are read-only.
VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = {VIEW, ADD, CHANGE, DELETE}
ADMIN_MODELS = {
    "auth.group": (lambda w: w.editors.pk, set()),
    "account.emailaddress": (lambda w: w.users["author"].emailaddress_set.get().pk, set()),
    "taggit.tag": (lambda w: w.tag.pk, ALL),
    # Read-only for everyone; editors read it too (comments migration 0011): failed notifications show there.
    "django_tasks_database.dbtaskresult": (lambda w: w.task_result.pk, {VIEW}, {VIEW}),
    "accounts.user": (lambda w: w.users["author"].pk, set()),
    "accounts.community": (lambda w: w.circle.pk, set()),
    "accounts.membership": (lambda w: w.membership["community_member"].pk, set()),
    "accounts.invitation": (lambda w: w.invitation.pk, set(), {VIEW, DELETE}),
    "blog.learningpath": (lambda w: w.path.pk, ALL),
    "blog.page": (lambda w: w.page.pk, ALL),
    "blog.category": (lambda w: Category.objects.get(slug="individual-learning").pk, ALL),
    "blog.post": (lambda w: w.members_post.pk, ALL),
    "comments.comment": (lambda w: w.members_comment.pk, ALL),
    "comments.commentflag": (lambda w: w.flag.pk, {VIEW, CHANGE, DELETE}, {VIEW, CHANGE, DELETE}),
    # One row: the list redirects to it, and there is nothing to add or delete.
    "comments.discussionsettings": (lambda w: DiscussionSettings.load().pk, {VIEW, CHANGE}, {VIEW, CHANGE}),
}
NOT_STAFF = {"anonymous": "admin", "member": "admin", "community_owner": "admin"}


def admin_row(editor, superuser=None):
    """Members who are not staff get the admin's sign-in page; then the editor's and the superuser's cells."""
    return NOT_STAFF | {"editor": editor, "superuser": editor if superuser is None else superuser}


# Where the admin answers otherwise than the permissions say: (model, action) -> the staff roles' cell.
ADMIN_EXCEPTIONS = {
    ("comments.discussionsettings", "changelist"): "302",  # to the one row's change page
    ("comments.discussionsettings", "changelist POST"): "302",
    ("comments.commentflag", "change POST"): "302",  # a flag's form has nothing required: saved
    ("accounts.community", "delete POST"): "200=",  # its posts protect it: the page says so
}


def admin_model_specs(label, object_id, editor_may, superuser_may=ALL):
    app_label, model = label.split(".")
    prefix = f"admin:{app_label}_{model}"

    def url(action, **kwargs):
        return lambda w: reverse(f"{prefix}_{action}", kwargs={k: v(w) for k, v in kwargs.items()})

    def row(action, permission, code):
        cell = ADMIN_EXCEPTIONS.get((label, action), code)
        return admin_row(
            cell if permission in editor_may else "403", cell if permission in superuser_may else "403"
        )

    return [
        Spec(
            f"{prefix}_changelist",
            url("changelist"),
            row("changelist", VIEW, "200"),
            row("changelist POST", VIEW, "200="),
            roles=ADMIN_ROLES,
        ),
        Spec(
            f"{prefix}_add",
            url("add"),
            row("add", ADD, "200"),
            row("add POST", ADD, "200="),
            roles=ADMIN_ROLES,
        ),
        Spec(
            f"{prefix}_history",
            url("history", object_id=object_id),
            row("history", VIEW, "200"),
            row("history POST", VIEW, "200"),
            roles=ADMIN_ROLES,
        ),
        Spec(
            f"{prefix}_change",
            url("change", object_id=object_id),
            row("change", VIEW, "200"),
            row("change POST", CHANGE, "200="),
            roles=ADMIN_ROLES,
        ),
        # The confirmation page; a POST (any field, here the CSRF token) confirms and deletes.
        Spec(
            f"{prefix}_delete",
            url("delete", object_id=object_id),
            row("delete", DELETE, "200"),
            row("delete POST", DELETE, "302+"),
            roles=ADMIN_ROLES,
        ),
        Spec(
            f"admin/{app_label}/{model}/<path:object_id>/",
            lambda w: reverse(f"{prefix}_changelist") + f"{object_id(w)}/",
            admin_row("302"),
            admin_row("302"),
            roles=ADMIN_ROLES,
        ),
    ]


ADMIN = [
    spec
    for label, (object_id, *may) in ADMIN_MODELS.items()
    for spec in admin_model_specs(label, object_id, *may)
]
ADMIN += [
    Spec("admin:index", rev("admin:index"), admin_row("200"), admin_row("200"), roles=ADMIN_ROLES),
    Spec(
        "admin:login",
        rev("admin:login"),
        cells("200", ADMIN_ROLES, editor="302", superuser="302"),
        cells("200=", ADMIN_ROLES),
        roles=ADMIN_ROLES,
    ),
    # Members who are not staff are sent to the admin's index (and from there to its sign-in page).
    Spec(
        "admin:logout",
        rev("admin:logout"),
        admin_row("405") | dict.fromkeys(NOT_STAFF, "302"),
        admin_row("302") | dict.fromkeys(NOT_STAFF, "302"),
        roles=ADMIN_ROLES,
    ),
    Spec(
        "admin:password_change",
        rev("admin:password_change"),
        admin_row("200"),
        admin_row("200="),
        roles=ADMIN_ROLES,
    ),
    Spec(
        "admin:password_change_done",
        rev("admin:password_change_done"),
        admin_row("200"),
        admin_row("405"),
        roles=ADMIN_ROLES,
    ),
    Spec(
        "admin:autocomplete", rev("admin:autocomplete"), admin_row("403"), admin_row("405"), roles=ADMIN_ROLES
    ),
    Spec("admin:jsi18n", rev("admin:jsi18n"), admin_row("200"), admin_row("405"), roles=ADMIN_ROLES),
    Spec(
        "admin:view_on_site",
        lambda w: reverse(
            "admin:view_on_site", args=[ContentType.objects.get_for_model(Post).pk, w.members_post.pk]
        ),
        admin_row("302"),
        admin_row("302"),
        roles=ADMIN_ROLES,
    ),
    Spec(
        "admin:auth_user_password_change",
        lambda w: reverse("admin:auth_user_password_change", args=[w.users["author"].pk]),
        admin_row("403", "200"),
        admin_row("403", "200="),
        roles=ADMIN_ROLES,
    ),
    Spec(
        "admin:blog_post_simple_history",
        lambda w: reverse(
            "admin:blog_post_simple_history",
            args=[w.members_post.pk, w.members_post.history.latest().history_id],
        ),
        admin_row("200"),
        admin_row("200="),
        roles=ADMIN_ROLES,
    ),
    Spec(
        "admin/(?P<url>.*)$",
        lambda w: "/admin/no-such-page/",
        admin_row("404"),
        admin_row("404"),
        roles=ADMIN_ROLES,
    ),
] + [
    Spec(
        "admin:app_list",
        rev("admin:app_list", app_label=app),
        admin_row("200" if editor else "404", "200"),
        admin_row("200" if editor else "404", "200"),
        roles=ADMIN_ROLES,
        variant=app,
    )
    for app, editor in (
        ("auth", False),
        ("account", False),
        ("taggit", True),
        ("django_tasks_database", True),
        ("accounts", False),
        ("blog", True),
        ("comments", True),
    )
]

SPECS = SITE + ACCOUNTS + ALLAUTH + COMMENTS + COMMUNITIES + COMMUNITY_FEEDS + BLOG + BLOG_FEEDS + ADMIN
ALLAUTH_PREFIXES = ("account_", "socialaccount_", "mfa_", "headless_", "usersessions_")
