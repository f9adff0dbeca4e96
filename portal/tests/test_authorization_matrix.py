"""The role × view matrix over EVERY URL of the project (issue 8, "Authorization").

``test_every_url_is_in_the_matrix`` walks ``get_resolver().url_patterns``
(namespaces and includes too) and fails when a URL exists that the table
(``testing/authz_matrix.py``) does not mention — a new view cannot escape the
matrix — or when the table names a URL that no longer exists. Admin URLs are
generated from ``ADMIN_MODELS`` (which must list every registered model) and
allauth's are listed one by one.

``test_matrix[<url>]`` requests the URL as each role of
``testing/authz_world.py`` (anonymous, a member of no community, the
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

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter

from testing.authz_matrix import ADMIN_MODELS, CSRF_EXEMPT, REFUSALS, SPECS
from testing.authz_world import CSRF_TOKEN, world_rolled_back

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
        client = world.client(role)
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
    response, changed = perform(world, world.client(forger, csrf=False), "POST", path, data)
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
            client = world.client(role)
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
    member = world.client("member", csrf=False)
    page = member.get(reverse("accounts:edit_profile"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    data = {"display_name": "Real token", "bio": "", "website": "", "digest": "none"}

    response, changed = perform(
        world, member, "POST", reverse("accounts:edit_profile"), {**data, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and changed == ["accounts.User"]

    stranger = world.client("author", csrf=False)
    stranger.get(reverse("accounts:edit_profile"))  # their own CSRF cookie
    response, changed = perform(
        world, stranger, "POST", reverse("accounts:edit_profile"), {**data, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 403 and changed == []
