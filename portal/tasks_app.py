"""django-tasks-db (the task queue in the database) under a name in the reader's language.

Listed in ``INSTALLED_APPS`` instead of ``django_tasks_db``. A module of its
own: in ``portal/apps.py`` it would be a second app config there, and Django
would no longer pick ``PortalConfig`` for the portal by itself.
"""

from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = _("Background tasks")
