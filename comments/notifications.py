"""Comment emails, sent through django.tasks so that no request waits for a mail server.

The functions here are what the services call (after their transaction
commits); each enqueues a task.
"""

import logging

logger = logging.getLogger(__name__)


def comment_published(comment_id):
    """A comment became visible: its post's author, the replied-to author and followers hear of it."""


def comment_approved(comment_id):
    """A moderator approved a held comment: its author hears of it, then the readers as when published."""
    comment_published(comment_id)


def comment_returned(comment_id):
    """A moderator sent a comment back with a note: its author hears of it."""


def moderation_needed():
    """Something entered the moderation queue: editors get one batched digest."""
