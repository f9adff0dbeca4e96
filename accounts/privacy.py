"""A member's personal data: what "Download my data" exports and what deleting the account erases.

Each app that keeps data about a member declares it in its own ``privacy``
module, the way WordPress plugins register personal-data exporters and
erasers: ``@exporter`` functions return sections of the export (a dict of
name → JSON-serializable data, in a fixed number of queries whatever the
member has written), ``@eraser`` functions remove or anonymize the member's
rows. Each app imports its ``privacy`` module in its ``AppConfig.ready()``,
which registers its functions here: ``accounts`` knows nothing of ``blog``
or ``comments`` and the dependency arrows stay one-way.

This module declares the accounts app's own data: the profile, email
addresses, community memberships and invitations.
"""

from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext

from core.links import absolute_url

from .models import Invitation, Membership, User

EXPORTERS: list[Callable[[User], dict]] = []
ERASERS: list[Callable[[User], None]] = []


def exporter(func):
    EXPORTERS.append(func)
    return func


def eraser(func):
    ERASERS.append(func)
    return func


def export_member_data(user: User) -> dict:
    """Everything the portal keeps about ``user``, as one JSON-serializable dict."""
    data = {"format": "learning-portal-member-data/1", "site": settings.PORTAL_BASE_URL}
    for func in EXPORTERS:
        data.update(func(user))
    return data


def erase_member_data(user: User) -> None:
    for func in ERASERS:
        func(user)


def deleted_member_name() -> str:
    """What is stored in place of a deleted member's name: "deleted member" in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("deleted member")


def forget_admin_names(model, object_ids, label: str) -> None:
    """Admin history keeps each object's name as it was (``LogEntry.object_repr``): replace it."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=object_ids
    ).update(object_repr=label)


def member_email_addresses(user: User) -> set[str]:
    addresses = set(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    if user.email:
        addresses.add(user.email)
    return addresses


@exporter
def export_account(user: User) -> dict:
    memberships = (
        Membership.objects.filter(member=user).select_related("community").order_by("community__name")
    )
    return {
        "profile": {
            "username": user.username,
            "display_name": user.display_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "bio": user.bio,
            "website": user.website,
            "avatar": absolute_url(user.avatar.url) if user.avatar else "",
            "profile_url": absolute_url(user.get_absolute_url()),
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "language": user.language,
        },
        "email_addresses": [
            {"email": address.email, "primary": address.primary, "verified": address.verified}
            for address in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "memberships": [
            {
                "community": membership.community.name,
                "url": absolute_url(membership.community.get_absolute_url()),
                "role": membership.role,
                "status": membership.status,
                "requested_or_invited": membership.created,
                "joined": membership.joined,
            }
            for membership in memberships
        ],
        "notification_settings": {"weekly_digest": user.digest == User.Digest.WEEKLY},
    }


@eraser
def erase_account(user: User) -> None:
    """Memberships, email addresses, the invitations sent to them, the member's name in the admin history."""
    addresses = member_email_addresses(user)
    if addresses:
        to_them = Q()
        for address in addresses:
            to_them |= Q(email__iexact=address)
        Invitation.objects.filter(to_them).delete()
    Membership.objects.filter(member=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    forget_admin_names(User, [str(user.pk)], deleted_member_name())
