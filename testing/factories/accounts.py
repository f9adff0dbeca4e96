"""Factories of members, staff, communities and memberships (factory_boy)."""

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import Community, Membership, User

PASSWORD = "correct horse battery staple"  # noqa: S105 - every factory-made member's password


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    display_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(user, create, extracted, **kwargs):
        """Members created here have a verified primary address, as after sign-up."""
        if create and user.email:
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"primary": True, "verified": True}
            )


class StaffFactory(UserFactory):
    is_staff = True


class EditorFactory(StaffFactory):
    @factory.post_generation
    def editors_group(user, create, extracted, **kwargs):
        if create:
            from django.contrib.auth.models import Group

            user.groups.add(Group.objects.get(name="Editors"))


class SuperuserFactory(StaffFactory):
    is_superuser = True


class CommunityFactory(factory.django.DjangoModelFactory):
    """A community with no members; use ``owner=...`` (or MembershipFactory) to add its first owner."""

    class Meta:
        model = Community
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Learning circle {n}")
    slug = factory.Sequence(lambda n: f"learning-circle-{n}")
    description = "We read and discuss *together*."
    kind = Community.Kind.PRACTICE
    visibility = Community.Visibility.PUBLIC
    # Open when public; a private community gets its default (``Community.JOIN_POLICIES_BY_VISIBILITY``).
    join_policy = factory.LazyAttribute(
        lambda community: Community.join_policies_for(community.visibility)[0]
    )

    @factory.post_generation
    def owner(community, create, extracted, **kwargs):
        if create and extracted is not None:
            Membership.objects.create(
                community=community,
                member=extracted,
                role=Membership.Role.OWNER,
                status=Membership.Status.ACTIVE,
                joined=timezone.now(),
            )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    member = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory)
    role = Membership.Role.MEMBER
    status = Membership.Status.ACTIVE
    joined = factory.LazyAttribute(
        lambda membership: timezone.now() if membership.status == Membership.Status.ACTIVE else None
    )
