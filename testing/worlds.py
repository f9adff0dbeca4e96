"""Small worlds of members, communities and posts that several test modules share."""

from accounts.models import Community, Membership
from blog.models import Post
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    EditorFactory,
    MembershipFactory,
    PostFactory,
    SuperuserFactory,
    UserFactory,
)

# --- A private community, every kind of actor (the community matrices) ----------------------

ACTORS = [
    "anonymous",
    "outsider",
    "requested",
    "invited",
    "member",
    "moderator",
    "owner",
    "editor",
    "superuser",
]
LOGIN = "login"  # a redirect to the sign-in page
WARD_MEMBERS_TITLE = "Handover notes of ward seven"  # the title of its members-only post


class PrivateCommunityWorld:
    """Ward seven, private and joined by request, with one person per actor (``people``), a
    members-only post, and the memberships the actions work on (``applicant``, ``target``)."""

    def __init__(self):
        self.owner = UserFactory(username="owner")
        self.community = CommunityFactory(
            name="Ward seven",
            slug="ward-seven",
            visibility=Community.Visibility.PRIVATE,
            join_policy=Community.JoinPolicy.REQUEST,
            owner=self.owner,
        )
        self.elsewhere = CommunityFactory(name="Elsewhere", slug="elsewhere", owner=UserFactory())
        PostFactory(title=WARD_MEMBERS_TITLE, community=self.community, visibility=Post.Visibility.MEMBERS)
        in_ward = {"community": self.community}
        self.people = {
            "anonymous": None,
            "outsider": MembershipFactory(community=self.elsewhere).member,
            "requested": MembershipFactory(**in_ward, status=Membership.Status.REQUESTED).member,
            "invited": MembershipFactory(**in_ward, status=Membership.Status.INVITED).member,
            "member": MembershipFactory(**in_ward).member,
            "moderator": MembershipFactory(**in_ward, role=Membership.Role.MODERATOR).member,
            "owner": self.owner,
            "editor": EditorFactory(),
            "superuser": SuperuserFactory(),
        }
        # What the actions act on.
        self.applicant = MembershipFactory(**in_ward, status=Membership.Status.REQUESTED)
        self.target = MembershipFactory(**in_ward)
        self.newcomer = UserFactory(username="newcomer")

    def client(self, actor, **kwargs):
        return client_for(self.people[actor], **kwargs)

    def status_of(self, user):
        if user is None:
            return None
        return (
            Membership.objects.filter(community=self.community, member=user)
            .values_list("status", flat=True)
            .first()
        )


# --- Members --------------------------------------------------------------------------------


def trusted_member(**kwargs):
    """A member whose comments publish at once: they have an approved comment elsewhere, so the
    first-comment hold does not apply. ``kwargs`` go to UserFactory."""
    member = UserFactory(**kwargs)
    CommentFactory(author=member)
    return member
