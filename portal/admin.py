"""django-tasks-db's task results in the admin, with column names in the reader's language.

The package's admin names three columns with plain strings; this subclass
gives them translatable ones (``core/i18n.py`` lists the package's others).
The list is filtered by status and shows a failed task's error (the last line
of its traceback); the Editors group may read it (comments migration 0011), so
that editors see the notification emails that could not be sent.
"""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    list_display = ["id", "task", "status", "error", *DBTaskResultAdmin.list_display[3:]]

    @admin.display(description=_("task"))
    def task(self, result):
        return result.task_name

    @admin.display(description=_("error"))
    def error(self, result):
        """The exception and its message: the last line of the traceback of a failed task."""
        lines = [line for line in result.traceback.strip().splitlines() if line.strip()]
        return Truncator(lines[-1]).chars(200) if lines else ""

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, result):
        return super().formatted_traceback(result)

    @admin.display(description=_("run after"))
    def display_run_after(self, result):
        return super().display_run_after(result)
