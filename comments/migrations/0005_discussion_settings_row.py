from django.db import migrations


def create_settings_row(apps, schema_editor):
    apps.get_model("comments", "DiscussionSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("comments", "0004_editors_moderation_permissions")]

    operations = [migrations.RunPython(create_settings_row, migrations.RunPython.noop)]
