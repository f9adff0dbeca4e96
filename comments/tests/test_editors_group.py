"""The Editors group can curate posts, categories, tags and comments, run moderation, and nothing else."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse

from comments.models import Comment, CommentFlag, DiscussionSettings, ModerationEvent
from comments.services import comment_flag, comment_moderate
from testing.factories import CommentFactory, EditorFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db

EDITOR_MODELS = [
    ("blog", "post"),
    ("blog", "category"),
    ("blog", "taggedpost"),
    ("taggit", "tag"),
    ("taggit", "taggeditem"),
    ("comments", "comment"),
    ("blog", "learningpath"),
    ("blog", "learningpathstep"),
    ("blog", "page"),
]
# The moderation tools (migration 0004): no adding or deleting the one settings
# row, no adding flags (members raise them), and the audit trail is read-only.
MODERATION_PERMISSIONS = {
    ("comments", "change_discussionsettings"),
    ("comments", "view_discussionsettings"),
    ("comments", "view_commentflag"),
    ("comments", "change_commentflag"),
    ("comments", "delete_commentflag"),
    ("comments", "view_moderationevent"),
}
# Editors publish posts (migration 0008); other staff authors only submit them for review.
PUBLISHING_PERMISSIONS = {("blog", "publish_post")}
# Learning paths and pages (migration 0009): progress and revisions are read, revisions reverted.
CURATION_PERMISSIONS = {
    ("blog", "view_stepcompletion"),
    ("blog", "view_historicalpost"),
    ("blog", "change_historicalpost"),
}
# The background tasks' results (migration 0011), read only: failed notification emails show there.
TASK_PERMISSIONS = {("django_tasks_database", "view_dbtaskresult")}


def test_group_has_exactly_the_editor_permissions():
    group = Group.objects.get(name="Editors")

    granted = set(group.permissions.values_list("content_type__app_label", "codename"))

    assert (
        granted
        == {
            (app_label, f"{action}_{model}")
            for app_label, model in EDITOR_MODELS
            for action in ("add", "change", "delete", "view")
        }
        | MODERATION_PERMISSIONS
        | PUBLISHING_PERMISSIONS
        | CURATION_PERMISSIONS
        | TASK_PERMISSIONS
    )


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:blog_post_changelist",
        "admin:blog_post_add",
        "admin:blog_category_changelist",
        "admin:blog_category_add",
        "admin:taggit_tag_changelist",
        "admin:taggit_tag_add",
        "admin:comments_comment_changelist",
        "admin:comments_comment_add",
        "admin:comments_commentflag_changelist",
    ],
)
def test_editor_can_open_curation_pages(editor_client, url_name):
    PostFactory(tags=["reflection"])
    CommentFactory()

    assert editor_client.get(reverse(url_name)).status_code == 200


def test_editor_can_open_change_forms(editor_client):
    comment = CommentFactory()
    post = comment.post
    post.tags.add("reflection")

    assert editor_client.get(reverse("admin:blog_post_change", args=[post.pk])).status_code == 200
    assert editor_client.get(reverse("admin:comments_comment_change", args=[comment.pk])).status_code == 200
    tag = post.tags.get()
    assert editor_client.get(reverse("admin:taggit_tag_change", args=[tag.pk])).status_code == 200


def test_editor_can_approve_comments(editor_client, editor):
    pending = CommentFactory(status=Comment.Status.PENDING)

    response = editor_client.post(
        reverse("admin:comments_comment_changelist"),
        {"action": "approve", ACTION_CHECKBOX_NAME: [pending.pk]},
    )

    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.moderated_by) == (Comment.Status.APPROVED, editor)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_user_changelist",
        "admin:accounts_user_add",
        "admin:auth_group_changelist",
        "admin:auth_group_add",
    ],
)
def test_editor_cannot_open_member_or_group_admin(editor_client, url_name):
    assert editor_client.get(reverse(url_name)).status_code == 403


def test_editor_cannot_open_a_member_change_form(editor_client):
    member = UserFactory()

    response = editor_client.get(reverse("admin:accounts_user_change", args=[member.pk]))

    assert response.status_code == 403


def test_editor_sees_comment_author_and_moderator_as_plain_names(editor_client):
    """Picking or linking a member needs the user admin, which editors may not open."""
    comment = CommentFactory(status=Comment.Status.PENDING)
    moderator = EditorFactory(display_name="Donald Schön")
    comment_moderate(comment=comment, status=Comment.Status.APPROVED, moderator=moderator)

    response = editor_client.get(reverse("admin:comments_comment_change", args=[comment.pk]))

    assert "author" not in response.context["adminform"].form.fields
    html = response.content.decode()
    assert comment.author.public_name in html
    assert "Donald Schön" in html
    assert reverse("admin:accounts_user_changelist") not in html


def test_superuser_picks_comment_author_by_id(admin_client):
    comment = CommentFactory()

    response = admin_client.get(reverse("admin:comments_comment_change", args=[comment.pk]))

    assert "author" in response.context["adminform"].form.fields


def test_editor_post_form_offers_a_plain_author_select(editor_client):
    response = editor_client.get(reverse("admin:blog_post_add"))

    html = response.content.decode()
    assert '<select name="author"' in html
    assert reverse("admin:accounts_user_changelist") not in html


def test_staff_without_the_group_cannot_moderate(client):
    client.force_login(UserFactory(is_staff=True))
    pending = CommentFactory(status=Comment.Status.PENDING)

    assert client.get(reverse("admin:comments_comment_changelist")).status_code == 403
    response = client.post(
        reverse("admin:comments_comment_changelist"),
        {"action": "approve", ACTION_CHECKBOX_NAME: [pending.pk]},
    )
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == Comment.Status.PENDING


def test_editor_can_open_moderation_tools(editor_client):
    comment = CommentFactory()
    comment_flag(comment=comment, member=UserFactory(), reason="spam")
    flag = CommentFlag.objects.get()

    settings_page = editor_client.get(reverse("admin:comments_discussionsettings_changelist"), follow=True)
    assert settings_page.status_code == 200
    assert settings_page.context["has_change_permission"]
    assert editor_client.get(reverse("admin:comments_commentflag_change", args=[flag.pk])).status_code == 200
    assert editor_client.get(reverse("comments:queue")).status_code == 200
    # The audit trail shows on the comment's page.
    page = editor_client.get(reverse("admin:comments_comment_change", args=[comment.pk]))
    assert {f.formset.prefix for f in page.context["inline_admin_formsets"]} == {"flags", "events"}


def test_editor_cannot_add_or_delete_discussion_settings_nor_add_flags(editor_client):
    DiscussionSettings.load()

    assert editor_client.get(reverse("admin:comments_discussionsettings_add")).status_code == 403
    assert editor_client.get(reverse("admin:comments_discussionsettings_delete", args=[1])).status_code == 403
    assert editor_client.get(reverse("admin:comments_commentflag_add")).status_code == 403
    # The audit trail is only shown on each comment's page, never edited.
    assert not admin.site.is_registered(ModerationEvent)


def test_migration_grants_permissions_idempotently():
    """Running the grant again (as on a re-migrated database) adds nothing twice."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("comments.migrations.0004_editors_moderation_permissions")
    group = Group.objects.get(name="Editors")
    before = set(group.permissions.values_list("pk", flat=True))

    migration.grant(apps, None)

    assert set(group.permissions.values_list("pk", flat=True)) == before
