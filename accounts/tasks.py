"""Emails about communities, sent by the task worker."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from core.i18n import in_language_of
from core.mail import set_message_id

from .models import Invitation, Membership


@task()
def send_invitation(membership_id=None, invitation_id=None, language=None, invited_at=None):
    """Email an invitation: to a member (accept on the community page) or to an address (sign up).

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
        link = settings.PORTAL_BASE_URL + community.get_absolute_url()
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
        link = settings.PORTAL_BASE_URL + reverse(
            "communities:invitation", kwargs={"token": invitation.token}
        )
    if not to:
        return
    context = {
        "community": community,
        "inviter": inviter,
        "link": link,
        "portal_name": settings.PORTAL_NAME,
        "new_member": membership_id is None,
    }
    with in_language_of(recipient, fallback=fallback):
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject,
            render_to_string("accounts/email/invitation.txt", context),
            settings.DEFAULT_FROM_EMAIL,
            [to],
        )
        message.attach_alternative(render_to_string("accounts/email/invitation.html", context), "text/html")
    if invited_at:
        kind, pk = ("membership", membership_id) if membership_id is not None else ("address", invitation_id)
        set_message_id(message, "invitation", kind, pk, invited_at)
    message.send()
