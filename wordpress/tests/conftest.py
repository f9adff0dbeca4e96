import pytest

from testing.factories import UserFactory


@pytest.fixture
def existing():
    return UserFactory(username="existing", email="existing@example.org")
