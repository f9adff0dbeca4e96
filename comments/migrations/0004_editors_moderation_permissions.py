"""The Editors group may also run the moderation tools: the discussion settings, flags and the audit trail.

Editors change the discussion settings (there is one row: no add or delete),
review and dismiss flags (no add: members raise them), and read the audit
trail, which nobody edits.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
EDITOR_PERMISSIONS = {
    "discussionsettings": ["change", "view"],
    "commentflag": ["view", "change", "delete"],
    "moderationevent": ["view"],
}


def codenames():
    return [f"{action}_{model}" for model, actions in EDITOR_PERMISSIONS.items() for action in actions]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations have run; make
    # sure the ones granted here exist already.
    app_config = apps.get_app_config("comments")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="comments",
            content_type__model__in=list(EDITOR_PERMISSIONS),
            codename__in=codenames(),
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=EDITORS).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="comments", codename__in=codenames())
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("comments", "0003_threads_flags_moderation"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
