"""The WordPress importer's test files (wordpress/tests/wxr/), row counts, and the command as run by hand."""

import io
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from taggit.models import Tag

from accounts.models import User
from blog.models import Category, Page, Post
from comments.models import Comment

# The portal's own fixtures; WordPress's importer test data from ../shared/wxr/ when it is there,
# else the copies under wxr/shared/ (GPL-2.0), so that the tests never skip.
WXR = Path(settings.BASE_DIR) / "wordpress" / "tests" / "wxr"
_SHARED = Path(settings.BASE_DIR).parent / "shared" / "wxr"
SHARED = _SHARED if (_SHARED / "small-export.xml").exists() else WXR / "shared"


class Terminal(io.StringIO):
    """A stderr that says it is a terminal: the command draws its progress bar there."""

    def isatty(self):
        return True


def counts():
    """How many rows of each kind the import writes."""
    return {
        "users": User.objects.count(),
        "categories": Category.objects.count(),
        "tags": Tag.objects.count(),
        "posts": Post.objects.count(),
        "pages": Page.objects.count(),
        "comments": Comment.objects.count(),
    }


def run(path, *args, stderr=None):
    """``import_wordpress PATH ARGS``: its stdout and stderr."""
    out, err = io.StringIO(), stderr or io.StringIO()
    call_command("import_wordpress", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()
