"""Forms sent with mistakes, in the browser: the error is shown beside the field, announced
through aria-invalid and aria-describedby, what the member typed is kept, and axe finds
nothing serious on the page with the errors. A comment refused, invalid or published lands
the page, and the focus, on its message.
"""

import re
import time

from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import User
from testing.a11y import assert_accessible
from testing.browser_world import browser_friendly_discussion
from testing.factories import PostFactory

# Every visible form field has a label; every field marked invalid names its visible error.
FIELD_REPORT = """() => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== "hidden";
  const fields = [...document.querySelectorAll("main input, main select, main textarea")]
    .filter((el) => el.type !== "hidden" && visible(el) && !el.closest("[aria-hidden=true]"));
  const nameOf = (el) => {
    if (el.getAttribute("aria-label")) return el.getAttribute("aria-label");
    const by = el.getAttribute("aria-labelledby");
    if (by) return by.split(/\\s+/).map((id) => document.getElementById(id)?.textContent || "").join(" ");
    return [...el.labels].map((l) => l.textContent).join(" ");
  };
  return fields.map((el) => {
    const described = (el.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean)
      .map((id) => document.getElementById(id)).filter(Boolean);
    return {
      field: el.name || el.id,
      label: nameOf(el).replace(/\\s+/g, " ").trim(),
      invalid: el.getAttribute("aria-invalid") === "true" || el.classList.contains("is-invalid"),
      ariaInvalid: el.getAttribute("aria-invalid") === "true",
      errors: described
        .filter((d) => d.classList.contains("invalid-feedback") || d.matches("[id$=_error], [id^=error_]"))
        .filter(visible).map((d) => d.textContent.replace(/\\s+/g, " ").trim()),
    };
  });
}"""


def field_report(page):
    return {entry["field"]: entry for entry in page.evaluate(FIELD_REPORT)}


def assert_fields_labelled_and_errors_linked(page, expected_errors):
    """Every field has a label; exactly the fields in ``expected_errors`` are invalid, each
    announcing its error (a text containing the expected words) through aria-describedby."""
    report = field_report(page)
    unlabelled = [name for name, entry in report.items() if not entry["label"]]
    assert not unlabelled, f"Fields without a label: {unlabelled}"
    invalid = {name for name, entry in report.items() if entry["invalid"]}
    assert invalid == set(expected_errors), f"invalid fields {invalid}, expected {set(expected_errors)}"
    for name, words in expected_errors.items():
        entry = report[name]
        assert entry["ariaInvalid"], f"{name} is shown as invalid but has no aria-invalid=true"
        assert any(words.lower() in error.lower() for error in entry["errors"]), (
            f"{name}: no visible error containing {words!r} is linked by aria-describedby "
            f"(linked: {entry['errors']})"
        )


def test_sign_up_errors_are_linked_to_their_fields_and_keep_what_was_typed(browser_page, axe_source, world):
    page = browser_page("visitor")
    page.goto(reverse("account_signup"))
    page.locator("#id_email").fill("grace@example")
    page.locator("#id_username").fill("grace")
    page.locator("#id_password1").fill("short")
    page.locator("#id_password2").fill("short")
    page.get_by_role("button", name="Sign Up").click()

    expect(page.locator(".invalid-feedback").first).to_be_visible()
    assert_fields_labelled_and_errors_linked(page, {"email": "valid email address", "password1": "too short"})
    expect(page.locator("#id_email")).to_have_value("grace@example")
    expect(page.locator("#id_username")).to_have_value("grace")
    assert_accessible(page, axe_source, "sign up with errors")
    assert not User.objects.filter(username="grace").exists()


def test_an_empty_comment_is_an_error_on_the_field(browser_page, axe_source, world):
    page = browser_page("ben", user=world.ben)
    page.goto(world.post.get_absolute_url())
    page.get_by_role("button", name="Post comment").click()
    body = page.get_by_label(re.compile(r"^\s*Your comment"))
    expect(body).to_have_attribute("aria-invalid", "true")
    assert_fields_labelled_and_errors_linked(page, {"body": "Write something"})
    assert_accessible(page, axe_source, "post page with a comment error")


def test_a_comment_that_is_too_long_comes_back_with_its_text(browser_page, world):
    page = browser_page("ben", user=world.ben)
    page.goto(world.post.get_absolute_url())
    long_text = "Words, words, words. " * 800
    page.get_by_label(re.compile(r"^\s*Your comment")).fill(long_text)
    page.get_by_role("button", name="Post comment").click()
    body = page.get_by_label(re.compile(r"^\s*Your comment"))
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_have_value(re.compile("^(Words, words, words. ){700}"))
    report = field_report(page)
    assert report["body"]["errors"], report["body"]


def test_edit_profile_errors_are_linked_and_keep_the_input(browser_page, axe_source, world):
    page = browser_page("ada", user=world.ada)
    page.goto(reverse("accounts:edit_profile"))
    website = page.locator("input[name=website]")
    # A URL to the browser (type=url lets it through), not a web address to the server.
    website.fill("mailto:ada@example.org")
    page.locator("main form button[type=submit]").first.click()
    expect(website).to_have_attribute("aria-invalid", "true")
    expect(website).to_have_value("mailto:ada@example.org")
    assert_fields_labelled_and_errors_linked(page, {"website": "valid URL"})
    assert_accessible(page, axe_source, "edit profile with errors")


# --- Where the page lands after a comment is sent -------------------------------------


def long_post(world):
    """A post whose comment form is far below the top (about 3,000 px at 1280 px)."""
    body = "\n\n".join(
        f"Paragraph {n}: what we learned, and how we learned it, step by step." for n in range(60)
    )
    return PostFactory(title="A long read", body=body, author=world.editor)


def assert_scrolled_to(page, locator):
    """``locator`` is in the viewport, the page scrolled down to it (Bootstrap scrolls smoothly: waits).

    Polled from here: ``wait_for_function`` evaluates a string with eval, which the site's CSP refuses.
    """
    deadline = time.monotonic() + 10
    while page.evaluate("() => window.scrollY") <= 0:
        assert time.monotonic() < deadline, "the page did not scroll down"
        page.wait_for_timeout(50)
    expect(locator).to_be_in_viewport()


def test_a_comment_sent_too_fast_lands_on_the_form_with_the_focus_on_its_error(browser_page, world):
    browser_friendly_discussion(min_seconds_to_post=60)
    post = long_post(world)
    page = browser_page("ben", user=world.ben)
    page.goto(post.get_absolute_url())
    page.get_by_label(re.compile(r"^\s*Your comment")).fill("Typed faster than anyone can.")
    page.get_by_role("button", name="Post comment").click()

    expect(page).to_have_url(re.compile(r"/comments/post/\d+/#respond$"))
    errors = page.locator("#comment-form-errors")
    expect(errors).to_contain_text("faster than anyone can write")
    expect(errors).to_be_focused()
    assert_scrolled_to(page, errors)  # not 3,000 px below
    expect(page.get_by_label(re.compile(r"^\s*Your comment"))).to_have_value("Typed faster than anyone can.")

    # The language switcher leads back to the post's page (a GET), never to the form's address (405).
    page.locator("footer").get_by_role("button", name="Español").click()
    expect(page).to_have_url(re.compile(re.escape(post.get_absolute_url()) + "#respond$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#comment-form")).to_be_visible()


def test_an_empty_comment_lands_on_the_form_with_the_focus_on_the_field(browser_page, world):
    post = long_post(world)
    page = browser_page("ben", user=world.ben)
    page.goto(post.get_absolute_url())
    page.get_by_role("button", name="Post comment").click()

    body = page.get_by_label(re.compile(r"^\s*Your comment"))
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_be_focused()
    assert_scrolled_to(page, body)


def test_a_published_comment_lands_with_its_thanks_beside_it_focused(browser_page, world):
    post = long_post(world)
    page = browser_page("ben", user=world.ben)
    page.goto(post.get_absolute_url())
    page.get_by_label(re.compile(r"^\s*Your comment")).fill("Step by step is how I learn too.")
    page.get_by_role("button", name="Post comment").click()

    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    comment = page.locator("li.comment", has_text="Step by step is how I learn too.")
    notice = comment.locator(":scope > .comment-notice")
    expect(notice).to_have_text("Thanks, your comment is published.")
    expect(notice).to_have_attribute("role", "status")
    expect(notice).to_be_focused()
    assert_scrolled_to(page, notice)
    expect(page.locator("main > .messages")).not_to_contain_text("Thanks")


# --- Choices the member must make, and settings that cannot contradict each other -------------


def test_a_flag_sent_without_a_reason_asks_for_one_beside_the_choices(browser_page, axe_source, world):
    page = browser_page("ada", user=world.ada)
    page.goto(reverse("comments:flag", kwargs={"comment_id": world.thread_root.pk}))
    reasons = page.get_by_role("group", name="What is wrong with this comment?")
    expect(reasons.get_by_role("radio")).to_have_count(4)
    expect(reasons.get_by_role("radio", checked=True)).to_have_count(0)  # nothing chosen for her
    page.get_by_label("Anything an editor should know? (optional)").fill("It repeats an advert.")
    page.get_by_role("button", name="Flag this comment").click()

    error = page.get_by_text("Choose what is wrong with this comment.")
    expect(error).to_be_visible()
    described_by = reasons.get_attribute("aria-describedby")
    expect(page.locator(f"#{described_by}")).to_contain_text("Choose what is wrong with this comment.")
    expect(page.get_by_label("Anything an editor should know? (optional)")).to_have_value(
        "It repeats an advert."
    )
    assert_accessible(page, axe_source, "flag form with an error")

    reasons.get_by_role("radio", name="Spam").check()
    page.get_by_role("button", name="Flag this comment").click()
    expect(page.get_by_text("Thanks — an editor will look at it.")).to_be_visible()


def test_a_private_community_is_not_offered_as_open(browser_page, world):
    page = browser_page("ada", user=world.ada)
    page.goto(reverse("communities:create"))
    policy = page.get_by_label(re.compile(r"^\s*Who can join"))
    expect(policy).to_have_value("open")

    page.get_by_label(re.compile(r"^\s*Visibility")).select_option("private")

    expect(policy.locator("option[value=open]")).to_be_disabled()
    expect(policy).to_have_value("invitation")  # the private community's default
    page.get_by_label(re.compile(r"^\s*Name")).fill("Night shift handovers")
    page.get_by_role("button", name="Create the community").click()
    created = "Night shift handovers is created. Only its members see it; people join when you invite them."
    expect(page.get_by_text(created)).to_be_visible()
    expect(page.locator(".community")).to_contain_text("By invitation only")
    expect(page.locator(".community")).not_to_contain_text("Open: anyone can join")

    # Made public again on its edit page, it may be open.
    page.goto(reverse("communities:edit", kwargs={"slug": "night-shift-handovers"}))
    page.get_by_label(re.compile(r"^\s*Visibility")).select_option("public")
    expect(policy.locator("option[value=open]")).to_be_enabled()
