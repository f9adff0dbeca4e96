"""Real-browser tests: pytest-playwright driving Debian's Chromium against pytest-django's live server.

Every test here is marked ``browser``, runs in a transactional database (the
live server's thread needs committed data) restored from the serialized test
database, so the rows that migrations create (categories, the Editors group,
the discussion settings) are there for each test.

Chromium is ``/usr/bin/chromium`` (Debian's ``chromium`` package; set
``CHROMIUM_PATH`` to use another build). Where it is missing the tests are
skipped with the command that installs it, except under
``CI_REQUIRE_BROWSER=1`` (``.ci/run``), where any skipped browser test fails.
Playwright never downloads a browser.

Every page opened through the ``page`` or ``browser_page`` fixtures records
console errors, uncaught exceptions and Content-Security-Policy violations;
a test with any fails at teardown with the list.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from testing.browser_world import build_browser_world
from testing.clients import client_for

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
INSTALL_HINT = (
    f"Chromium not found at {CHROMIUM}: the browser tests are skipped. Install it with "
    "`sudo apt-get install chromium` (Debian/Ubuntu; `.ci/run` does it) or point CHROMIUM_PATH "
    "at a Chromium or Chrome binary. Playwright's own browser download is not used."
)
AXE_VERSION = "4.14.1"
NODE_PREFIX = Path(settings.VAR_DIR) / "node"
AXE_PATH = NODE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"

# Added before any page script runs (init scripts are not subject to the page's CSP):
# every CSP violation is kept on window so the test can read it, and logged.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const report = `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || document.location.href}:${event.lineNumber})`;
  window.__cspViolations.push(report);
  console.error(report);
});
"""


def _in_this_package(item):
    return HERE in Path(str(item.path)).resolve().parents


def pytest_itemcollected(item):
    # Marked as each test is collected, before `-m browser` / `-m "not browser"` select
    # (the selection runs in pytest_collection_modifyitems, before the trylast hook below).
    if _in_this_package(item) and not item.get_closest_marker("browser"):
        item.add_marker(pytest.mark.browser)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if _in_this_package(item) and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))
    # These tests run last, after pytest-django's ordering and pytest's grouping by parameter:
    # pytest-playwright parametrizes by browser every test with an argument named "page" (a
    # parametrized page name too), and pytest then groups all tests sharing that session-scoped
    # parameter, which would pull these transactional tests in among the others. Their flush
    # at teardown empties the tables, migration rows included, for every test that follows.
    items.sort(key=_in_this_package)  # stable: the others keep their order


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and os.environ.get("CI_REQUIRE_BROWSER") == "1" and item.get_closest_marker("browser"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI_REQUIRE_BROWSER=1 and a browser test was skipped: {reason}"
    return report


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if any("Chromium not found" in str(report.longrepr) for report in skipped):
        terminalreporter.write_sep("=", "browser tests skipped", yellow=True)
        terminalreporter.write_line(INSTALL_HINT)


MIGRATED_ROWS = {}


@pytest.fixture(scope="session", autouse=True)
def _browser_session(django_db_setup):
    """Set up once, before the first browser test (these run last, see above) and before Playwright.

    Playwright's sync API runs an asyncio loop in the test thread; Django refuses ORM
    calls from a thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set (the
    pytest-playwright documentation's advice for Django). It is set for the browser tests
    only: ``manage.py check --deploy``, run by other tests, rightly objects to it.

    It also keeps the rows that migrations create (categories, the Editors group and its
    permissions, the discussion settings...), serialized by pytest-django when it created
    the test database because these tests are marked ``serialized_rollback``: Django's own
    restore does not happen here, since under Playwright's loop the test thread gets a new
    connection object, without the serialized copy (see ``_migrated_rows``).
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    MIGRATED_ROWS["json"] = getattr(connection, "_test_serialized_contents", None)
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _migrated_rows(transactional_db):
    """Each browser test starts from the database as migrations left it.

    The flush of the transactional test before (this one's predecessor or another
    module's) empties the tables and recreates content types and permissions with new
    ids; they are emptied again, then the serialized rows are loaded with their ids.
    """
    rows = MIGRATED_ROWS.get("json")
    if not rows:
        pytest.fail("The test database was created without a serialized copy of its migrated rows.")
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    connection.creation.deserialize_db_from_string(rows)


# --- Chromium --------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(INSTALL_HINT)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": ["--no-sandbox", "--disable-dev-shm-usage"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": {"width": 1280, "height": 900},
        "locale": "en-US",
        "color_scheme": "light",
        "timezone_id": "UTC",
    }


# --- Pages that report their own problems -------------------------------------------


class PageProblems:
    """Console errors, uncaught exceptions and CSP violations seen by one page."""

    def __init__(self, page, label):
        self.page = page
        self.label = label
        self.errors = []
        page.add_init_script(CSP_LISTENER)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught exception: {error}"))

    def _console(self, message):
        text = message.text
        location = message.location or {}
        if text.startswith("Failed to load resource") and location.get("url") == self.page.url:
            return  # the page itself answered an error status (a 404 page test): not a script problem
        if message.type == "error" or "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.errors.append(f"console {message.type}: {text} ({location.get('url', '')})")

    def report(self):
        return "\n".join(f"  [{self.label}] {error}" for error in dict.fromkeys(self.errors))


@pytest.fixture
def browser_page(new_context, live_server):
    """``browser_page(label, user=None, viewport=None, color_scheme=None, **context_args)``: a page
    in a fresh browser context (1280 x 900, light theme unless told).

    With ``user``, the context carries a session cookie for that member
    (signed in without going through the form: the journeys that test the
    form use it). Each page fails the test at teardown if it logged a
    console error, an uncaught exception or a CSP violation.
    """
    watched = []

    def open_page(label="page", user=None, viewport=None, color_scheme=None, **context_args):
        context = new_context(**context_args)
        if user is not None:
            sign_in_context(context, user, live_server.url)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.problems = PageProblems(page, label)
        watched.append(page.problems)
        if viewport:
            page.set_viewport_size(viewport)
        if color_scheme:
            page.emulate_media(color_scheme=color_scheme)
        return page

    yield open_page
    problems = "\n".join(filter(None, (w.report() for w in watched)))
    assert not problems, f"JavaScript errors or CSP violations:\n{problems}"


@pytest.fixture
def page(browser_page):
    """pytest-playwright's ``page``, watched for console errors and CSP violations."""
    return browser_page("page")


@pytest.fixture
def world():
    """The members, posts, discussion, community and learning path the tests act on
    (``testing/browser_world.py``)."""
    return build_browser_world()


def sign_in_context(context, user, base_url):
    client = client_for(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


# --- axe-core --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def axe_source():
    """The source of axe-core (the npm package, pinned), installed under var/node on first use."""
    if not AXE_PATH.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed once to install axe-core (apt-get install npm).")
        NODE_PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(  # noqa: S603 - a fixed command line
            [
                npm,
                "install",
                "--prefix",
                str(NODE_PREFIX),
                "--no-audit",
                "--no-fund",
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return AXE_PATH.read_text(encoding="utf-8")
