"""Journeys through the site in a real browser, the way members use it.

Each test is one journey; the data comes from the factories and services
(``testing/browser_world.py``), the actions from clicks and typing.
"""

import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Membership
from blog.models import StepCompletion
from comments.models import Comment, CommentFlag

CONFIRMATION_LINK = re.compile(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/")
NEW_PASSWORD = "Learning-in-the-open 42"


@pytest.fixture(autouse=True)
def caches_as_in_production(settings):
    """The journeys run with the page caches on, visitors' and members' (core/page_cache.py):
    every step must see what the step before it changed."""
    settings.PAGE_CACHE_SECONDS = 600
    settings.MEMBER_PAGE_CACHE_SECONDS = 300


def field(page, label):
    """The form field labelled ``label`` (crispy adds a "*" to required fields' labels)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def sign_in_with_the_form(page, login, password, name):
    page.goto(reverse("account_login"))
    field(page, "Login").fill(login)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name=name)).to_be_visible()  # the member's menu in the header


def sign_out_with_the_menu(page, name):
    page.wait_for_load_state()  # the menu needs Bootstrap's deferred script
    page.get_by_role("button", name=name).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def comment_item(page, text):
    """The <li> of the comment whose own text contains ``text`` (not its replies)."""
    return page.locator("li.comment").filter(has=page.locator(":scope > .comment-card", has_text=text))


def test_sign_up_confirm_comment_moderate_reply_edit_and_flag(browser_page, world):
    # A visitor signs up...
    grace = browser_page("grace")
    grace.goto(reverse("account_signup"))
    field(grace, "Email").fill("grace@example.org")
    field(grace, "Username").fill("grace")
    field(grace, "Password").fill(NEW_PASSWORD)
    field(grace, "Password (again)").fill(NEW_PASSWORD)
    grace.get_by_role("button", name="Sign Up").click()
    expect(grace.get_by_role("heading", level=1)).to_have_text(re.compile("Verify Your Email Address", re.I))

    # ...confirms the address through the link in the email...
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    assert mail.outbox[0].to == ["grace@example.org"]
    link = CONFIRMATION_LINK.search(mail.outbox[0].body).group(0)
    grace.goto(link)
    expect(grace.get_by_text("grace@example.org").first).to_be_visible()
    grace.get_by_role("button", name="Confirm").click()
    expect(grace.get_by_text("You have confirmed grace@example.org.")).to_be_visible()

    # ...signs out and back in with the form...
    sign_out_with_the_menu(grace, "grace")
    sign_in_with_the_form(grace, "grace", NEW_PASSWORD, "grace")

    # ...comments on a post, and sees it waiting for moderation (a first comment is held).
    grace.goto(world.post.get_absolute_url())
    grace.get_by_label(re.compile(r"^\s*Your comment")).fill(
        "Writing things down in public changed how I learn."
    )
    grace.get_by_role("button", name="Post comment").click()
    mine = comment_item(grace, "Writing things down in public")
    # The page lands on it, the thanks and the reason beside it (in a status box), and on the comment.
    expect(mine.locator(":scope > .comment-notice")).to_contain_text(
        "Thanks! Your comment is awaiting moderation."
    )
    held = mine.locator(":scope > .comment-card .comment-held")
    expect(held.get_by_text("Your comment is awaiting moderation.")).to_be_visible()
    expect(held.get_by_text("Your first comment is read by an editor")).to_be_visible()
    comment = Comment.objects.get(author__username="grace")
    assert comment.status == Comment.Status.PENDING

    # Ben does not see it yet.
    ben = browser_page("ben", user=world.ben)
    ben.goto(world.post.get_absolute_url())
    expect(ben.get_by_text("Writing things down in public")).to_have_count(0)

    # An editor approves it in the admin.
    editor = browser_page("editor", user=world.editor)
    editor.goto(reverse("admin:comments_comment_changelist") + "?status__exact=pending")
    row = editor.locator("#result_list tbody tr").filter(has_text="grace")
    row.locator("input[name=_selected_action]").check()
    editor.locator("select[name=action]").select_option("approve")
    editor.locator("button[name=index]").click()
    expect(editor.locator(".messagelist")).to_contain_text("approved")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED

    # Ben now sees it and replies to it: Reply moves the form under Grace's comment.
    ben.reload()
    graces = comment_item(ben, "Writing things down in public")
    graces.get_by_role("link", name="Reply to grace").click()
    expect(ben.locator("#reply-context")).to_contain_text("Replying to grace")
    expect(ben.get_by_label(re.compile(r"^\s*Your comment"))).to_be_focused()
    ben.get_by_label(re.compile(r"^\s*Your comment")).fill("Same here: my notebook is public now.")
    ben.get_by_role("button", name="Post comment").click()
    reply = comment_item(ben, "my notebook is public now")
    expect(reply).to_be_visible()
    # The reply is nested in Grace's thread: an <ol> of replies inside her <li>.
    nested = comment_item(ben, "Writing things down in public").locator("ol.comment-replies > li.comment")
    expect(nested.filter(has_text="my notebook is public now")).to_have_count(1)

    # Grace edits her comment within the edit window.
    grace.goto(world.post.get_absolute_url())
    mine = comment_item(grace, "Writing things down in public")
    mine.locator(":scope > .comment-card").get_by_role("link", name="Edit").click()
    body = grace.get_by_label(re.compile(r"^\s*Your comment"))
    expect(body).to_have_value("Writing things down in public changed how I learn.")
    body.fill("Writing things down in public changed how I learn, and how I teach.")
    grace.get_by_role("button", name="Save changes").click()
    mine = comment_item(grace, "and how I teach")
    expect(mine).to_be_visible()
    expect(mine.locator(".comment-edited")).to_contain_text("edited")

    # Ada flags Ben's reply.
    ada = browser_page("ada", user=world.ada)
    ada.goto(world.post.get_absolute_url())
    comment_item(ada, "my notebook is public now").get_by_role(
        "link", name="Flag the comment by Ben Franklin"
    ).click()
    expect(ada.get_by_role("heading", level=1)).to_have_text("Flag a comment")
    # No reason is chosen for her: she picks one.
    expect(ada.get_by_role("radio", checked=True)).to_have_count(0)
    ada.get_by_role("group", name="What is wrong with this comment?").get_by_role(
        "radio", name="Abusive or harassing"
    ).check()
    ada.get_by_role("button", name="Flag this comment").click()
    expect(ada.get_by_text("Thanks — an editor will look at it.")).to_be_visible()
    assert CommentFlag.objects.filter(flagged_by=world.ada, comment__body__contains="notebook").count() == 1

    # The editor finds it among the flagged comments of the moderation queue.
    editor.goto(reverse("comments:queue") + "?tab=flagged")
    expect(editor.get_by_text("my notebook is public now")).to_be_visible()


def test_joining_a_community_by_request_approved_by_its_owner(browser_page, world):
    ada = browser_page("ada", user=world.ada)
    ada.goto(world.community.get_absolute_url())
    expect(ada.get_by_text("Circle minutes")).to_have_count(0)  # members-only post
    ada.get_by_role("button", name="Request to join").click()
    expect(ada.get_by_text("Request pending")).to_be_visible()
    membership = Membership.objects.get(community=world.community, member=world.ada)
    assert membership.status == Membership.Status.REQUESTED

    owner = browser_page("owner", user=world.owner)
    owner.goto(reverse("communities:members", kwargs={"slug": world.community.slug}))
    owner.locator("li").filter(has_text="Ada Lovelace").get_by_role("button", name="Approve").click()
    expect(owner.get_by_role("button", name="Approve")).to_have_count(0)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE

    ada.reload()
    expect(ada.get_by_role("link", name="Circle minutes")).to_be_visible()


def test_search_finds_posts_and_comments_with_highlighted_words(browser_page, world):
    page = browser_page("visitor")
    page.goto(reverse("blog:home"))
    page.get_by_role("searchbox", name="Search posts and comments").fill("sharing")
    page.get_by_role("searchbox", name="Search posts and comments").press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=sharing"))
    expect(page.get_by_role("link", name="Learning in the open")).to_be_visible()
    expect(page.locator("mark").first).to_have_text(re.compile("sharing", re.I))
    # Members-only posts never show up for a visitor.
    page.get_by_role("searchbox", name="Search posts and comments").fill("circle")
    page.get_by_role("searchbox", name="Search posts and comments").press("Enter")
    expect(page.get_by_role("link", name="Circle minutes")).to_have_count(0)


def test_following_a_tag_fills_my_feed(browser_page, world):
    ada = browser_page("ada", user=world.ada)
    ada.goto(reverse("blog:tag", kwargs={"slug": "reflection"}))
    ada.get_by_role("button", name=re.compile("^Follow", re.I)).first.click()
    expect(ada.get_by_text(re.compile("You follow"))).to_be_visible()
    ada.goto(reverse("blog:home"))
    ada.get_by_role("button", name="Ada Lovelace").click()
    ada.get_by_role("navigation").get_by_role("link", name="My feed").click()
    expect(ada).to_have_url(re.compile(reverse("blog:my_feed")))
    feed = ada.locator("main")
    expect(feed.get_by_role("link", name="Learning in the open")).to_be_visible()
    expect(feed.get_by_role("link", name="Communities of practice")).to_be_visible()
    expect(feed).to_contain_text("reflection")


def test_marking_a_learning_path_step_done(browser_page, world):
    ada = browser_page("ada", user=world.ada)
    ada.goto(world.learning_path.get_absolute_url())
    expect(ada.get_by_role("heading", level=1)).to_have_text(world.learning_path.title)
    ada.get_by_role("link", name="Learning in the open").first.click()
    expect(ada.get_by_text(re.compile("Step 1 of 2"))).to_be_visible()
    ada.get_by_role("button", name=re.compile("Mark .*done", re.I)).first.click()
    expect(ada.get_by_text(re.compile("1 of 2"))).to_be_visible()
    assert StepCompletion.objects.filter(member=world.ada).count() == 1
    ada.goto(world.learning_path.get_absolute_url())
    expect(ada.locator("main")).to_contain_text(re.compile("1 of 2"))
