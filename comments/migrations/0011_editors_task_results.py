"""The Editors group reads the background tasks' results in the admin: a failed notification shows there.

Read only (the admin offers nothing else on task results): the list, filtered
by status, with each failed task's error, and each task's page with its traceback.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
TASKS_APP = "django_tasks_database"
CODENAMES = ["view_dbtaskresult"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config(TASKS_APP)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label=TASKS_APP, codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=EDITORS).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label=TASKS_APP, codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        (TASKS_APP, "0013_separate_exception_fields"),
        ("comments", "0010_comment_language"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
