from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language, get_supported_language_variant
from django.utils.translation import gettext_lazy as _
from taggit.forms import TagField

from accounts.models import Community
from accounts.services import can_lead

from .models import Category, Post


def interface_language() -> str:
    """The current interface language, as one of settings.LANGUAGES: the default content language."""
    return get_supported_language_variant(get_language() or settings.LANGUAGE_CODE)


TAG_MAX_LENGTH = 100  # taggit's Tag.name and Tag.slug


class PostForm(forms.ModelForm):
    """A post written on the site by a community leader or an editor."""

    tags = TagField(
        label=_("Tags"), required=False, help_text=_("Separate tags with commas, e.g. reflection, networks.")
    )

    class Meta:
        model = Post
        fields = [
            "title",
            "community",
            "visibility",
            "categories",
            "tags",
            "excerpt",
            "body",
            "language",
            "cover",
            "status",
            "publish_at",
            "comments_open",
        ]
        widgets = {
            "categories": forms.CheckboxSelectMultiple,
            "excerpt": forms.Textarea(attrs={"rows": 2}),
            "body": forms.Textarea(attrs={"rows": 16}),
            "publish_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args, author, **kwargs):
        super().__init__(*args, **kwargs)
        self.author = author
        self.fields["categories"].queryset = Category.objects.all()
        self.fields["publish_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        if not self.instance.pk:
            self.initial.setdefault("publish_at", timezone.localtime().replace(second=0, microsecond=0))
            # A new post is taken to be in the language its author is using the site in.
            if not self.initial.get("language"):  # the new instance's blank default is in initial already
                self.initial["language"] = interface_language()
        self.fields["language"].choices = [("", _("The site's default language")), *settings.LANGUAGES]
        self.may_post_portal_wide = author.has_perm("blog.add_post")
        community = self.fields["community"]
        community.queryset = self.writable_communities()
        # "The whole portal" is the empty choice, for those who may use it (editors); anyone
        # else chooses one of the communities they lead.
        community.required = not self.may_post_portal_wide
        if self.may_post_portal_wide:
            community.empty_label = _("The whole portal")
            community.help_text = _(
                "“The whole portal” for a post of the whole site; a community for a post on its page, "
                "which may be for its members only."
            )
        else:
            community.empty_label = _("Choose a community")
            community.help_text = _("The community the post is for: one of those you lead.")
            community.error_messages["required"] = _("Choose the community this post is for.")

    def writable_communities(self):
        """Communities whose posts the author may write: the ones they lead (editors: all)."""
        if self.may_post_portal_wide:
            return Community.objects.all()
        led = self.author.memberships.leaders().values("community")
        return Community.objects.filter(pk__in=led)

    def clean_tags(self):
        tags = self.cleaned_data["tags"]
        too_long = [tag for tag in tags if len(tag) > TAG_MAX_LENGTH]
        if too_long:
            raise forms.ValidationError(
                _("A tag can be at most %(limit)s characters long."),
                code="tag_too_long",
                params={"limit": TAG_MAX_LENGTH},
            )
        return tags

    def clean_body(self):
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError(_("Write the post before saving it."))
        return body

    def clean(self):
        cleaned = super().clean()
        community = cleaned.get("community")
        if community is not None and not can_lead(community, self.author):
            self.add_error("community", _("You can only post into communities you lead."))
        if community is None and cleaned.get("visibility") == Post.Visibility.MEMBERS:
            self.add_error("visibility", _("Only a community post can be for members only."))
        return cleaned
