"""Keyboard-only journeys: Tab, Shift+Tab, Enter and typing, nothing else.

Every element that receives focus on the way must show it: an outline or a
box shadow on the element itself while it matches :focus-visible.
"""

import re

from django.urls import reverse
from playwright.sync_api import expect

from comments.models import Comment
from testing.factories import PASSWORD

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name"),
    label: el.getAttribute("aria-label"),
    text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 60),
    href: el.getAttribute("href"),
    focusVisible: el.matches(":focus-visible"),
    indicator: outline || shadow,
    onScreen: box.width > 0 && box.height > 0,
  };
}"""


def focused(page):
    return page.evaluate(FOCUSED)


def assert_focus_visible(page):
    element = focused(page)
    assert element is not None, "Nothing has the focus"
    described = f"<{element['tag']} id={element['id']!r} name={element['name']!r}> {element['text']!r}"
    assert element["focusVisible"], f"{described} has the focus but does not match :focus-visible"
    assert element["indicator"], f"{described} has the focus but shows no outline or box shadow"
    assert element["onScreen"], f"{described} has the focus but is not on the screen"
    return element


def tab_until(page, matches, *, limit=80, backwards=False):
    """Press Tab until ``matches(focused element)``; every stop on the way must show its focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        element = assert_focus_visible(page)
        seen.append(f"{element['tag']}#{element['id'] or element['name'] or element['text']}")
        if matches(element):
            return element
    raise AssertionError(f"Not reached after {limit} Tab presses; the focus went through: {seen}")


def test_sign_in_with_the_keyboard_only(browser_page, world):
    page = browser_page("keyboard")
    page.goto(reverse("account_login"))

    # The first Tab shows the skip link; Enter moves to the main content.
    page.keyboard.press("Tab")
    skip = assert_focus_visible(page)
    assert (skip["href"], skip["text"]) == ("#main", "Skip to content")
    expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#main$"))
    assert page.evaluate("() => document.activeElement.id") == "main"

    # From the main content the next stop is the form's first field.
    tab_until(page, lambda e: e["name"] == "login", limit=5)
    page.keyboard.type("ben")
    tab_until(page, lambda e: e["name"] == "password", limit=1)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name="Ben Franklin")).to_be_visible()
    # Tab to the member's menu in the header: Enter opens it, and Tab reaches Sign out.
    page.wait_for_load_state()  # Bootstrap's deferred script handles the menu
    tab_until(page, lambda e: e["text"] == "Ben Franklin", limit=15)
    page.keyboard.press("Enter")
    expect(page.get_by_role("navigation").get_by_role("link", name="My feed")).to_be_visible()
    element = tab_until(page, lambda e: e["text"] == "Sign out", limit=12)
    assert element["tag"] == "button"


def test_a_wrong_password_keeps_the_login_and_says_why(browser_page, world):
    page = browser_page("keyboard")
    page.goto(reverse("account_login"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    tab_until(page, lambda e: e["name"] == "login", limit=5)
    page.keyboard.type("ben")
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("alert").or_(page.locator(".alert-danger, .invalid-feedback")).first
    ).to_contain_text(re.compile("not correct", re.I))
    expect(page.locator("input[name=login]")).to_have_value("ben")


def test_reply_to_a_comment_with_the_keyboard_only(browser_page, world):
    page = browser_page("keyboard", user=world.ben)
    page.goto(world.post.get_absolute_url())

    # Tab to the Reply link under the second thread (Olga's), then Enter: the form moves under it
    # and the text area takes the focus.
    reply = tab_until(page, lambda e: e["tag"] == "a" and e["label"] == "Reply to Olga Owner")
    assert reply["text"] == "Reply"
    page.keyboard.press("Enter")
    expect(page.locator("#reply-context")).to_contain_text("Replying to Olga Owner")
    body = assert_focus_visible(page)
    assert body["tag"] == "textarea"
    page.keyboard.type("Answered with the keyboard alone.")

    # Tab to the submit button (past the language, follow box; never into the hidden honeypot) and press
    # Enter.
    submit = tab_until(page, lambda e: e["tag"] == "button" and e["text"] == "Post comment", limit=6)
    assert submit["name"] != "website"
    page.keyboard.press("Enter")

    comment = page.locator("li.comment").filter(has_text="Answered with the keyboard alone.").last
    expect(comment).to_be_visible()
    saved = Comment.objects.get(body="Answered with the keyboard alone.")
    assert saved.parent.author == world.owner
    assert saved.status == Comment.Status.APPROVED
    # It is nested in Olga's thread.
    expect(
        page.locator("li.comment", has_text="A second thread.").locator("ol.comment-replies > li.comment")
    ).to_contain_text("Answered with the keyboard alone.")


def test_cancel_reply_and_comment_on_the_post_with_the_keyboard(browser_page, world):
    page = browser_page("keyboard", user=world.ben)
    page.goto(world.post.get_absolute_url())
    tab_until(page, lambda e: e["tag"] == "a" and e["text"] == "Reply")
    page.keyboard.press("Enter")
    tab_until(page, lambda e: e["text"] == "Cancel reply", backwards=True, limit=6)
    page.keyboard.press("Enter")
    expect(page.locator("#reply-context")).to_be_hidden()
    assert assert_focus_visible(page)["tag"] == "textarea"
    page.keyboard.type("A comment on the post itself.")
    tab_until(page, lambda e: e["tag"] == "button" and e["text"] == "Post comment", limit=6)
    page.keyboard.press("Enter")
    expect(page.get_by_text("A comment on the post itself.")).to_be_visible()
    assert Comment.objects.get(body="A comment on the post itself.").parent is None
