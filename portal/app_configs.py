"""Two packages' apps under names that say what they hold, in the reader's language.

Listed in ``INSTALLED_APPS`` instead of ``taggit`` and ``django_tasks_db``;
their labels (and so their tables and admin addresses) stay the packages'
own. A module of its own: in ``portal/apps.py`` they would be more app
configs there, and Django would no longer pick ``PortalConfig`` by itself.
"""

from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig
from taggit.apps import TaggitAppConfig


class TagsConfig(TaggitAppConfig):
    verbose_name = _("Tags")  # taggit calls itself "Taggit"


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = _("Background tasks")  # django-tasks-db: "Tasks Database Backend", untranslated
