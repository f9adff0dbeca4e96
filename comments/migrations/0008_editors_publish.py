"""The Editors group may publish posts (``blog.publish_post``); other staff authors submit them for review."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
CODENAME = "publish_post"


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations have run; make
    # sure the one granted here exists already.
    app_config = apps.get_app_config("blog")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="blog", codename=CODENAME))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=EDITORS).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="blog", codename=CODENAME)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("blog", "0007_publish_permission"),
        ("comments", "0007_wordpress_ids"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
