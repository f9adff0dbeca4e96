"""Posting comments the way the form does: its signed "shown at" stamp, its data, the POST."""

import time

from django.core import signing
from django.urls import reverse

from comments.forms import FORM_STARTED_SALT


def started(seconds_ago=60):
    """The signed 'form shown at' stamp of a comment form shown ``seconds_ago`` seconds ago."""
    return signing.dumps(time.time() - seconds_ago, salt=FORM_STARTED_SALT)


def comment_data(body, **extra):
    """POST data of the comment form as a person would send it."""
    return {"body": body, "started": started(), "website": "", "follow": "on", **extra}


def post_comment(client, post, body, follow_redirects=True, **extra):
    """Post ``body`` on ``post`` through the comment form, as ``client``; the response."""
    return client.post(
        reverse("comments:post", kwargs={"post_id": post.pk}),
        comment_data(body, **extra),
        follow=follow_redirects,
    )
