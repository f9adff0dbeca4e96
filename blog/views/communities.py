"""The community directory and a community's page: they show posts, so they live in blog.

Which communities a reader sees is ``Community.objects.visible_to``; which
posts, and so which post counts, is ``Post.objects.visible_to``. Both pages
run a constant number of queries whatever the number of communities,
members and posts.
"""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.http import urlencode
from django.views.generic import ListView

from accounts import services
from accounts.models import Community, Membership
from accounts.views.communities import LEADERS_FIRST, community_for_viewer, viewer_rights

from ..models import Post
from .posts import PostListMixin

COMMUNITIES_PER_PAGE = 20
MEMBERS_SHOWN = 24
SEARCH_MAX_LENGTH = 200


def _count(queryset):
    """A correlated COUNT(*) subquery over ``queryset`` (already filtered on OuterRef)."""
    counted = queryset.order_by().values("community").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def search_terms(request) -> tuple[str, str]:
    """The directory's ``q`` and ``kind``, cleaned: any input is a search, never an error."""
    query = request.GET.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
    kind = request.GET.get("kind", "")
    if kind not in Community.Kind.values:
        kind = ""
    return query, kind


class CommunityDirectoryView(ListView):
    """Public communities (and the private ones that know the reader), with member and post counts.

    Counts are correlated subqueries, so neither count multiplies the other's rows;
    the post count goes through ``Post.objects.visible_to`` (members-only posts only
    count for members).
    """

    template_name = "communities/directory.html"
    context_object_name = "communities"
    paginate_by = COMMUNITIES_PER_PAGE

    def get_queryset(self):
        user = self.request.user
        self.query, self.kind = search_terms(self.request)
        communities = Community.objects.visible_to(user)
        if self.query:
            communities = communities.filter(
                Q(name__icontains=self.query) | Q(description__icontains=self.query)
            )
        if self.kind:
            communities = communities.filter(kind=self.kind)
        members = Membership.objects.active().filter(community=OuterRef("pk"))
        posts = Post.objects.visible_to(user).published().filter(community=OuterRef("pk"))
        # A private community that only invited the reader is listed (they open it to answer),
        # but who is in it stays inside: no member count, as on its page.
        inside = Community.objects.inside_visible_to(user).filter(pk=OuterRef("pk"))
        annotations = {
            "member_count": _count(members),
            "post_count": _count(posts),
            "sees_inside": Exists(inside),
        }
        if user.is_authenticated:
            own = Membership.objects.filter(member=user, community=OuterRef("pk"))
            annotations["viewer_status"] = Subquery(own.values("status")[:1])
        return communities.annotate(**annotations).order_by("name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            query=self.query,
            kind=self.kind,
            kinds=Community.Kind.choices,
            may_create=services.may_create_community(self.request.user),
        )
        return context


class CommunityDetailView(PostListMixin, ListView):
    """A community: who it is, who is in it, its posts, and what the viewer may do.

    A private community is a 404 to anyone it does not know (see
    ``accounts.views.communities.may_see``); invited members see its header to
    accept, but its members and posts only once they are in.
    """

    template_name = "communities/detail.html"

    def get(self, request, *args, **kwargs):
        self.community, self.membership = community_for_viewer(request, kwargs["slug"])
        self.rights = viewer_rights(self.community, request.user, self.membership)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return self.posts().published().filter(community=self.community)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        community, user, rights = self.community, self.request.user, self.rights
        members, member_count = [], 0
        if rights["may_see_inside"]:
            active = Membership.objects.active().filter(community=community)
            leaders_first = active.select_related("member").order_by(LEADERS_FIRST, "member__username")
            members = list(leaders_first[:MEMBERS_SHOWN])
            member_count = active.count()
        # The parent organization and the sub-communities, as far as the viewer may see them: one query.
        related = list(
            Community.objects.visible_to(user)
            .filter(Q(parent=community) | Q(pk=community.parent_id))
            .order_by("name")
        )
        context.update(
            community=community,
            membership=self.membership,
            members=members,
            member_count=member_count,
            more_members=member_count - len(members),
            parent=next((c for c in related if c.pk == community.parent_id), None),
            children=[c for c in related if c.pk != community.parent_id],
            write_post_url=self._write_post_url(),
            **rights,
        )
        return context

    def _write_post_url(self):
        """The post editor with this community chosen, for whoever may post into it: its owners and
        moderators, and editors (``PostForm.writable_communities``); ``None`` for anyone else.

        Staff pages load the permissions anyway (the navigation asks them); other members cost no query.
        """
        user, membership = self.request.user, self.membership
        leads = membership is not None and membership.is_leader
        if not (leads or (user.is_staff and user.has_perm("blog.add_post"))):
            return None
        return f"{reverse('blog:post_create')}?{urlencode({'community': self.community.slug})}"
