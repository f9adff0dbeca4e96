"""Spanish for the messages that Django 6.1's own Spanish catalog leaves untranslated.

Django and the admin show these strings; the portal's catalog
(``locale/es/LC_MESSAGES/django.po``, first in ``LOCALE_PATHS``) takes
precedence over Django's, so listing them here with ``gettext_noop`` puts them
in it (``make makemessages``) and the Spanish interface has no English left.
Drop an entry once Django's catalog translates it.
"""

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
ADMIN_MORE_OBJECTS = ngettext_lazy("…and %(count)d more object.", "…and %(count)d more objects.", "count")
