"""Fixtures every test folder shares; the helpers behind them are in the ``testing`` package."""

import pytest

from testing import clients
from testing.factories import EditorFactory, UserFactory


@pytest.fixture(scope="session", autouse=True)
def _cache_epoch_read(django_db_setup, django_db_blocker):
    """With Redis, a process reads the cache epoch once (portal/cache.py): here, not inside a query budget."""
    from django.core.cache import cache

    with django_db_blocker.unblock():
        cache.get("warm-up")


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    """Each test gets its own media folder and an empty cache."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(name="client_for")
def _client_factory(db):
    """``client_for(user=None, *, language=None, **client_kwargs)``: a Client signed in as ``user``
    (``testing.clients.client_for``)."""
    return clients.client_for


@pytest.fixture
def member(db):
    """A member of no community, with a verified address."""
    return UserFactory()


@pytest.fixture
def member_client(member):
    """A client signed in as ``member``."""
    return clients.client_for(member)


@pytest.fixture
def editor(db):
    """Staff in the Editors group."""
    return EditorFactory()


@pytest.fixture
def editor_client(editor):
    """A client signed in as ``editor``."""
    return clients.client_for(editor)
