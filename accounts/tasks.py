"""Emails about communities, sent by the task worker."""

from html import unescape

from django.conf import settings
from django.tasks import task
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator

from core.i18n import in_language_of
from core.links import absolute_url
from core.mail import set_message_id, templated_email

from . import services
from .models import Invitation, Membership


@task()
def send_invitation(membership_id=None, invitation_id=None, language=None, invited_at=None):
    """Email an invitation: to a member (answered on the site) or to an address (sign up).

    Built like the site's other emails (``templates/email/``: a greeting, the
    site's name in the subject, a footer saying why it came). Its link works for
    a signed-out reader: a member's leads to a page that explains the invitation
    and signs them in back to the community's page, where they accept or refuse
    it (``communities:member_invitation``, a signed link); an address's to the
    page where they sign up (``communities:invitation``).

    A member's invitation is written in their language (``User.language``, else
    the site's). An address without an account has no language of its own: its
    invitation is in the language the inviter was using when they invited
    (``language``, the request's), else the inviter's chosen one, else the site's.

    ``invited_at`` names the sending: the Message-ID is made from it and the
    invitation, so a run of this task after its worker died does not send the
    email twice (``portal/mail.py``). Tasks enqueued without it are not deduplicated.
    """
    recipient, fallback = None, None
    if membership_id is not None:
        membership = (
            Membership.objects.select_related("community", "member", "invited_by")
            .filter(pk=membership_id, status=Membership.Status.INVITED)
            .first()
        )
        if membership is None:
            return
        community, inviter, to = membership.community, membership.invited_by, membership.member.email
        recipient = membership.member
        link = absolute_url(
            reverse(
                "communities:member_invitation",
                kwargs={"token": services.member_invitation_token(membership)},
            )
        )
    else:
        invitation = (
            Invitation.objects.select_related("community", "invited_by")
            .filter(pk=invitation_id, accepted_at__isnull=True)
            .first()
        )
        if invitation is None:
            return
        community, inviter, to = invitation.community, invitation.invited_by, invitation.email
        fallback = language or (inviter.language if inviter is not None else None)
        link = absolute_url(reverse("communities:invitation", kwargs={"token": invitation.token}))
    if not to:
        return
    context = {
        "community": community,
        "inviter": inviter,
        "link": link,
        "new_member": membership_id is None,
        # The inviter typed the member's username: greet them by name. An address has no name.
        "greeting_name": recipient.public_name if recipient is not None else "",
        "username": recipient.username if recipient is not None else "",
        "recipient_address": to,
        "about_community": Truncator(unescape(strip_tags(community.description_html))).words(60),
        "portal_tagline": settings.PORTAL_TAGLINE,
        "site_url": absolute_url("/"),
    }
    with in_language_of(recipient, fallback=fallback):
        message = templated_email("accounts/email/invitation", context, to=[to])
    if invited_at:
        kind, pk = ("membership", membership_id) if membership_id is not None else ("address", invitation_id)
        set_message_id(message, "invitation", kind, pk, invited_at)
    message.send()
