import logging

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.images import ImageUploadValidator, reencode

from .models import User

logger = logging.getLogger(__name__)


def process_avatar(upload):
    """Verify an uploaded avatar and return it re-encoded, downscaled to ``AVATAR_SIZE``.

    Raises ValidationError for anything but a decodable image within the size and
    pixel limits. Re-encoding drops metadata such as EXIF GPS positions.
    """
    ImageUploadValidator(settings.AVATAR_MAX_UPLOAD_BYTES, settings.AVATAR_MAX_PIXELS)(upload)
    try:
        return reencode(upload, max_size=settings.AVATAR_SIZE, max_pixels=settings.AVATAR_MAX_PIXELS)
    except ValidationError:
        raise
    except Exception:
        # A file Pillow decodes but cannot convert (an unusual mode, say).
        logger.exception("Could not re-encode an avatar upload")
        raise ValidationError(
            _("This image could not be processed. Try saving it as a JPEG or PNG first."),
            code="reencode_failed",
        ) from None


class ProfileForm(forms.ModelForm):
    """A member's public profile: name, bio, website and avatar.

    The avatar is never stored as uploaded: it is verified with Pillow, then
    re-encoded and downscaled to ``AVATAR_SIZE`` (which also drops EXIF data
    such as GPS positions).
    """

    website = forms.URLField(
        label=_("Website"),
        required=False,
        max_length=300,
        assume_scheme="https",
        validators=[
            URLValidator(
                schemes=["http", "https"],
                message=_("Enter a web address starting with http:// or https://."),
            )
        ],
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "url"}),
        help_text=_("Shown on your profile page."),
    )
    # A plain FileField: process_avatar does the image checks,
    # with clearer messages than forms.ImageField (too large, too many pixels).
    avatar = forms.FileField(
        label=_("Avatar"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my avatar"), required=False)

    class Meta:
        model = User
        fields = ["display_name", "bio", "website", "avatar"]
        widgets = {
            "display_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "bio": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.previous_avatar_name = self.instance.avatar.name or ""
        # Limits are read here, not at import time, so they follow the settings in use.
        max_mb = settings.AVATAR_MAX_UPLOAD_BYTES // (1024 * 1024)
        self.fields["avatar"].help_text = _(
            "A JPEG, PNG, WebP or GIF image of at most %(max_mb)s MB. "
            "It is resized to %(size)s×%(size)s pixels at most."
        ) % {"max_mb": max_mb, "size": settings.AVATAR_SIZE}
        if not self.instance.avatar:
            del self.fields["remove_avatar"]

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if not isinstance(avatar, UploadedFile):
            return avatar  # No new upload: keep the current avatar (or none).
        return process_avatar(avatar)

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("remove_avatar") and isinstance(self.files.get("avatar"), UploadedFile):
            self.add_error(
                "remove_avatar",
                _("Either upload a new avatar or remove the current one, not both."),
            )
        return cleaned_data

    def save(self, commit=True):
        previous_name = self.previous_avatar_name
        user = super().save(commit=False)
        if self.cleaned_data.get("remove_avatar"):
            user.avatar = ""
        if commit:
            user.save()
            if previous_name and previous_name != user.avatar.name:
                # The old file is no longer referenced: delete it once the change is committed.
                storage = user.avatar.storage
                transaction.on_commit(lambda: storage.delete(previous_name))
        return user


class AdminUserChangeForm(UserChangeForm):
    """The admin's user form: avatars uploaded by staff are processed like members' own."""

    class Meta(UserChangeForm.Meta):
        model = User

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if not isinstance(avatar, UploadedFile):
            return avatar
        return process_avatar(avatar)
