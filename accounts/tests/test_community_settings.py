"""A community's settings never contradict each other: a private community cannot be open.

The rule is ``Community.JOIN_POLICIES_BY_VISIBILITY``: the community form marks each
join policy with the visibilities that allow it (its script disables the others),
``Community.clean`` refuses the rest with a message next to the field, and the message
after creating a community says how people really join it.
"""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import Community
from testing.clients import client_for
from testing.factories import CommunityFactory, UserFactory
from testing.pages import form_values

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("communities:create")
Visibility, Policy = Community.Visibility, Community.JoinPolicy


def community_data(**overrides):
    return {
        "name": "Night shift learners",
        "description": "We *learn* at night.",
        "kind": Community.Kind.PRACTICE,
        "visibility": Visibility.PUBLIC,
        "join_policy": Policy.OPEN,
        "parent": "",
        **overrides,
    }


def field(html, name, next_name):
    """The HTML of the form field ``name`` (its label, input, help and errors), as the reader sees it."""
    return " ".join(html[html.index(f'id="div_id_{name}"') : html.index(f'id="div_id_{next_name}"')].split())


def test_a_private_community_cannot_be_created_open():
    client = client_for(UserFactory())

    response = client.post(CREATE_URL, community_data(visibility=Visibility.PRIVATE))

    assert response.status_code == 200
    html = response.content.decode()
    assert "The community was not saved." in html
    policy = field(html, "join_policy", "parent")
    assert "A private community cannot be open: only its members see it" in policy
    assert 'aria-describedby="id_join_policy_helptext id_join_policy_error"' in policy
    assert form_values(html, CREATE_URL)["name"] == ["Night shift learners"]  # the text is kept
    assert not Community.objects.exists()


def test_a_public_community_cannot_be_made_private_and_stay_open():
    owner = UserFactory()
    community = CommunityFactory(owner=owner, visibility=Visibility.PUBLIC, join_policy=Policy.OPEN)
    edit_url = reverse("communities:edit", kwargs={"slug": community.slug})
    client = client_for(owner)
    data = form_values(client.get(edit_url).content.decode(), edit_url)
    data["visibility"] = [Visibility.PRIVATE]

    response = client.post(edit_url, data)

    assert response.status_code == 200
    assert "A private community cannot be open" in field(response.content.decode(), "join_policy", "parent")
    community.refresh_from_db()
    assert (community.visibility, community.join_policy) == (Visibility.PUBLIC, Policy.OPEN)
    # Made private by invitation, it is saved, and its page says so.
    data["join_policy"] = [Policy.INVITATION]
    assert client.post(edit_url, data).status_code == 302
    page = client.get(community.get_absolute_url()).content.decode()
    assert "Private" in page and "By invitation only" in page and "Open: anyone can join" not in page


def test_the_form_offers_each_join_policy_for_the_visibilities_that_allow_it():
    html = client_for(UserFactory()).get(CREATE_URL).content.decode()

    policy = field(html, "join_policy", "parent")
    assert (
        '<option value="open" selected data-visibilities="public" data-default-for="public">'
        "Open: anyone can join</option>"
    ) in policy
    assert '<option value="request" data-visibilities="public private">' in policy
    assert (
        '<option value="invitation" data-visibilities="public private" data-default-for="private">' in policy
    )
    assert 'data-visibility-field="visibility"' in policy
    assert "Open is for public communities only" in policy
    assert '<script src="/static/accounts/community-form.js" defer></script>' in html


def test_the_services_and_the_admin_refuse_a_private_open_community_too():
    with pytest.raises(ValidationError) as refused:
        services.community_create(
            creator=UserFactory(),
            name="Closed circle",
            visibility=Visibility.PRIVATE,
            join_policy=Policy.OPEN,
        )
    assert "join_policy" in refused.value.message_dict
    assert not Community.objects.exists()


@pytest.mark.parametrize(
    ("visibility", "policy", "message"),
    [
        (Visibility.PUBLIC, Policy.OPEN, "Night shift learners is created. Anyone can see it and join it."),
        (
            Visibility.PUBLIC,
            Policy.REQUEST,
            "Night shift learners is created. Anyone can see it and ask to join; you approve the requests.",
        ),
        (
            Visibility.PUBLIC,
            Policy.INVITATION,
            "Night shift learners is created. Anyone can see it; people join when you invite them.",
        ),
        (
            Visibility.PRIVATE,
            Policy.REQUEST,
            "Night shift learners is created. Only its members see it; you approve the requests to join.",
        ),
        (
            Visibility.PRIVATE,
            Policy.INVITATION,
            "Night shift learners is created. Only its members see it; people join when you invite them.",
        ),
    ],
)
def test_the_message_after_creating_says_who_sees_it_and_how_people_join(visibility, policy, message):
    client = client_for(UserFactory())

    response = client.post(CREATE_URL, community_data(visibility=visibility, join_policy=policy), follow=True)

    html = response.content.decode()
    assert f"{message} You are its owner." in html
    assert "is open" not in html


def test_private_communities_saved_open_before_the_rule_become_by_invitation():
    migration = importlib.import_module("accounts.migrations.0008_private_communities_are_not_open")
    legacy = CommunityFactory(visibility=Visibility.PRIVATE, join_policy=Policy.INVITATION)
    Community.objects.filter(pk=legacy.pk).update(join_policy=Policy.OPEN)  # as the old form allowed
    public = CommunityFactory(visibility=Visibility.PUBLIC, join_policy=Policy.OPEN)

    migration.close_private_open_communities(apps, None)

    legacy.refresh_from_db()
    public.refresh_from_db()
    assert (legacy.join_policy, public.join_policy) == (Policy.INVITATION, Policy.OPEN)
