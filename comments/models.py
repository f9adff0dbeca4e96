from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from blog.models import Post
from portal.markup import render_markdown


class CommentQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def pending(self):
        return self.filter(status=Comment.Status.PENDING)

    def shown_to(self, user):
        """Approved comments, plus the member's own comments still awaiting moderation."""
        if user is not None and user.is_authenticated:
            return self.filter(
                Q(status=Comment.Status.APPROVED) | Q(status=Comment.Status.PENDING, author=user)
            )
        return self.approved()

    def on_visible_posts(self, user):
        return self.filter(post__in=Post.objects.visible_to(user))


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SPAM = "spam", _("Spam")

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

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["post", "status", "created"], name="comments_post_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "spam"]),
                name="comments_comment_status_valid",
            )
        ]

    def __str__(self):
        return _("%(author)s on %(post)s") % {"author": self.author_name, "post": self.post.title}

    def save(self, *args, **kwargs):
        if self.author_id and not self.author_name:
            self.author_name = self.author.public_name
        self.body_html = render_markdown(self.body, comment=True)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.post.get_absolute_url()}#comment-{self.pk}"

    def get_admin_url(self):
        return reverse("admin:comments_comment_change", args=[self.pk])

    @property
    def is_approved(self):
        return self.status == self.Status.APPROVED

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING
