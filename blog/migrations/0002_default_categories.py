from django.db import migrations

DEFAULT_CATEGORIES = [
    (
        "Individual learning",
        "individual-learning",
        "How one person learns: habits, tools, reflection and personal knowledge management.",
    ),
    (
        "Organizational learning",
        "organizational-learning",
        "How teams and organizations learn together: communities of practice, networks, culture.",
    ),
]


def create_categories(apps, schema_editor):
    Category = apps.get_model("blog", "Category")
    for name, slug, description in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})


def remove_categories(apps, schema_editor):
    Category = apps.get_model("blog", "Category")
    Category.objects.filter(slug__in=[slug for _, slug, _ in DEFAULT_CATEGORIES], posts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [migrations.RunPython(create_categories, remove_categories)]
