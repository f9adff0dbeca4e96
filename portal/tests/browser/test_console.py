"""The watch on every browser test's pages catches what it should: CSP violations,
uncaught exceptions and console errors (and the pages themselves raise none)."""

from django.urls import reverse
from playwright.sync_api import expect


def test_an_inline_script_is_blocked_by_the_csp_and_reported(browser_page, world):
    page = browser_page("visitor")
    response = page.goto(reverse("blog:home"))
    assert "script-src 'self'" in response.headers.get("content-security-policy", "")

    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inlineRan = true;";
          document.body.append(script);
        }"""
    )
    expect(page.locator("body")).to_be_attached()
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("() => window.__inlineRan") is None
    assert any("CSP violation: script-src" in error for error in page.problems.errors), page.problems.errors
    page.problems.errors.clear()  # seen and expected: this test's page must not fail at teardown


def test_uncaught_exceptions_and_console_errors_are_reported(browser_page, world):
    page = browser_page("visitor")
    page.goto(reverse("blog:home"))
    page.evaluate(
        "() => { console.error('something broke'); setTimeout(() => { throw new Error('boom'); }); }"
    )
    page.wait_for_timeout(100)
    assert any("console error: something broke" in error for error in page.problems.errors)
    assert any("uncaught exception: boom" in error for error in page.problems.errors)
    page.problems.errors.clear()


def test_scripted_pages_run_without_errors(browser_page, world):
    """The post page's comment script, the navbar's dropdowns and the theme and time scripts run cleanly."""
    page = browser_page("ben", user=world.ben)
    page.goto(world.post.get_absolute_url())
    page.get_by_role("link", name="Reply to Ben Franklin").click()
    expect(page.locator("#reply-context")).to_be_visible()
    page.get_by_role("link", name="Cancel reply").click()
    expect(page.locator("#reply-context")).to_be_hidden()
    page.get_by_role("button", name="Ben Franklin").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="My feed")).to_be_visible()
    assert page.problems.errors == []
