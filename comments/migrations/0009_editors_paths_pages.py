"""The Editors group curates learning paths and site pages, and reads post revisions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
CODENAMES = [
    *(
        f"{action}_{model}"
        for model in ("learningpath", "learningpathstep", "page")
        for action in ("add", "change", "delete", "view")
    ),
    "view_stepcompletion",
    "view_historicalpost",
    "change_historicalpost",
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("blog")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="blog", codename__in=CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=EDITORS).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="blog", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0007_publish_permission"),
        ("comments", "0008_editors_publish"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
