"""A private community saved as "open" becomes "by invitation only", as the join service read it.

Only its members see a private community, so no one else could join it; ``Community.clean``
refuses the combination from now on.
"""

from django.db import migrations


def close_private_open_communities(apps, schema_editor):
    Community = apps.get_model("accounts", "Community")
    Community.objects.filter(visibility="private", join_policy="open").update(join_policy="invitation")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_community_reserved_slugs"),
    ]

    operations = [
        migrations.RunPython(close_private_open_communities, migrations.RunPython.noop, elidable=True),
    ]
