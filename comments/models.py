from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from blog.models import Post
from blog.search import index_text, plain_text
from core.markup import render_markdown

# Held comments waiting for an editor: pending, not sent back to their author, not
# removed. A Q object so that aggregates (the queue's counts) use the same rule.
IN_MODERATION_QUEUE = Q(status="pending", returned_at__isnull=True, removed_at__isnull=True)


class CommentQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def pending(self):
        return self.filter(status=Comment.Status.PENDING)

    def counted(self):
        """The comments a post's count line counts: approved and not removed."""
        return self.approved().filter(removed_at__isnull=True)

    def shown_to(self, user):
        """Approved comments (removed ones become placeholders), plus the member's own held comments."""
        if user is not None and user.is_authenticated:
            return self.filter(
                Q(status=Comment.Status.APPROVED) | Q(status=Comment.Status.PENDING, author=user)
            )
        return self.approved()

    def on_visible_posts(self, user):
        return self.filter(post__in=Post.objects.visible_to(user))

    def in_moderation_queue(self):
        """Held comments waiting for an editor: pending and not sent back to their author."""
        return self.filter(IN_MODERATION_QUEUE)

    def moderatable_by(self, user):
        """The comments ``user`` may moderate: the one rule behind every moderation check.

        Editors (active staff with ``comments.change_comment``, and superusers)
        moderate every comment; the active owners and moderators of a community
        moderate the comments on its posts; everyone else moderates nothing.
        Permissions are looked up for staff only, so that members' pages never
        load them (``comments.services.may_moderate_all`` is the same test).
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if (user.is_staff or user.is_superuser) and user.has_perm("comments.change_comment"):
            return self.all()
        led = Membership.objects.leaders().filter(member=user).values("community")
        return self.filter(post__in=Post.objects.filter(community__in=led).values("pk"))


def comment_search_text(body_html: str) -> str:
    """What ``Comment.search_body`` holds: the rendered comment's words, folded (bulk inserts use it too)."""
    return index_text(plain_text(body_html))


class HoldReason(models.TextChoices):
    FIRST_COMMENT = "first_comment", _("first comment")
    TOO_MANY_LINKS = "too_many_links", _("too many links")
    MODERATION_WORD = "moderation_word", _("listed word")
    DISALLOWED_WORD = "disallowed_word", _("disallowed word")
    FLAGGED = "flagged", _("flagged by members")
    RETURNED = "returned", _("sent back for revision")


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SPAM = "spam", _("Spam")

    HoldReason = HoldReason

    post = models.ForeignKey(Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        help_text=_("Empty for comments by guests, for example imported from WordPress."),
    )
    author_name = models.CharField(_("author name"), max_length=100)
    author_url = models.URLField(_("author website"), max_length=300, blank=True)
    author_email = models.EmailField(_("author email"), blank=True)
    body = models.TextField(_("comment"), max_length=10_000)
    body_html = models.TextField(editable=False, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_("The language it is written in; blank means the site's default language."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )

    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True, editable=False)
    hold_reason = models.CharField(
        _("held because"), max_length=20, choices=HoldReason.choices, blank=True, editable=False
    )
    hold_detail = models.CharField(
        _("hold detail"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("For example the listed word that held the comment."),
    )

    # Threads: ``thread_root`` is the top-level comment of the thread (empty for
    # top-level comments), so one page of threads is two queries.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
    )
    thread_root = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True, editable=False)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True, editable=False)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    removal_reason = models.CharField(_("removal reason"), max_length=300, blank=True, editable=False)
    returned_at = models.DateTimeField(
        _("sent back at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set while a moderator has sent the comment back to its author for revision."),
    )
    returned_note = models.TextField(_("note to the author"), blank=True, editable=False)
    moderators_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The comment's words folded for the search index (see comments/search.py), filled by save().
    search_body = models.TextField(editable=False, blank=True, default="")
    wp_id = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("The comment's ID in the WordPress export it came from."),
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created", "id"]
        indexes = [
            models.Index(fields=["post", "status", "created"], name="comments_post_status_created"),
            models.Index(fields=["author", "status", "created"], name="comments_author_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "spam"]),
                name="comments_comment_status_valid",
            ),
            models.UniqueConstraint(
                fields=["post", "wp_id"],
                condition=Q(wp_id__isnull=False),
                name="comments_one_import_per_wp_comment",
            ),
        ]

    def __str__(self):
        return _("%(author)s on %(post)s") % {"author": self.author_name, "post": self.post.title}

    def save(self, *args, **kwargs):
        if self.author_id and not self.author_name:
            self.author_name = self.author.public_name
        self.body_html = render_markdown(self.body, comment=True)
        self.search_body = comment_search_text(self.body_html)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_body"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The permalink: it redirects to the page of the thread that holds the comment."""
        return reverse("comments:permalink", kwargs={"comment_id": self.pk})

    @property
    def content_language(self) -> str:
        """The language it is written in: its own, or the site's default (LANGUAGE_CODE) when blank."""
        return self.language or settings.LANGUAGE_CODE

    def get_admin_url(self):
        return reverse("admin:comments_comment_change", args=[self.pk])

    @property
    def is_approved(self):
        return self.status == self.Status.APPROVED

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING

    @property
    def is_removed(self):
        return self.removed_at is not None

    @property
    def is_returned(self):
        return self.returned_at is not None


class CommentFlag(models.Model):
    """A member's report that a comment breaks the rules; enough of them hide it for review."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        ABUSE = "abuse", _("Abusive or harassing")
        OFF_TOPIC = "off_topic", _("Off-topic")
        OTHER = "other", _("Something else")

    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="flags"
    )
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("flagged by"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dismissed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderators_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "flagged_by"], name="comments_flag_once_per_member"),
            models.CheckConstraint(
                condition=Q(reason__in=["spam", "abuse", "off_topic", "other"]),
                name="comments_flag_reason_valid",
            ),
        ]

    def __str__(self):
        return _("%(reason)s flag on comment %(id)s") % {
            "reason": self.get_reason_display(),
            "id": self.comment_id,
        }


class ModerationEvent(models.Model):
    """The audit trail of a comment: every submission, edit, status change, flag and removal."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        HELD = "held", _("held for moderation")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        SPAM = "spam", _("marked as spam")
        PENDING = "pending", _("sent back to the queue")
        FLAGGED = "flagged", _("flagged")
        HIDDEN = "hidden", _("hidden after flags")
        FLAGS_DISMISSED = "flags_dismissed", _("flags dismissed")
        RETURNED = "returned", _("sent back to its author")
        RESUBMITTED = "resubmitted", _("revised and resubmitted")
        EDITED = "edited", _("edited")
        REMOVED = "removed", _("removed")

    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    created = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("moderation event")
        verbose_name_plural = _("moderation events")
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.get_action_display()} ({self.created:%Y-%m-%d %H:%M})"


class ThreadSubscription(models.Model):
    """A member following the discussion of a post: they hear of each new approved comment."""

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="thread_subscriptions",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("thread subscription")
        verbose_name_plural = _("thread subscriptions")
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["post", "member"], name="comments_one_subscription")]

    def __str__(self):
        return f"{self.member} → {self.post}"


class NotificationPreference(models.Model):
    """Which comment emails a member receives. No row means every kind is on."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_notifications"
    )
    comments_on_my_posts = models.BooleanField(_("new comments on my posts"), default=True)
    replies_to_me = models.BooleanField(_("replies to my comments"), default=True)
    my_comment_moderated = models.BooleanField(_("when my comment is approved or sent back"), default=True)
    moderation_digest = models.BooleanField(_("moderation digests (editors)"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.member)


class DiscussionSettings(models.Model):
    """The site's discussion rules, edited by editors in the admin. There is one row."""

    hold_first_comment = models.BooleanField(
        _("hold a member's first comment"),
        default=True,
        help_text=_("Until a member has an approved comment, their comments wait for moderation."),
    )
    max_links = models.PositiveSmallIntegerField(
        _("links before a comment is held"),
        default=2,
        help_text=_("A comment with more links than this is held."),
    )
    moderation_words = models.TextField(
        _("moderation list"),
        blank=True,
        help_text=_(
            "One word, phrase, address or URL per line. A comment containing one is held for moderation."
        ),
    )
    disallowed_words = models.TextField(
        _("disallowed list"),
        blank=True,
        help_text=_("One word, phrase, address or URL per line. A comment containing one goes to spam."),
    )
    close_after_days = models.PositiveIntegerField(
        _("close comments after (days)"),
        default=0,
        help_text=_("Posts older than this take no new comments. 0: never."),
    )
    flags_to_hide = models.PositiveSmallIntegerField(
        _("flags that hide a comment"),
        default=3,
        help_text=_("Distinct members' flags that hide a comment for review."),
    )
    edit_window_minutes = models.PositiveIntegerField(
        _("edit window (minutes)"), default=15, help_text=_("How long members may edit their comment.")
    )
    thread_depth = models.PositiveSmallIntegerField(
        _("thread depth"),
        default=5,
        help_text=_("Replies nest this many levels deep; deeper replies stay at the last level."),
    )
    comments_per_page = models.PositiveIntegerField(
        _("threads per page"), default=50, help_text=_("Top-level comments per page of a discussion.")
    )
    newest_first = models.BooleanField(
        _("show the newest page first"),
        default=False,
        help_text=_("Otherwise the oldest comments come first."),
    )
    rate_per_minute = models.PositiveSmallIntegerField(_("comments per minute per member"), default=5)
    rate_per_day = models.PositiveIntegerField(_("comments per day per member"), default=50)
    min_seconds_to_post = models.PositiveSmallIntegerField(
        _("minimum seconds before posting"),
        default=3,
        help_text=_("Forms sent faster than this after the page was shown are treated as bots."),
    )
    digest_minutes = models.PositiveSmallIntegerField(
        _("moderation digest delay (minutes)"),
        default=10,
        help_text=_("Editors get one email per this many minutes about new held or flagged comments."),
    )

    class Meta:
        verbose_name = _("discussion settings")
        verbose_name_plural = _("discussion settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="comments_discussionsettings_singleton")
        ]

    def __str__(self):
        return str(_("Discussion settings"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row

    @staticmethod
    def _lines(text):
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def moderation_list(self):
        return self._lines(self.moderation_words)

    @property
    def disallowed_list(self):
        return self._lines(self.disallowed_words)
