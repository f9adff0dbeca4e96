"""factory_boy factories of the project's models: ``from testing.factories import PostFactory``."""

from testing.factories.accounts import (
    PASSWORD,
    CommunityFactory,
    EditorFactory,
    MembershipFactory,
    StaffFactory,
    SuperuserFactory,
    UserFactory,
)
from testing.factories.blog import CategoryFactory, PostFactory, individual_learning, organizational_learning
from testing.factories.comments import CommentFactory

__all__ = [
    "PASSWORD",
    "CategoryFactory",
    "CommentFactory",
    "CommunityFactory",
    "EditorFactory",
    "MembershipFactory",
    "PostFactory",
    "StaffFactory",
    "SuperuserFactory",
    "UserFactory",
    "individual_learning",
    "organizational_learning",
]
