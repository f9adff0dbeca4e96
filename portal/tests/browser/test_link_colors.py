"""Cancel and back links look like the site's other secondary actions, never Bootstrap's bright blue.

Read from the rendered page (computed colors, light theme): a class in a template
says nothing about what the reader sees once both stylesheets have been applied.
"""

from django.urls import reverse

from accounts import services as account_services
from testing.browser_world import held_comment
from testing.factories import PostFactory, UserFactory

BOOTSTRAP_BLUE = "rgb(13, 110, 253)"  # Bootstrap's link and .btn-link color
SITE_LINK = "rgb(31, 95, 91)"  # --portal-accent, the color of the site's links
SECONDARY = ("rgb(86, 94, 100)", "rgb(108, 117, 125)")  # the site's .btn-outline-secondary: text, border

COLORS_IN_MAIN = """() => [...document.querySelectorAll("main a, main button")]
  .filter((el) => el.getClientRects().length)
  .map((el) => ({text: el.textContent.trim(), color: getComputedStyle(el).color,
                 border: getComputedStyle(el).borderTopColor}))"""


def colors_in_main(page, path):
    response = page.goto(path)
    assert response.status == 200, path
    return page.evaluate(COLORS_IN_MAIN)


def pages_with_cancel_links(world):
    """(who, path, the link that leaves the page without acting)."""
    held = held_comment(world)
    return [
        (world.ada, reverse("comments:flag", kwargs={"comment_id": world.thread_root.pk}), "Cancel"),
        (world.editor, reverse("comments:edit", kwargs={"comment_id": world.reply.pk}), "Cancel"),
        (world.editor, reverse("comments:spam_author", kwargs={"user_id": world.ben.pk}), "Cancel"),
        (world.editor, reverse("comments:return", kwargs={"comment_id": held.pk}), "Back to the queue"),
        (world.ada, reverse("accounts:delete_account"), "Cancel"),
    ]


def test_cancel_links_are_secondary_buttons_not_blue_links(browser_page, world):
    for user, path, text in pages_with_cancel_links(world):
        page = browser_page(path, user=user)
        colors = colors_in_main(page, path)
        leave = [found for found in colors if found["text"] == text]
        assert leave, f"No {text!r} on {path}: {[found['text'] for found in colors]}"
        assert all((found["color"], found["border"]) == SECONDARY for found in leave), (
            path,
            leave,
        )
        assert not [found for found in colors if found["color"] == BOOTSTRAP_BLUE], (path, colors)


def test_the_remove_pages_cancel_link_is_a_secondary_button(browser_page, world):
    """The remove page shows after a moderator's removal without a reason (the form is POST-only)."""
    page = browser_page("editor", user=world.editor)
    page.goto(world.post.get_absolute_url())
    remove = reverse("comments:remove", kwargs={"comment_id": world.thread_root.pk})
    with page.expect_navigation():
        page.evaluate(
            """(action) => { const form = document.querySelector(`form[action="${action}"]`);
                             form.noValidate = true; form.submit(); }""",
            remove,
        )

    colors = page.evaluate(COLORS_IN_MAIN)

    assert [(found["color"], found["border"]) for found in colors if found["text"] == "Cancel"] == [SECONDARY]
    assert not [found for found in colors if found["color"] == BOOTSTRAP_BLUE], colors


def test_link_styled_buttons_take_the_site_link_color(browser_page, world):
    requester = UserFactory(username="rita", display_name="Rita Requester")
    account_services.membership_join(community=world.community, member=requester)
    page = browser_page("requester", user=requester)

    colors = colors_in_main(page, world.community.get_absolute_url())

    withdraw = [found for found in colors if found["text"] == "Withdraw my request"]
    assert withdraw and withdraw[0]["color"] == SITE_LINK, colors
    assert not [found for found in colors if found["color"] == BOOTSTRAP_BLUE], colors


def test_page_links_take_the_site_link_color(browser_page, world, settings):
    PostFactory.create_batch(settings.POSTS_PER_PAGE)  # the home page gets a second page
    page = browser_page("visitor")

    colors = colors_in_main(page, "/")

    older = [found for found in colors if found["text"] == "Older posts"]
    assert older and older[0]["color"] == SITE_LINK, colors
    assert not [found for found in colors if found["color"] == BOOTSTRAP_BLUE], colors
