"""The role × view matrix over EVERY URL of the project (issue 8, "Authorization").

``test_every_url_is_in_the_matrix`` walks ``get_resolver().url_patterns``
(namespaces and includes too) and fails when a URL exists that the table
below does not mention — a new view cannot escape the matrix — or when the
table names a URL that no longer exists. Admin URLs are generated from
``ADMIN_MODELS`` (which must list every registered model) and allauth's are
listed one by one.

``test_matrix[<url>]`` requests the URL as each role of
``portal/tests/authz_world.py`` (anonymous, a member of no community, the
comments' author, the owner of another (private) community, Circle's member,
moderator, post author and owner, an editor and a superuser), with GET and
with a POST carrying a real CSRF token (``Client(enforce_csrf_checks=True)``,
the token in the cookie and the form), and compares with the table:

* ``"200"``, ``"302"``, ``"400"``: allowed (or a form/message answer);
  ``"302+"`` the POST must change the database, ``"302="`` / ``"200="`` must not;
* ``"login"`` / ``"admin"``: a redirect to the site's / the admin's sign-in page;
* ``"403"``, ``"404"`` (hidden objects are 404, never 403), ``"405"``.

Every GET and every refusal must leave the database as it was (every row of
every model of the project's apps, allauth's addresses, the admin log,
groups and tags are compared with the world as built); each request runs in
a savepoint rolled back afterwards, so every cell starts from the same world.
Pages that answer 200 to a role that may not read a secret (the members-only
post, its comments, the private community, a held comment, a draft) must not
contain it, and those that may read it must (a positive control). Finally a
forged POST (no CSRF token) by the role the table allows most is a 403 that
changes nothing, except on the two one-click unsubscribe links, which are
declared ``csrf_exempt`` (the signed token is the proof).

The world is built once for the module in a transaction rolled back at the end
(``world`` fixture); each test runs in pytest-django's own transaction inside it.
"""

import json
import re
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter

from blog.models import Category, Post
from comments.models import Comment, DiscussionSettings

from .authz_world import (
    CIRCLE_LEADERS,
    CIRCLE_MANAGERS,
    CIRCLE_READERS,
    PASSWORD,
    ROLES,
    SECRET_COMMENT,
    SECRET_DRAFT,
    SECRET_HELD,
    SECRET_POST,
    SECRET_WARD,
    STAFF,
    WARD_READERS,
    world_rolled_back,
)

CSRF_TOKEN = "authzmatrixcsrftoken0123456789ab"  # a 32-character secret, as Django's cookie holds
REFUSALS = {"login", "admin", "403", "404", "405"}
CSRF_EXEMPT = {"comments:unsubscribe", "blog:digest_unsubscribe"}
ADMIN_ROLES = ["anonymous", "member", "community_owner", "editor", "superuser"]


# --- The table's vocabulary ------------------------------------------------------------------


def cells(default, roles=ROLES, **overrides):
    """``default`` for every role, except those named."""
    unknown = set(overrides) - set(roles)
    assert not unknown, unknown
    return {role: overrides.get(role, default) for role in roles}


def signed_in(code, **overrides):
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
    """An address from a URL name and kwargs computed from the world: ``rev("blog:post_edit", pk="draft.pk")``."""

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
    from django.utils import timezone

    from blog.tests.factories import individual_learning

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
    from comments.tests.helpers import started

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
        signed_in("200"),
        signed_in("302+"),
        data=form(display_name="Renamed by the matrix", bio="", website="", digest="none"),
    ),
    # Naming someone else in the request changes nothing: the export is the signed-in member's.
    Spec(
        "accounts:my_data",
        rev("accounts:my_data"),
        signed_in("200"),
        signed_in("200="),
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
        signed_in("200"),
        signed_in("302+", other_member="200=", community_owner="200="),
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
        name, rev(name), signed_in(get) | {"anonymous": anon_get}, signed_in(post) | {"anonymous": anon_post}
    )
    for name, (anon_get, anon_post, get, post) in ALLAUTH_ANONYMOUS_FORMS.items()
] + [
    Spec("account_logout", rev("account_logout"), cells("200", anonymous="302"), cells("302")),
    Spec("account_email", rev("account_email"), signed_in("200"), signed_in("302=")),
    Spec("account_change_password", rev("account_change_password"), signed_in("200"), signed_in("200=")),
    Spec("account_set_password", rev("account_set_password"), signed_in("302"), signed_in("302")),
    Spec("account_reauthenticate", rev("account_reauthenticate"), signed_in("200"), signed_in("200=")),
    Spec(
        "account_request_reauthentication_code",
        rev("account_request_reauthentication_code"),
        signed_in("200"),
        signed_in("200="),
    ),
    Spec(
        "account_confirm_reauthentication_code",
        rev("account_confirm_reauthentication_code"),
        signed_in("302"),
        signed_in("302="),
    ),
    # No code was sent: back to the sign-in page (members: home).
    Spec(
        "account_confirm_login_code", rev("account_confirm_login_code"), signed_in("302"), signed_in("302=")
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
        signed_in("302+"),
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
        readers(CIRCLE_READERS, "302"),
        readers(CIRCLE_READERS, "302"),
        variant="members-only post",
    ),
    Spec(
        "comments:permalink",
        rev("comments:permalink", comment_id="@held.pk"),
        readers({"author"}, "302"),
        readers({"author"}, "302"),
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
        signed_in("200", author="302"),
        signed_in("302+", author="302="),
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
        signed_in("302"),
        signed_in("302="),
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
    Spec("comments:audit", rev("comments:audit"), only(STAFF, "200", "403"), signed_in("405")),
    Spec(
        "comments:follow",
        rev("comments:follow", post_id="@public_post.pk"),
        GET_ONLY,
        signed_in("302+", author="302="),
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
        signed_in("302=", author="302+"),
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
        signed_in("200"),
        signed_in("302+"),
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
        signed_in("200"),
        signed_in("302+"),
        data=community_form("A matrix community"),
    ),
    Spec(
        "communities:invitation",
        rev("communities:invitation", token="@invitation.token"),
        EVERYONE_200,
        signed_in("302="),
    ),
    Spec(
        "communities:invitation",
        rev("communities:invitation", token="guessed"),
        cells("404"),
        cells("404"),
        variant="guessed token",
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
        signed_in(
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
        signed_in("302=", community_member="302+", community_moderator="302+", post_author="302+"),
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
    Spec("blog:follow", rev("blog:follow", kind="community", pk="@circle.pk"), GET_ONLY, signed_in("302+")),
    Spec(
        "blog:follow",
        rev("blog:follow", kind="community", pk="@ward.pk"),
        GET_ONLY,
        only(WARD_READERS, "302+", "404"),
        variant="private",
    ),
    Spec(
        "blog:unfollow", rev("blog:unfollow", kind="community", pk="@circle.pk"), GET_ONLY, signed_in("302=")
    ),
    Spec(
        "blog:unfollow",
        rev("blog:unfollow", kind="community", pk="@ward.pk"),
        GET_ONLY,
        only(WARD_READERS, "302=", "404"),
        variant="private",
    ),
    Spec("blog:my_feed", rev("blog:my_feed"), signed_in("200"), signed_in("405")),
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
        signed_in("302+"),
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
        signed_in("302="),
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
    "django_tasks_database.dbtaskresult": (lambda w: w.task_result.pk, set(), {VIEW}),
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
        ("django_tasks_database", False),
        ("accounts", False),
        ("blog", True),
        ("comments", True),
    )
]

SPECS = SITE + ACCOUNTS + ALLAUTH + COMMENTS + COMMUNITIES + COMMUNITY_FEEDS + BLOG + BLOG_FEEDS + ADMIN
ALLAUTH_PREFIXES = ("account_", "socialaccount_", "mfa_", "headless_", "usersessions_")


# --- Every URL of the project ------------------------------------------------------------------


def walk_patterns(patterns=None, prefix="", namespace=""):
    """(pattern, route prefix, namespace) of every URL pattern of the project, includes followed."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}:{pattern.namespace}"
                if namespace and pattern.namespace
                else (pattern.namespace or namespace)
            )
            yield from walk_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            assert isinstance(pattern, URLPattern)
            yield pattern, prefix, namespace


def url_keys():
    """(key, callback) of every URL pattern: its namespaced name, or its route when it has none."""
    for pattern, prefix, namespace in walk_patterns():
        if pattern.name:
            key = f"{namespace}:{pattern.name}" if namespace else pattern.name
        else:
            key = prefix + str(pattern.pattern)
        yield key, pattern.callback


def test_every_url_is_in_the_matrix():
    urls = dict(url_keys())
    declared = {spec.key for spec in SPECS}
    missing = sorted(set(urls) - declared)
    stale = sorted(declared - set(urls))
    assert not missing, f"URLs the authorization matrix does not cover (add them to the table): {missing}"
    assert not stale, f"the matrix names URLs that no longer exist: {stale}"
    assert len(urls) > 150


def test_every_admin_model_is_declared():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(ADMIN_MODELS)


def test_only_the_declared_views_skip_the_csrf_check():
    exempt = {key for key, callback in url_keys() if getattr(callback, "csrf_exempt", False)}
    # Feeds and the static media view are read-only; allauth/admin views are all protected.
    read_only = {key for key in exempt if "feed" in key or key.startswith(("sitemap", "robots"))}
    assert exempt - read_only == CSRF_EXEMPT


# --- Running the table -------------------------------------------------------------------------

SNAPSHOT_APPS = (
    "accounts",
    "blog",
    "comments",
    "account",
    "admin",
    "auth",
    "taggit",
    "django_tasks_database",
)
SKIPPED_FIELDS = {"last_login"}  # signing in (force_login) sets it


def _snapshot_queries():
    """One ``SELECT`` per model, every column but ``SKIPPED_FIELDS``, in primary-key order."""
    quote = connection.ops.quote_name
    queries = {}
    for app_label in SNAPSHOT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            meta = model._meta
            columns = [f.column for f in meta.concrete_fields if f.attname not in SKIPPED_FIELDS]
            # Names from the models' own metadata, quoted by the backend: no outside input.
            select = f"SELECT {', '.join(map(quote, columns))} FROM {quote(meta.db_table)}"  # noqa: S608
            queries[meta.label] = f"{select} ORDER BY {quote(meta.pk.column)}"
    return queries


def snapshot():
    """Every row of every model of the project's apps (and allauth's, the admin log, groups, tags)."""
    if not SNAPSHOT_QUERIES:
        SNAPSHOT_QUERIES.update(_snapshot_queries())
    with connection.cursor() as cursor:
        state = {}
        for label, sql in SNAPSHOT_QUERIES.items():
            cursor.execute(sql)
            state[label] = cursor.fetchall()
    return state


SNAPSHOT_QUERIES = {}


def changed_tables(before, after):
    return sorted(label for label in before if before[label] != after[label])


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, built once for the module and rolled back at its end."""
    with world_rolled_back(django_db_blocker) as built:
        built.baseline = snapshot()
        yield built


class _Rollback(Exception):
    pass


def client_for(world, role, *, csrf=True):
    client = Client(enforce_csrf_checks=True)
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    if csrf:
        client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_TOKEN
    return client


def perform(world, client, method, path, data):
    """The request, in a savepoint rolled back afterwards: (response, tables it changed)."""
    outcome = {}
    try:
        with transaction.atomic():
            if method == "GET":
                outcome["response"] = client.get(path)
            else:
                outcome["response"] = client.post(path, data)
            outcome["changed"] = changed_tables(world.baseline, snapshot())
            raise _Rollback
    except _Rollback:
        pass
    return outcome["response"], outcome["changed"]


def mismatch(expected, response, changed, method):
    """What is wrong with ``response`` given the ``expected`` cell, or None."""
    code = expected.rstrip("+=")
    status = response.status_code
    location = response.get("Location", "")
    if code == "login":
        if status != 302 or not location.startswith(reverse("account_login")):
            return f"expected the sign-in page, got {status} {location}"
    elif code == "admin":
        if status != 302 or not location.startswith(reverse("admin:login")):
            return f"expected the admin sign-in page, got {status} {location}"
    elif str(status) != code:
        return f"expected {code}, got {status} {location}"
    must_not_change = method == "GET" or code in REFUSALS or expected.endswith("=")
    if must_not_change and changed:
        return f"{expected}: the database changed ({', '.join(changed)})"
    if expected.endswith("+") and not changed:
        return f"{expected}: the database did not change"
    return None


def leaks(spec, role, response):
    if response.status_code != 200:
        return []
    text = response.content.decode(errors="replace").casefold()
    problems = []
    for secret, allowed, shown in spec.secrets:
        if role not in allowed and secret.casefold() in text:
            problems.append(f"shows {secret!r}, which it may not read")
        if role in allowed and shown and secret.casefold() not in text:
            problems.append(f"does not show {secret!r} (positive control)")
    return problems


def forger_of(spec):
    if spec.forger:
        return spec.forger
    for role in reversed(spec.roles):
        if spec.post[role].rstrip("+=") not in REFUSALS:
            return role
    return spec.roles[-1]


@pytest.mark.parametrize("spec", SPECS, ids=[spec.id for spec in SPECS])
@pytest.mark.django_db
def test_matrix(world, spec):
    assert list(spec.get) == list(spec.post) == spec.roles, "the table must give every role a cell"
    path = spec.path(world)
    resolve(path.split("?")[0])  # the address is one of the project's
    problems = []
    for role in spec.roles:
        client = client_for(world, role)
        for method, expected in (("GET", spec.get[role]), ("POST", spec.post[role])):
            data = {"csrfmiddlewaretoken": CSRF_TOKEN}
            if method == "POST" and spec.data:
                data.update(spec.data(world, role))
            response, changed = perform(world, client, method, path, data)
            wrong = mismatch(expected, response, changed, method)
            if wrong:
                problems.append(f"{role} {method}: {wrong}")
            problems += [f"{role} {method}: {leak}" for leak in leaks(spec, role, response)]
            if spec.check and not wrong:
                spec.check(world, role, method, response)
    # The forged POST: same request, no CSRF token, by the role the table allows most.
    forger = forger_of(spec)
    data = spec.data(world, forger) if spec.data else {}
    response, changed = perform(world, client_for(world, forger, csrf=False), "POST", path, data)
    if spec.key in CSRF_EXEMPT:
        assert spec.post[forger].rstrip("+=") == str(response.status_code)
    else:
        wrong = mismatch("403", response, changed, "POST")
        if wrong:
            problems.append(f"forged POST by {forger}: {wrong}")
    assert not problems, f"{spec.id} ({path}):\n" + "\n".join(problems)


# --- Guessed ids, and the CSRF token of a real page ---------------------------------------------

OTHER_KWARGS = {"kind": "community", "slug": "start-here"}


def int_id_urls():
    """(key, kwargs) of every URL outside the admin that takes an integer id, with an id no row has."""
    found = []
    for pattern, _prefix, namespace in walk_patterns():
        converters = getattr(pattern.pattern, "converters", {})
        ints = [name for name, converter in converters.items() if isinstance(converter, IntConverter)]
        if ints and namespace != "admin":
            key = f"{namespace}:{pattern.name}" if namespace else pattern.name
            kwargs = {name: (GUESSED_ID if name in ints else OTHER_KWARGS[name]) for name in converters}
            found.append((key, kwargs))
    return found


GUESSED_ID = 987654


@pytest.mark.django_db
def test_guessed_ids_are_404_for_everyone(world):
    """An id that names no row is a 404, never a 200 or a 500, and changes nothing.

    Also accepted: 405 (the method is checked first), the sign-in page for visitors, and 403 where the
    role may use the page for no id at all (the moderation pages for members): those answers do not
    depend on the id, so they say nothing about which ids exist.
    """
    urls = int_id_urls()
    assert len(urls) >= 20  # comments, memberships, follows, steps, post editing...
    problems = []
    for key, kwargs in urls:
        path = reverse(key, kwargs=kwargs)
        for role in ("anonymous", "member", "community_owner", "superuser"):
            client = client_for(world, role)
            for method in ("GET", "POST"):
                response, changed = perform(world, client, method, path, {"csrfmiddlewaretoken": CSRF_TOKEN})
                allowed = {"403", "404", "405"} | ({"login"} if role == "anonymous" else set())
                if all(mismatch(code, response, changed, method) for code in allowed):
                    problems.append(f"{key} {role} {method}: {response.status_code} {changed}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_the_token_of_a_real_form_is_accepted_and_one_from_another_session_is_not(world):
    """The matrix posts a token it set in the CSRF cookie; a token read from a real form works the same,
    and a token copied from another visitor's page is refused (403), changing nothing."""
    member = client_for(world, "member", csrf=False)
    page = member.get(reverse("accounts:edit_profile"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    data = {"display_name": "Real token", "bio": "", "website": "", "digest": "none"}

    response, changed = perform(
        world, member, "POST", reverse("accounts:edit_profile"), {**data, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and changed == ["accounts.User"]

    stranger = client_for(world, "author", csrf=False)
    stranger.get(reverse("accounts:edit_profile"))  # their own CSRF cookie
    response, changed = perform(
        world, stranger, "POST", reverse("accounts:edit_profile"), {**data, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 403 and changed == []
