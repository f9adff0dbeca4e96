"""Spanish for the messages that Django 6.1's own Spanish catalog leaves untranslated.

Django and the admin show these strings; the portal's catalog
(``locale/es/LC_MESSAGES/django.po``, first in ``LOCALE_PATHS``) takes
precedence over Django's, so listing them here with ``gettext_noop`` puts them
in it (``make makemessages``) and the Spanish interface has no English left.
Drop an entry once Django's catalog translates it.

Below them, the helpers for a member's own language (``User.language``): the
language their emails are written in, and the cookie that switches the interface.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_UNTRANSLATED = [
    gettext_noop("- Select an option -"),
    gettext_noop("“%(value)s” is not a valid binary value."),
    gettext_noop("No %s matches the given query."),
    gettext_noop('The app "%s" could not be found.'),
    gettext_noop("Run"),
    gettext_noop("Filter by %(field_name)s"),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would require deleting the following "
        "protected related objects:"
    ),
    gettext_noop(
        "Are you sure you want to delete the %(object_name)s “%(escaped_object)s”? All of the "
        "following related items will be deleted:"
    ),
    gettext_noop("Pagination %(name)s entries"),
    gettext_noop("Pagination %(name)s"),
    gettext_noop("Search %(name)s"),
    gettext_noop("Logout"),
]
# The descriptions of the two topics the site ships with (blog migration 0002); their names are
# in the navigation bar's template. Category pages translate them; editors' own text stays as written.
DEFAULT_TOPIC_DESCRIPTIONS = [
    gettext_noop("How one person learns: habits, tools, reflection and personal knowledge management."),
    gettext_noop("How teams and organizations learn together: communities of practice, networks, culture."),
]

# django-tasks-db (the task results in the admin) has no Spanish catalog.
TASKS_DB_UNTRANSLATED = [
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
]

# django-simple-history (the posts' revision history in the admin) has no Spanish catalog.
SIMPLE_HISTORY_UNTRANSLATED = [
    gettext_noop("Choose a date from the list below to revert to a previous version of this object."),
    gettext_noop("This object doesn't have a change history."),
    gettext_noop("Press the 'Revert' button below to revert to this version of the object."),
    gettext_noop("Press the 'Change History' button below to edit the history."),
    gettext_noop("Revert %(verbose_name)s"),
    gettext_noop("View %(verbose_name)s"),
    gettext_noop("Revert %s"),
    gettext_noop("View history: %s"),
    gettext_noop('The %(name)s "%(obj)s" was changed successfully.'),
    gettext_noop("You may edit it again below"),
    gettext_noop("Deleted %(type_name)s"),
    gettext_noop("Object"),
    gettext_noop("Comment"),
    gettext_noop("Changed by"),
    gettext_noop("Change reason"),
    gettext_noop("Changes"),
    gettext_noop("Revert"),
    gettext_noop("Change History"),
    gettext_noop("Created"),
    gettext_noop("Changed"),
    gettext_noop("Deleted"),
]
ADMIN_MORE_OBJECTS = ngettext_lazy("…and %(count)d more object.", "…and %(count)d more objects.", "count")


# --- A member's language -------------------------------------------------------------------


def member_language(member, fallback=None):
    """The language to write to ``member`` in: the one they chose, else ``fallback`` (else the site's).

    ``fallback`` is for a request's language: a visitor who signs up in Spanish
    gets their confirmation email in Spanish before they have chosen anything.
    """
    languages = dict(settings.LANGUAGES)
    chosen = getattr(member, "language", "") if member is not None else ""
    for code in (chosen, fallback):
        if code and code in languages:
            return code
    return settings.LANGUAGE_CODE


def in_language_of(member, fallback=None):
    """``with in_language_of(member):`` renders an email in the member's language (see member_language)."""
    return translation.override(member_language(member, fallback))


def set_language_cookie(response, code):
    """The cookie LocaleMiddleware reads (the ``LANGUAGE_COOKIE_*`` settings), as ``set_language`` sets it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def switch_to_member_language(request, member):
    """At sign-in: the rest of ``request`` in the language ``member`` chose; returns it (None if none).

    The caller sets the cookie on its response (``set_language_cookie``) for the next requests.
    """
    chosen = getattr(member, "language", "")
    if chosen not in dict(settings.LANGUAGES):
        return None
    translation.activate(chosen)
    request.LANGUAGE_CODE = chosen
    return chosen
