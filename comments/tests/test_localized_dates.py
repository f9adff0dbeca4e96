"""The insights page and the moderation queue write their dates in the reader's language.

Both used fixed formats ("j M Y", "M j, g:i a"): English order and a 12-hour
clock in Spanish too. They use the locale's formats now (DATE_FORMAT,
DATETIME_FORMAT, and a translated short format for the chart's labels).
"""

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from comments.models import CommentFlag
from comments.services import comment_flag
from portal import insights
from testing.clients import client_for
from testing.factories import CommentFactory, CommunityFactory, EditorFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db

SPANISH_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
SPANISH_SHORT = ["Ene", "Feb", "Mar", "Abr", "May", "Jun", "Jul", "Ago", "Sep", "Oct", "Nov", "Dic"]
ENGLISH_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def page(user, url, language):
    return client_for(user, language=language).get(url).content.decode()


def test_the_insights_page_writes_its_dates_in_spanish_and_in_english():
    owner = UserFactory()
    community = CommunityFactory(owner=owner)
    PostFactory(community=community, author=owner, publish_at=timezone.now() - timedelta(days=3))
    weeks, _start, _end = insights.period()
    url = reverse("communities:insights", kwargs={"slug": community.slug})

    spanish = page(owner, url, "es")
    table = spanish[spanish.index('id="insights-weekly-table"') :]
    for week in (weeks[0], weeks[-1]):
        expected = f"{week.day} de {SPANISH_MONTHS[week.month - 1]} de {week.year}"
        assert f'<time datetime="{week:%Y-%m-%d}">{expected}</time>' in table
    first = weeks[0]
    assert f"del {first.day} de {SPANISH_MONTHS[first.month - 1]} de {first.year} al " in spanish
    # The chart's labels: day first, the month's Spanish abbreviation.
    labels = re.findall(r'<text x="[\d.]+" y="[\d.]+" text-anchor="middle"[^>]*>([^<]+)</text>', spanish)
    assert labels[-1] == f"{weeks[-1].day} {SPANISH_SHORT[weeks[-1].month - 1]}"
    assert f"Semana del {weeks[-1].day} de {SPANISH_MONTHS[weeks[-1].month - 1]} de" in spanish
    weekly = table[: table.index("</table>")]
    assert not any(month in weekly for month in ENGLISH_MONTHS)

    english = page(owner, url, "en")
    table = english[english.index('id="insights-weekly-table"') :]
    last = weeks[-1]
    assert (
        f'<time datetime="{last:%Y-%m-%d}">{ENGLISH_MONTHS[last.month - 1]} {last.day}, {last.year}</time>'
        in table
    )


def test_the_moderation_queue_writes_flag_times_in_spanish():
    editor = EditorFactory()
    comment = CommentFactory(body="Slightly rude.")
    comment_flag(comment=comment, member=UserFactory(), reason="abuse", note="")
    moment = datetime(2026, 3, 14, 15, 5, tzinfo=timezone.get_current_timezone())
    CommentFlag.objects.filter(comment=comment).update(created=moment)
    url = reverse("comments:queue") + "?tab=flagged"

    spanish = page(editor, url, "es")
    assert f'<time datetime="{moment.isoformat()}">14 de marzo de 2026 a las 15:05</time>' in spanish
    assert "Mar 14" not in spanish and "p.m." not in spanish
    english = page(editor, url, "en")
    assert f'<time datetime="{moment.isoformat()}">March 14, 2026 at 3:05 p.m.</time>' in english
