"""The audit log: who did what, and when, across moderation, memberships and the admin.

One page (``/comments/audit/``) for editors, newest first, over three records
that already exist or are written by the services themselves:

- ``comments.ModerationEvent``: every submission, hold, decision, flag,
  edit and removal of a comment (``comments.services``);
- ``accounts.MembershipEvent``: every membership request, decision, invitation,
  role change, departure and account deletion (``accounts.services``);
- the admin's ``LogEntry``: every add, change and deletion in the admin,
  bulk actions included (``blog.admin.log_bulk_change``).

The three are merged in the database (a ``UNION ALL`` of (kind, id, time)
ordered by time), so a page is a count, the page's keys and one query per
kind, however long the log. It lives in ``comments``, the app that may import
the other two.

Who may read it: active staff with ``comments.view_moderationevent`` (the
Editors group has it) and superusers. Community owners and moderators, who
are not staff, may not: the log spans every community.
"""

from django import forms
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import CharField, F, Value
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts.models import Membership, MembershipEvent

from ..models import Comment, ModerationEvent

PER_PAGE = 50
AUDIT_PERMISSION = "comments.view_moderationevent"

MODERATION, MEMBERSHIP, ADMIN = "moderation", "membership", "admin"
KINDS = [
    (MODERATION, _("Comment moderation")),
    (MEMBERSHIP, _("Memberships and roles")),
    (ADMIN, _("Admin actions")),
]


def may_view_audit_log(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    return user.is_superuser or user.has_perm(AUDIT_PERMISSION)


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=[("", _("Everything")), *KINDS], required=False)
    actor = forms.CharField(
        label=_("Who (username)"),
        max_length=150,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"placeholder": _("any member"), "autocomplete": "off"}),
    )

    def clean_actor(self):
        actor = self.cleaned_data["actor"]
        if "\x00" in actor:
            raise forms.ValidationError(_("Enter a username."), code="invalid")
        return actor


def _keys(queryset, kind, time_field):
    return queryset.annotate(kind=Value(kind, output_field=CharField()), at=F(time_field)).values_list(
        "kind", "pk", "at"
    )


def audit_keys(*, kind: str = "", actor: str = ""):
    """(kind, id, time) of every entry, newest first, as one query; ``actor`` is a username."""
    sources = {
        MODERATION: (ModerationEvent.objects.all(), "created", "actor__username__iexact"),
        MEMBERSHIP: (MembershipEvent.objects.all(), "created", "actor__username__iexact"),
        ADMIN: (LogEntry.objects.all(), "action_time", "user__username__iexact"),
    }
    parts = []
    for name, (queryset, time_field, actor_lookup) in sources.items():
        if kind and kind != name:
            continue
        if actor:
            queryset = queryset.filter(**{actor_lookup: actor})
        parts.append(_keys(queryset.order_by(), name, time_field))
    first, *rest = parts
    combined = first.union(*rest, all=True) if rest else first
    return combined.order_by("-at", "-pk")


def _label(choices, value):
    return dict(choices).get(value, value) or "—"


def _entries(keys):
    """The page's entries, each kind fetched in one query with what it shows."""
    ids = {MODERATION: [], MEMBERSHIP: [], ADMIN: []}
    for kind, pk, _at in keys:
        ids[kind].append(pk)
    found = {}
    if ids[MODERATION]:
        for event in ModerationEvent.objects.filter(pk__in=ids[MODERATION]).select_related(
            "actor", "comment__post"
        ):
            status = ""
            if event.from_status or event.to_status:
                before = _label(Comment.Status.choices, event.from_status)
                status = f"{before} → {_label(Comment.Status.choices, event.to_status)}"
            found[MODERATION, event.pk] = {
                "when": event.created,
                "actor": event.actor,
                "action": event.get_action_display(),
                "target": str(_("Comment by %(name)s on “%(title)s”"))
                % {"name": event.comment.author_name, "title": event.comment.post.title},
                "url": event.comment.get_admin_url(),
                "detail": " · ".join(part for part in (status, event.note) if part),
            }
    if ids[MEMBERSHIP]:
        for event in MembershipEvent.objects.filter(pk__in=ids[MEMBERSHIP]).select_related(
            "actor", "member", "community"
        ):
            changes = []
            if event.old_role != event.new_role and event.old_role and event.new_role:
                changes.append(
                    f"{_label(Membership.Role.choices, event.old_role)} → "
                    f"{_label(Membership.Role.choices, event.new_role)}"
                )
            elif event.new_role and not event.old_role:
                changes.append(str(_label(Membership.Role.choices, event.new_role)))
            if event.old_status != event.new_status and event.new_status:
                changes.append(str(_label(Membership.Status.choices, event.new_status)))
            found[MEMBERSHIP, event.pk] = {
                "when": event.created,
                "actor": event.actor,
                "action": event.get_action_display(),
                "target": (
                    str(_("%(member)s in %(community)s"))
                    % {"member": event.member.public_name, "community": event.community_name}
                    if event.member_id
                    else event.community_name
                ),
                "url": event.community.get_absolute_url() if event.community_id else "",
                "detail": " · ".join(changes),
            }
    if ids[ADMIN]:
        for entry in LogEntry.objects.filter(pk__in=ids[ADMIN]).select_related("user", "content_type"):
            model = entry.content_type.name if entry.content_type_id else ""
            found[ADMIN, entry.pk] = {
                "when": entry.action_time,
                "actor": entry.user,
                "action": entry.get_action_flag_display(),
                "target": f"{model}: {entry.object_repr}" if model else entry.object_repr,
                "url": "" if entry.action_flag == DELETION else (entry.get_admin_url() or ""),
                "detail": entry.get_change_message(),
            }
    return [
        {"kind": kind, "kind_label": dict(KINDS)[kind], **found[kind, pk]}
        for kind, pk, _at in keys
        if (kind, pk) in found
    ]


@login_required
@require_http_methods(["GET", "HEAD"])
def audit_log(request):
    if not may_view_audit_log(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    paginator = Paginator(audit_keys(kind=filters.get("kind", ""), actor=filters.get("actor", "")), PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "comments/audit.html",
        {"form": form, "page_obj": page_obj, "entries": _entries(list(page_obj.object_list))},
    )
