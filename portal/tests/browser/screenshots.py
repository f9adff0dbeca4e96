"""Screenshots of every page type, for people to look at: ``make screenshots``.

Not a test module (the name does not match ``test_*.py``, so the suite never
collects it); ``make screenshots`` runs it explicitly with ``-m screenshots``.
It seeds the demo content (``seed_demo``) into the test database, adds a
community and a learning path, and saves full-page PNGs of each page, signed
out and signed in, at desktop (1280 px) and phone (375 px) widths in the light
theme, under ``var/screenshots/`` (``SCREENSHOTS_DIR`` to choose another folder).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Community
from blog.models import LearningPath, LearningPathStep, Post
from comments.models import Comment
from comments.services import comment_submit
from portal import demo_content as demo
from testing.factories import UserFactory

pytestmark = pytest.mark.screenshots

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
OUT = Path(os.environ.get("SCREENSHOTS_DIR", Path(settings.VAR_DIR) / "screenshots"))


def seed():
    call_command("seed_demo", force=True, verbosity=0)
    User = get_user_model()
    editor = User.objects.get(username=demo.EDITOR_USERNAME)
    member = User.objects.get(username="tomas")
    owner = User.objects.get(username="lucia")
    community = account_services.community_create(
        creator=owner,
        name="Reading circle",
        description="We read one book a month and *talk* about it.",
        join_policy=Community.JoinPolicy.REQUEST,
    )
    account_services.membership_join(community=community, member=User.objects.get(username="jonas"))
    posts = list(Post.objects.visible_to(None).published().order_by("publish_at")[:3])
    learning_path = LearningPath.objects.create(
        title="From individual to organizational learning",
        slug="individual-to-org",
        description="Three posts, from your own habits to your team's.",
        published=True,
    )
    for order, (post, stage) in enumerate(zip(posts, LearningPathStep.Stage.values, strict=False), start=1):
        LearningPathStep.objects.create(path=learning_path, post=post, order=order, stage=stage)
    post = Post.objects.visible_to(None).published().order_by("-comment_count", "-publish_at").first()
    held = comment_submit(
        post=post,
        author=UserFactory(username="newcomer"),
        body="My first comment here: waiting for an editor.",
    )
    mine = Comment.objects.filter(author=member, status=Comment.Status.APPROVED).first() or comment_submit(
        post=post, author=member, body="A comment of mine."
    )
    return {
        "editor": editor,
        "member": member,
        "owner": owner,
        "community": community,
        "learning_path": learning_path,
        "post": post,
        "held": held,
        "mine": mine,
    }


def page_types(data):
    post = data["post"]
    published = post.publish_at
    tag = post.tags.first()
    public = {
        "home": reverse("blog:home"),
        "post": post.get_absolute_url(),
        "category": reverse("blog:category", kwargs={"slug": "individual-learning"}),
        "author": reverse("blog:author", kwargs={"username": post.author.username}),
        "search": reverse("search") + "?q=learning",
        "archive": reverse("blog:archive"),
        "archive-month": reverse(
            "blog:archive_month", kwargs={"year": published.year, "month": f"{published.month:02d}"}
        ),
        "communities": reverse("communities:directory"),
        "community": data["community"].get_absolute_url(),
        "profile": reverse("accounts:profile", kwargs={"username": data["member"].username}),
        "paths": reverse("blog:learning_paths"),
        "path": data["learning_path"].get_absolute_url(),
        "404": "/no/such/page/",
    }
    if tag is not None:
        public["tag"] = reverse("blog:tag", kwargs={"slug": tag.slug})
    return [
        *[(name, url, None) for name, url in public.items()],
        ("sign-in", reverse("account_login"), None),
        ("sign-up", reverse("account_signup"), None),
        ("post-signed-in", post.get_absolute_url(), "member"),
        ("my-feed", reverse("blog:my_feed"), "member"),
        ("edit-profile", reverse("accounts:edit_profile"), "member"),
        ("comment-edit", reverse("comments:edit", kwargs={"comment_id": data["mine"].pk}), "member"),
        (
            "community-members",
            reverse("communities:members", kwargs={"slug": data["community"].slug}),
            "owner",
        ),
        ("moderation-queue", reverse("comments:queue"), "editor"),
    ]


def test_screenshots_of_every_page_type(browser_page):
    data = seed()
    OUT.mkdir(parents=True, exist_ok=True)
    pages = {}
    for width_name, viewport in WIDTHS.items():
        for who in (None, "member", "owner", "editor"):
            pages[width_name, who] = browser_page(
                f"{width_name} {who or 'visitor'}",
                user=data[who] if who else None,
                viewport=viewport,
                color_scheme="light",
            )
    saved = []
    for name, url, who in page_types(data):
        for width_name in WIDTHS:
            page = pages[width_name, who]
            page.goto(url)
            path = OUT / f"{name}-{width_name}.png"
            page.screenshot(path=str(path), full_page=True)
            saved.append(path)
    print(f"\n{len(saved)} screenshots in {OUT}/")
    assert all(path.stat().st_size > 0 for path in saved)
