from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def avatar_upload_to(user, filename):
    return f"avatars/{user.pk or 'new'}/{filename}"


class User(AbstractUser):
    """A member of the portal. Profile data lives on the user itself."""

    display_name = models.CharField(
        _("display name"),
        max_length=80,
        blank=True,
        help_text=_("The name shown beside your posts and comments."),
    )
    bio = models.TextField(
        _("short bio"), max_length=1000, blank=True, help_text=_("A few lines about you, in plain text.")
    )
    website = models.URLField(_("website"), max_length=300, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to=avatar_upload_to, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["username"]

    def __str__(self):
        return self.public_name

    @property
    def public_name(self):
        return self.display_name or self.get_full_name() or self.username

    def get_absolute_url(self):
        return reverse("accounts:profile", kwargs={"username": self.username})
