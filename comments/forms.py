from datetime import timedelta

from django import forms
from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from blog.forms import interface_language

from . import rules
from .models import Comment, CommentFlag

MAX_COMMENT_LENGTH = 10_000
FORM_STARTED_SALT = "comments.form-started"


def fresh_started_stamp(request=None) -> str:
    """The comment form's signed "shown at" stamp, for now."""
    return signing.dumps(timezone.now().timestamp(), salt=FORM_STARTED_SALT)


class CommentBodyField(forms.CharField):
    """Comment text: control characters and invisible formatting characters are stripped first."""

    def to_python(self, value):
        return super().to_python(rules.clean_body(value) if isinstance(value, str) else value)


class CommentTextMixin:
    def clean_body(self):
        body = self.cleaned_data["body"]
        if len(body) > MAX_COMMENT_LENGTH:
            raise forms.ValidationError(
                _("Comments can be at most %(limit)s characters long; yours has %(length)s."),
                code="max_length",
                params={
                    "limit": number_format(MAX_COMMENT_LENGTH, force_grouping=True),
                    "length": number_format(len(body), force_grouping=True),
                },
            )
        return body


def body_field():
    return CommentBodyField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown works: *emphasis*, [links](https://example.org), `code`, lists and > quotes."),
        error_messages={"required": _("Write something before posting your comment.")},
    )


class CommentForm(CommentTextMixin, forms.Form):
    """A new comment or reply, with the spam defenses that need no JavaScript.

    ``website`` is a honeypot: hidden from people, filled by many bots.
    ``started`` is a signed timestamp of when the form was shown; a form sent
    back faster than ``min_seconds_to_post`` was not written by a person.
    The per-member rate limits come from the discussion settings.
    """

    body = body_field()
    language = forms.ChoiceField(
        label=_("Language of your comment"),
        choices=settings.LANGUAGES,
        required=False,
        help_text=_("Screen readers read it in this language."),
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    follow = forms.BooleanField(
        label=_("Email me when someone replies in this discussion"), required=False, initial=True
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, author=None, discussion=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.author = author
        self.discussion = discussion
        if not self.is_bound:
            self.initial["started"] = fresh_started_stamp()
            self.initial.setdefault("language", interface_language())

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise forms.ValidationError(
                _("This form looked automated. Leave the last field empty and send it again."),
                code="honeypot",
            )
        return ""

    def clean(self):
        cleaned = super().clean()
        if self.discussion is not None:
            self._check_timing(cleaned.get("started"))
            if self.author is not None:
                self._check_rate(self.author)
        return cleaned

    def _check_timing(self, started):
        try:
            shown_at = signing.loads(started or "", salt=FORM_STARTED_SALT, max_age=timedelta(days=2))
        except signing.BadSignature:
            raise forms.ValidationError(
                _("The form had expired. Your text is still here: send it again."), code="expired"
            ) from None
        if timezone.now().timestamp() - shown_at < self.discussion.min_seconds_to_post:
            raise forms.ValidationError(
                _("That was faster than anyone can write. Take a moment and send it again."), code="too_fast"
            )

    def _check_rate(self, author):
        now = timezone.now()
        recent = Comment.objects.filter(author=author, created__gte=now - timedelta(days=1))
        today = recent.count()
        last_minute = recent.filter(created__gte=now - timedelta(minutes=1)).count()
        if last_minute >= self.discussion.rate_per_minute:
            raise forms.ValidationError(
                ngettext(
                    "You can post %(count)d comment a minute. Your text is kept: send it again in a minute.",
                    "You can post %(count)d comments a minute. Your text is kept: send it again in a minute.",
                    self.discussion.rate_per_minute,
                ),
                code="rate_minute",
                params={"count": self.discussion.rate_per_minute},
            )
        if today >= self.discussion.rate_per_day:
            raise forms.ValidationError(
                _(
                    "You have reached today's limit of %(count)d comments. Your text is kept: send it "
                    "tomorrow."
                ),
                code="rate_day",
                params={"count": self.discussion.rate_per_day},
            )

    def refreshed_started(self):
        """A fresh timestamp for the form shown again after an error."""
        return fresh_started_stamp()


class CommentEditForm(CommentTextMixin, forms.Form):
    body = body_field()


class FlagForm(forms.Form):
    # Radio buttons with none checked: the member chooses the reason (a select would send its first).
    reason = forms.ChoiceField(
        label=_("What is wrong with this comment?"),
        choices=CommentFlag.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what is wrong with this comment.")},
    )
    note = forms.CharField(
        label=_("Anything an editor should know? (optional)"), required=False, max_length=500
    )


class RemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown in place of the comment)"), required=False, max_length=300
    )
