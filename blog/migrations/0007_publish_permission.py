"""The "Can publish posts" permission: editors publish, other staff authors submit for review.

A Meta-only change: the blog_post table is not touched, so the search
index's triggers (see blog/search.py) need no restoring.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0006_editorial_paths_pages"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="post",
            options={
                "ordering": ["-publish_at", "-id"],
                "permissions": [("publish_post", "Can publish posts")],
                "verbose_name": "post",
                "verbose_name_plural": "posts",
            },
        ),
    ]
