"""django-tasks-db's task results in the admin, with column names in the reader's language.

The package's admin names three columns with plain strings; this subclass
gives them translatable ones (``core/i18n.py`` lists the package's others).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    list_display = ["id", "task", *DBTaskResultAdmin.list_display[2:]]

    @admin.display(description=_("task"))
    def task(self, result):
        return result.task_name

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, result):
        return super().formatted_traceback(result)

    @admin.display(description=_("run after"))
    def display_run_after(self, result):
        return super().display_run_after(result)
