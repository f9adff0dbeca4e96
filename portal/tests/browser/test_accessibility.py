"""axe-core on every page type, signed out and signed in, plus the portal's structural rules.

Each test visits its pages in one browser context and reports every page's
problems together: zero serious or critical axe violations, one banner, nav,
main and footer landmark, exactly one h1, and a skip link first.
"""

import re

from django.urls import reverse
from playwright.sync_api import expect

from testing.a11y import assert_accessible, axe_violations, format_violations, structure_problems
from testing.browser_world import follow_tag, held_comment, request_membership
from testing.factories import CommentFactory


def public_pages(world):
    post = world.post
    published = post.publish_at
    return {
        "home": reverse("blog:home"),
        "post with comments": post.get_absolute_url(),
        "category": reverse("blog:category", kwargs={"slug": "individual-learning"}),
        "tag": reverse("blog:tag", kwargs={"slug": "reflection"}),
        "author": reverse("blog:author", kwargs={"username": world.editor.username}),
        "search results": reverse("search") + "?q=learning",
        "archive": reverse("blog:archive"),
        "month archive": reverse(
            "blog:archive_month", kwargs={"year": published.year, "month": f"{published.month:02d}"}
        ),
        "community directory": reverse("communities:directory"),
        "community page": world.community.get_absolute_url(),
        "profile": reverse("accounts:profile", kwargs={"username": world.ben.username}),
        "learning paths": reverse("blog:learning_paths"),
        "learning path": world.learning_path.get_absolute_url(),
        "404 page": "/no/such/page/",
    }


def check_pages(page, axe_source, pages):
    failures = []
    for name, url in pages.items():
        response = page.goto(url)
        assert response is not None, f"{name}: no response for {url}"
        if name != "404 page":
            assert response.status == 200, f"{name}: {url} answered {response.status}"
        else:
            assert response.status == 404, f"{name}: {url} answered {response.status}"
        try:
            assert_accessible(page, axe_source, f"{name} ({url})")
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n\n".join(failures)


def test_every_page_type_signed_out(browser_page, axe_source, world):
    page = browser_page("visitor")
    pages = {
        **public_pages(world),
        "sign in": reverse("account_login"),
        "sign up": reverse("account_signup"),
        "password reset": reverse("account_reset_password"),
    }
    check_pages(page, axe_source, pages)


def test_every_page_type_signed_in_as_a_member(browser_page, axe_source, world):
    follow_tag(world.ada, "reflection")
    own = CommentFactory(post=world.post, author=world.ada, body="Ada's fresh comment.")
    page = browser_page("ada", user=world.ada)
    pages = {
        **public_pages(world),
        "edit profile": reverse("accounts:edit_profile"),
        "my feed": reverse("blog:my_feed"),
        "comment edit": reverse("comments:edit", kwargs={"comment_id": own.pk}),
        "flag a comment": reverse("comments:flag", kwargs={"comment_id": world.thread_root.pk}),
        "email settings": reverse("comments:preferences"),
        "email addresses": reverse("account_email"),
        "change password": reverse("account_change_password"),
    }
    check_pages(page, axe_source, pages)


def test_community_pages_as_their_owner(browser_page, axe_source, world):
    request_membership(world, world.ada)
    page = browser_page("owner", user=world.owner)
    check_pages(
        page,
        axe_source,
        {
            "community page (owner)": world.community.get_absolute_url(),
            "members-only post": world.members_post.get_absolute_url(),
            "community members (owner)": reverse(
                "communities:members", kwargs={"slug": world.community.slug}
            ),
            "community edit": reverse("communities:edit", kwargs={"slug": world.community.slug}),
            "community insights": reverse("communities:insights", kwargs={"slug": world.community.slug}),
            "new community": reverse("communities:create"),
        },
    )


def test_editor_pages(browser_page, axe_source, world):
    held_comment(world)
    page = browser_page("editor", user=world.editor)
    check_pages(
        page,
        axe_source,
        {
            "moderation queue (editor)": reverse("comments:queue"),
            "post with a held comment (editor)": world.post.get_absolute_url(),
            "write a post": reverse("blog:post_create"),
        },
    )


def test_a_failing_check_says_which_rule_where_and_how_to_fix_it(page, axe_source, world):
    """The failure message of the checks above is readable: rule id, element, help text and link."""
    page.goto(reverse("blog:home"))
    page.evaluate(
        """() => {
          const main = document.querySelector("main");
          main.insertAdjacentHTML(
            "beforeend", '<h1>Second heading</h1><img src="/static/portal/favicon.svg">'
          );
        }"""
    )
    violations = axe_violations(page, axe_source)
    message = format_violations(violations, "home")
    assert "image-alt (critical)" in message
    assert re.search(r"at [^:]*img[^:]*: Fix any of the following", message)
    assert "Images must have alternative text" in message
    assert "dequeuniversity.com/rules/axe/" in message
    assert "expected exactly one <h1>, found 2" in "; ".join(structure_problems(page))


def test_comment_threads_are_nested_lists_a_screen_reader_can_follow(page, world):
    page.goto(world.post.get_absolute_url())
    threads = page.locator("section#comments > ol.comment-list")
    expect(threads).to_have_count(1)
    # Two threads at the top level, each a list item of the one ordered list...
    expect(threads.locator(":scope > li.comment")).to_have_count(2)
    # ...and the reply is an item of a list named after the comment it answers, inside that comment's item.
    replies = page.get_by_role("list", name="Replies to Ben Franklin")
    expect(replies.get_by_role("listitem")).to_have_count(1)
    expect(replies.get_by_role("listitem")).to_contain_text("what did you share first?")
    root = threads.locator(":scope > li.comment").filter(has_text="Sharing early helped me too.")
    expect(root.locator(":scope > ol.comment-replies > li.comment")).to_contain_text(
        "what did you share first?"
    )


SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest(".table-responsive, pre"))
    .slice(0, 3).map((el) => `<${el.tagName.toLowerCase()} class="${el.className}">`);
}"""


def test_no_page_scrolls_sideways_on_a_phone(browser_page, world):
    """At 375 px (WCAG reflow) the page fits the screen: nothing sticks out to the right."""
    follow_tag(world.ada, "reflection")
    pages = {
        **public_pages(world),
        "sign up": reverse("account_signup"),
        "my feed": reverse("blog:my_feed"),
        "edit profile": reverse("accounts:edit_profile"),
    }
    page = browser_page("ada on a phone", user=world.ada, viewport={"width": 375, "height": 812})
    wide = {}
    for name, url in pages.items():
        page.goto(url)
        if page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth"):
            wide[name] = page.evaluate(SIDEWAYS)
    assert not wide, f"Pages wider than a 375 px phone, with the elements that stick out: {wide}"


def test_dark_theme_pages_have_enough_contrast(browser_page, axe_source, world):
    """With the system's dark preference the site switches theme; axe checks its colors too."""
    page = browser_page("ada, dark", user=world.ada, color_scheme="dark")
    pages = {
        name: url
        for name, url in public_pages(world).items()
        if name in {"home", "post with comments", "search results", "community page", "learning path"}
    }
    page.goto(reverse("blog:home"))
    assert page.evaluate("() => document.documentElement.dataset.bsTheme") == "dark"
    check_pages(page, axe_source, pages)
