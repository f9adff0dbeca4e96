# A community's page lists its published posts, newest first: an index that leads with
# the community, so the few posts of one community are found without walking the date index.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0008_post_language"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                fields=["community", "status", "-publish_at"], name="blog_post_community_list"
            ),
        ),
    ]
