import logging
import re

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.images import ImageUploadValidator, reencode

from .models import Community, Membership, User

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
    # Not public: whether the member gets the weekly email of new posts from what they follow
    # (sent by blog's send_digests). A form posted without it keeps the current choice.
    digest = forms.ChoiceField(
        label=_("Email digest"),
        choices=User.Digest.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "A weekly email with the new posts from the topics, tags, members and communities you follow."
        ),
    )

    # The interface's and the emails' language ("" until chosen; each language named in itself).
    # A form posted without it keeps the current choice; the view sets the cookie when it changes.
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("The language of the interface and of the emails the portal sends you."),
    )

    class Meta:
        model = User
        fields = ["display_name", "bio", "website", "avatar", "digest", "language"]
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

    def clean_digest(self):
        return self.cleaned_data.get("digest") or self.instance.digest

    def clean_language(self):
        return self.cleaned_data.get("language") or self.instance.language

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


class AdminPasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    """The admin's "set password" form, with its help text in the reader's language.

    Django builds that help text once, at import, by adding a lazy message to a
    string: it stays in English whatever the language. It is rebuilt here per form.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "usable_password" in self.fields:
            self.fields["usable_password"].help_text = format_html(
                '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
                auth_forms.SetUnusablePasswordMixin.usable_password_help_text,
                _("If disabled, the current password for this user will be lost."),
            )


class AdminUserChangeForm(UserChangeForm):
    """The admin's user form: avatars uploaded by staff are processed like members' own."""

    class Meta(UserChangeForm.Meta):
        model = User

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if not isinstance(avatar, UploadedFile):
            return avatar
        return process_avatar(avatar)


def process_logo(upload):
    """Verify an uploaded community logo like an avatar; the model re-encodes it on save."""
    ImageUploadValidator(settings.AVATAR_MAX_UPLOAD_BYTES, settings.AVATAR_MAX_PIXELS)(upload)
    try:
        return reencode(upload, max_size=512, max_pixels=settings.AVATAR_MAX_PIXELS)
    except ValidationError:
        raise
    except Exception:
        logger.exception("Could not re-encode a community logo upload")
        raise ValidationError(
            _("This image could not be processed. Try saving it as a JPEG or PNG first."),
            code="reencode_failed",
        ) from None


def parent_choices(actor, community=None):
    """Organizations ``actor`` may put a community under: those they own (staff: all).

    On an edit, the community itself and those below it are left out (no cycles),
    and its current parent stays available so an unchanged form stays valid.
    """
    organizations = Community.objects.filter(kind=Community.Kind.ORGANIZATION)
    if not (actor.is_active and actor.is_staff):
        owned = Membership.objects.active().filter(member=actor, role=Membership.Role.OWNER)
        allowed = organizations.filter(pk__in=owned.values("community"))
        if community is not None and community.parent_id:
            allowed = allowed | organizations.filter(pk=community.parent_id)
        organizations = allowed
    if community is not None and community.pk:
        below, level = {community.pk}, [community.pk]
        while level:  # Communities below this one, level by level.
            children = Community.objects.filter(parent__in=level).exclude(pk__in=below)
            level = list(children.values_list("pk", flat=True))
            below.update(level)
        organizations = organizations.exclude(pk__in=below)
    return organizations.order_by("name")


class JoinPolicySelect(forms.Select):
    """The join policies, each marked with the visibilities that allow it and those it is the default of
    (``Community.JOIN_POLICIES_BY_VISIBILITY``).

    The form's script (``accounts/community-form.js``) disables the policies the chosen visibility
    does not allow; without it, ``Community.clean`` refuses them with a message next to the field.
    """

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        rule = Community.JOIN_POLICIES_BY_VISIBILITY
        option["attrs"]["data-visibilities"] = " ".join(v for v, allowed in rule.items() if value in allowed)
        defaults = " ".join(v for v, allowed in rule.items() if allowed[:1] == (value,))
        if defaults:
            option["attrs"]["data-default-for"] = defaults
        return option


class CommunityForm(forms.ModelForm):
    """Create or edit a community. The logo is verified like an avatar and re-encoded on save.

    Only consistent settings are saved: ``Community.clean`` refuses a join policy that the
    visibility does not allow (a private community cannot be open).
    """

    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Community
        fields = ["name", "description", "logo", "kind", "visibility", "join_policy", "parent"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "join_policy": JoinPolicySelect(attrs={"data-visibility-field": "visibility"}),
        }
        help_texts = {
            "join_policy": _(
                "Open is for public communities only: a private community is seen only by its members "
                "and the people invited to it."
            ),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.previous_logo_name = self.instance.logo.name or ""
        existing = self.instance if self.instance.pk else None
        self.fields["parent"].queryset = parent_choices(actor, existing)
        self.fields["parent"].help_text = _("An organization you own that this community belongs to.")
        self.fields["logo"].help_text = _("A JPEG, PNG, WebP or GIF image of at most %(max_mb)s MB.") % {
            "max_mb": settings.AVATAR_MAX_UPLOAD_BYTES // (1024 * 1024)
        }
        if not self.instance.logo:
            del self.fields["remove_logo"]

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not isinstance(logo, UploadedFile):
            return None  # No new upload: keep the current logo (or none).
        return process_logo(logo)

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("remove_logo") and isinstance(self.files.get("logo"), UploadedFile):
            self.add_error("remove_logo", _("Either upload a new logo or remove the current one, not both."))
        return cleaned_data

    def community_fields(self):
        """The cleaned values as keyword arguments for community_create / community_update."""
        data = self.cleaned_data
        names = ("name", "description", "kind", "visibility", "join_policy", "parent")
        fields = {name: data[name] for name in names}
        if data.get("logo") is not None:
            fields["logo"] = data["logo"]
        elif data.get("remove_logo"):
            fields["logo"] = ""
        return fields


INVITEES_AT_ONCE = 100
# "Ada Lovelace <ada@example.org>", as mail programs and address books copy an address.
_ADDRESS_IN_BRACKETS = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


def split_invitees(text: str) -> list[str]:
    """The usernames and email addresses in ``text``, once each, in order.

    They may be separated by commas, semicolons, spaces or new lines, as pasted
    from a spreadsheet column or an email's recipients. Where an entry holds an
    address, the other words are its owner's name ("Ada Lovelace ada@example.org"),
    not usernames.
    """
    invitees, seen = [], set()
    for chunk in re.split(r"[,;\r\n]+", text):
        words = chunk.split()
        addresses = _ADDRESS_IN_BRACKETS.findall(chunk) or [word for word in words if "@" in word]
        for target in addresses or words:
            if target.casefold() not in seen:
                seen.add(target.casefold())
                invitees.append(target)
    return invitees


class InviteForm(forms.Form):
    invitees = forms.CharField(
        label=_("Usernames or email addresses"),
        max_length=INVITEES_AT_ONCE * 260,
        widget=forms.Textarea(
            attrs={"rows": 3, "autocomplete": "off", "placeholder": _("ada, grace@example.org")}
        ),
        help_text=_(
            "One or many, separated by commas or new lines. A member is invited by username or email; "
            "an unknown email address is invited to sign up."
        ),
    )

    def clean_invitees(self):
        invitees = split_invitees(self.cleaned_data["invitees"])
        if not invitees:
            raise ValidationError(_("Give a username or an email address."), code="required")
        if len(invitees) > INVITEES_AT_ONCE:
            raise ValidationError(
                _("That is %(count)d people: invite at most %(most)d at once."),
                params={"count": len(invitees), "most": INVITEES_AT_ONCE},
                code="too_many",
            )
        return invitees


class CommunityAdminForm(forms.ModelForm):
    """The admin's community form: logos verified like members' uploads (the model refuses reserved slugs)."""

    class Meta:
        model = Community
        fields = [
            "name",
            "slug",
            "description",
            "logo",
            "kind",
            "visibility",
            "join_policy",
            "parent",
            "created_by",
        ]

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not isinstance(logo, UploadedFile):
            return logo
        return process_logo(logo)


class AccountDeleteForm(forms.Form):
    """Deleting an account asks for the password again; a wrong one is a plain error, never echoed back."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(
                _("That is not your password. Your account has not been deleted."), code="wrong"
            )
        return password
