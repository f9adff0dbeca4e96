"""No community takes a slug that the site's own pages under /communities/ use.

A community called "invitation" would have its pages caught by
/communities/invitation/<token>/: the service, the site's form and the admin
all refuse or avoid the reserved slugs, and the list covers every fixed
first segment of the communities' URLconf.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import URLPattern, resolve

from accounts.models import RESERVED_COMMUNITY_SLUGS, Community
from accounts.services import community_create
from portal import community_urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_user(
        "eda", "eda@example.org", "a-long-password-1", is_staff=True, is_superuser=True
    )


def test_the_reserved_list_covers_every_fixed_segment_of_the_communities_urls():
    fixed = {
        str(pattern.pattern).split("/")[0]
        for pattern in community_urls.urlpatterns
        if isinstance(pattern, URLPattern) and not str(pattern.pattern).startswith("<")
    }
    fixed.discard("")
    assert fixed == RESERVED_COMMUNITY_SLUGS


@pytest.mark.parametrize("slug", sorted(RESERVED_COMMUNITY_SLUGS))
def test_the_service_gives_a_community_named_like_a_reserved_slug_another_one(slug, superuser):
    community = community_create(creator=superuser, name=slug.capitalize())

    assert community.slug == f"{slug}-2"
    assert resolve(community.get_absolute_url()).view_name == "communities:detail"


@pytest.mark.parametrize("slug", sorted(RESERVED_COMMUNITY_SLUGS))
def test_the_service_refuses_a_reserved_slug_asked_for(slug, superuser):
    with pytest.raises(ValidationError) as refused:
        community_create(creator=superuser, name="Night shift", slug=slug)

    assert "slug" in refused.value.message_dict
    assert not Community.objects.exists()


@pytest.mark.parametrize("slug", sorted(RESERVED_COMMUNITY_SLUGS))
def test_the_site_form_makes_a_community_named_like_a_reserved_slug_reachable(slug, superuser, client):
    client.force_login(superuser)
    response = client.post(
        "/communities/new/",
        {"name": slug, "description": "", "kind": "practice", "visibility": "public", "join_policy": "open"},
        follow=True,
    )

    community = Community.objects.get()
    assert community.slug != slug
    assert response.redirect_chain[-1][0] == community.get_absolute_url()
    assert response.context["community"] == community


@pytest.mark.parametrize("slug", sorted(RESERVED_COMMUNITY_SLUGS))
def test_the_admin_refuses_a_reserved_slug_next_to_the_field(slug, superuser, client):
    client.force_login(superuser)
    response = client.post(
        "/admin/accounts/community/add/",
        {
            "name": "Night shift",
            "slug": slug,
            "description": "",
            "kind": "practice",
            "visibility": "public",
            "join_policy": "open",
            "created_by": superuser.pk,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["slug"] == [f"“{slug}” is reserved for the site's own pages."]
    assert not Community.objects.exists()
