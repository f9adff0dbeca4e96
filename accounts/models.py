from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.images import reencode_with_thumbnail
from core.markup import render_markdown

# First segments of the site's own pages under /communities/ (portal/community_urls.py):
# a community with one of these slugs would have its pages caught by them.
RESERVED_COMMUNITY_SLUGS = frozenset({"new", "membership", "invitation"})


def validate_community_slug(slug):
    """Refuse a slug that belongs to the site's own pages, wherever a community is saved through a form."""
    if slug in RESERVED_COMMUNITY_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved for the site's own pages."), params={"slug": slug})


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

    class Digest(models.TextChoices):
        NONE = "none", _("No digest")
        WEEKLY = "weekly", _("Weekly")

    digest = models.CharField(
        _("email digest"),
        max_length=10,
        choices=Digest.choices,
        default=Digest.NONE,
        help_text=_("A weekly email with the new posts from what you follow."),
    )
    digest_sent_at = models.DateTimeField(_("last digest sent"), null=True, blank=True, editable=False)
    # Set by accounts.services.account_delete: the row stays (so that the member's
    # comments and posts keep their place in threads) but holds no personal data.
    deleted_at = models.DateTimeField(_("account deleted"), null=True, blank=True, editable=False)
    # The interface language the member chose ("" until they choose one): their
    # emails are written in it and signing in switches the interface to it.
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the interface and of the emails the portal sends you."),
    )
    # Part of the key of the member's cached pages (portal/middleware.py): bumped,
    # without a signal, by whatever changes what only this member sees.
    page_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta(AbstractUser.Meta):
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["username"]

    def __str__(self):
        return self.public_name

    @property
    def public_name(self):
        if self.deleted_at is not None:
            return gettext("deleted member")
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    def get_absolute_url(self):
        return reverse("accounts:profile", kwargs={"username": self.username})

    @staticmethod
    def bump_page_version(member_id) -> None:
        """Make this member's cached pages unreachable: their ``page_version`` keys them."""
        User.objects.filter(pk=member_id).update(page_version=F("page_version") + 1)


def community_logo_upload_to(community, filename):
    return f"communities/{community.slug or 'new'}/{filename}"


class CommunityQuerySet(models.QuerySet):
    def public(self):
        return self.filter(visibility=Community.Visibility.PUBLIC)

    def visible_to(self, user):
        """Communities ``user`` may see, in lists and on their page: the one rule of who sees a community.

        Public ones, and the private ones that know ``user`` (staff: all): where
        they are a member, are invited (they open its page to accept), or asked
        to join before it became private. Knowing a private community is not
        being inside it: its members, its members-only posts and following it are
        for its active members (``inside_visible_to``; posts: ``Post.objects.visible_to``).
        ``accounts.views.communities.may_see`` is this rule for a membership already loaded.
        """
        if user is not None and user.is_authenticated:
            if user.is_staff:
                return self.all()
            return self.filter(
                Q(visibility=Community.Visibility.PUBLIC)
                | Q(pk__in=Membership.objects.filter(member=user).values("community"))
            )
        return self.public()

    def inside_visible_to(self, user):
        """Communities whose inside ``user`` may see (who is in them, following them): public ones,
        and private ones they are an active member of (staff: all). An invitee is not inside yet.
        """
        if user is not None and user.is_authenticated:
            if user.is_staff:
                return self.all()
            return self.filter(
                Q(visibility=Community.Visibility.PUBLIC)
                | Q(pk__in=Membership.objects.active().filter(member=user).values("community"))
            )
        return self.public()


class Community(models.Model):
    """An organization, a community of practice or a study group that members belong to."""

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", _("Organization")
        PRACTICE = "practice", _("Community of practice")
        STUDY_GROUP = "study_group", _("Study group")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public: anyone can see it")
        PRIVATE = "private", _("Private: only members see it")

    class JoinPolicy(models.TextChoices):
        OPEN = "open", _("Open: anyone can join")
        REQUEST = "request", _("By request: owners approve")
        INVITATION = "invitation", _("By invitation only")

    # The join policies each visibility allows, the first being its default: the one rule
    # (``clean``, the community form, the join service). A private community is seen only by
    # the people it knows, so nobody else can join it at will. A later policy (open to the
    # members of its organization, say) is added where it makes sense.
    JOIN_POLICIES_BY_VISIBILITY = {
        Visibility.PUBLIC: (JoinPolicy.OPEN, JoinPolicy.REQUEST, JoinPolicy.INVITATION),
        Visibility.PRIVATE: (JoinPolicy.INVITATION, JoinPolicy.REQUEST),
    }

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, validators=[validate_community_slug])
    description = models.TextField(_("description"), blank=True, help_text=_("In Markdown."))
    description_html = models.TextField(editable=False, blank=True)
    logo = models.ImageField(_("logo"), upload_to=community_logo_upload_to, blank=True)
    logo_thumbnail = models.ImageField(upload_to="communities/thumbnails/", blank=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PRACTICE)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    join_policy = models.CharField(
        _("who can join"), max_length=12, choices=JoinPolicy.choices, default=JoinPolicy.OPEN
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of organization"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        limit_choices_to={"kind": "organization"},
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["organization", "practice", "study_group"]),
                name="accounts_community_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=["public", "private"]), name="accounts_community_visibility_valid"
            ),
            models.CheckConstraint(
                condition=Q(join_policy__in=["open", "request", "invitation"]),
                name="accounts_community_policy_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        reencode_with_thumbnail(
            self, "logo", "logo_thumbnail", size=512, thumbnail_size=96, max_pixels=settings.AVATAR_MAX_PIXELS
        )
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("communities:detail", kwargs={"slug": self.slug})

    @property
    def is_private(self):
        return self.visibility == self.Visibility.PRIVATE

    @classmethod
    def join_policies_for(cls, visibility) -> tuple:
        """The join policies a community of ``visibility`` may have (``JOIN_POLICIES_BY_VISIBILITY``)."""
        return cls.JOIN_POLICIES_BY_VISIBILITY.get(visibility, ())

    def clean(self):
        super().clean()
        allowed = self.join_policies_for(self.visibility)
        if allowed and self.join_policy not in allowed:
            raise ValidationError(
                {
                    "join_policy": ValidationError(
                        _(
                            "A private community cannot be open: only its members see it, so no one "
                            "else can find it to join. Choose how people join, or make it public."
                        )
                        if self.is_private
                        else _("Choose how people join this community."),
                        code="policy_for_visibility",
                    )
                }
            )


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Membership.Status.ACTIVE)

    def requested(self):
        return self.filter(status=Membership.Status.REQUESTED)

    def invited(self):
        return self.filter(status=Membership.Status.INVITED)

    def leaders(self):
        """Active owners and moderators."""
        return self.active().filter(role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR])


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MODERATOR = "moderator", _("Moderator")
        MEMBER = "member", _("Member")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REQUESTED = "requested", _("Requested to join")
        INVITED = "invited", _("Invited")

    member = models.ForeignKey(
        User, verbose_name=_("member"), on_delete=models.CASCADE, related_name="memberships"
    )
    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    joined = models.DateTimeField(_("joined"), null=True, blank=True)
    invited_by = models.ForeignKey(
        User, verbose_name=_("invited by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        User,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["community", "-role", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "community"], name="accounts_one_membership_per_community"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["owner", "moderator", "member"]), name="accounts_membership_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "requested", "invited"]),
                name="accounts_membership_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["community", "status", "role"], name="accounts_membership_lookup")]

    def __str__(self):
        return gettext("%(member)s in %(community)s (%(role)s, %(status)s)") % {
            "member": self.member,
            "community": self.community,
            "role": self.get_role_display(),
            "status": self.get_status_display(),
        }

    def get_absolute_url(self):
        return self.community.get_absolute_url()

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    @property
    def is_leader(self):
        return self.is_active and self.role in (self.Role.OWNER, self.Role.MODERATOR)

    @property
    def is_owner(self):
        return self.is_active and self.role == self.Role.OWNER


class Invitation(models.Model):
    """An invitation sent to an email address that has no account yet; it joins on sign-up."""

    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, verbose_name=_("invited by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User,
        verbose_name=_("accepted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "email"],
                condition=Q(accepted_at__isnull=True),
                name="accounts_one_open_invitation_per_email",
            )
        ]

    def __str__(self):
        return f"{self.email} → {self.community}"

    def get_absolute_url(self):
        return reverse("communities:invitation", kwargs={"token": self.token})


class MembershipEvent(models.Model):
    """The audit trail of memberships: who changed whose membership or role in which community, and when.

    Written by every function of ``accounts.services`` that changes a
    membership; nobody edits it. The community's name is copied so that the
    record stays readable if the community is deleted.
    """

    class Action(models.TextChoices):
        CREATED = "created", _("created the community")
        JOINED = "joined", _("joined")
        REQUESTED = "requested", _("asked to join")
        APPROVED = "approved", _("approved a request to join")
        DECLINED = "declined", _("declined a request to join")
        INVITED = "invited", _("invited")
        INVITED_EMAIL = "invited_email", _("invited an email address")
        INVITATION_WITHDRAWN = "invitation_withdrawn", _("withdrew the invitation of an email address")
        ACCEPTED = "accepted", _("accepted an invitation")
        INVITATION_DECLINED = "invitation_declined", _("declined an invitation")
        ROLE_CHANGED = "role_changed", _("changed the role")
        LEFT = "left", _("left")
        REMOVED = "removed", _("removed from the community")
        ACCOUNT_DELETED = "account_deleted", _("deleted their account")

    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="membership_events",
    )
    community_name = models.CharField(_("community name"), max_length=120, blank=True)
    actor = models.ForeignKey(
        User, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        User, verbose_name=_("member"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    old_role = models.CharField(_("old role"), max_length=10, blank=True)
    new_role = models.CharField(_("new role"), max_length=10, blank=True)
    old_status = models.CharField(_("old status"), max_length=10, blank=True)
    new_status = models.CharField(_("new status"), max_length=10, blank=True)
    created = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("membership event")
        verbose_name_plural = _("membership events")
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.get_action_display()}: {self.community_name} ({self.created:%Y-%m-%d %H:%M})"

    @property
    def role_change(self):
        labels = dict(Membership.Role.choices)
        if self.old_role == self.new_role:
            return ""
        old = labels.get(self.old_role, self.old_role) or "—"
        new = labels.get(self.new_role, self.new_role) or "—"
        return f"{old} → {new}"
