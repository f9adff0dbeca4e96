"""Counting the queries a page runs, for the query-budget tests.

``count_queries`` requests a page and returns what it ran; a test compares two data
sizes with ``assert_same_count`` (a query per row shows as a difference) and holds
the larger one to its budget (``assert large.count <= 8``). Where a budget is a
ceiling around other code, pytest-django's ``django_assert_num_queries`` and
``django_assert_max_num_queries`` fixtures are used instead.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass(eq=False)
class PageQueries:
    """The queries one request ran (``count``, their ``sql``) and its ``response``."""

    sql: list
    response: object

    @property
    def count(self):
        return len(self.sql)

    def __str__(self):
        return "\n".join([f"{self.count} queries:", *self.sql])


def count_queries(client, url, *, cold_cache=False, **params):
    """GET ``url`` with ``params`` as its query string, assert a 200 and return its PageQueries.

    ``cold_cache=True`` clears the cache first: the page's whole budget, sidebars and
    tag weights included (the page cache itself is off in tests).
    """
    if cold_cache:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return PageQueries(sql=[query["sql"] for query in queries.captured_queries], response=response)


def assert_same_count(small, large):
    """The page ran as many queries with more data: the SQL of both in the message if not."""
    assert small.count == large.count, "\n".join(["SMALL:", *small.sql, "LARGE:", *large.sql])
