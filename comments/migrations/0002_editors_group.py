"""The "Editors" group: everything needed to curate posts, categories, tags and comments.

It lives in the comments app because that is the one app that may know about
all three of blog, taggit and comments.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
EDITOR_MODELS = {
    "blog": ["post", "category", "taggedpost"],
    "taggit": ["tag", "taggeditem"],
    "comments": ["comment"],
}


def create_editors_group(apps, schema_editor):
    # Permissions are normally created after all migrations have run; make
    # sure the ones this group needs exist already.
    for app_label in EDITOR_MODELS:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    for app_label, models in EDITOR_MODELS.items():
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, content_type__model__in=models)
        )


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        ("blog", "0002_default_categories"),
        ("comments", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_editors_group, remove_editors_group)]
