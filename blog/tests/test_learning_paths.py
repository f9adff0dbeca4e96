"""Learning paths: the admin, the path page, "Step N of M" on posts, marking steps done, progress."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Community, Membership
from blog.models import LearningPath, LearningPathStep, Post, StepCompletion
from testing.clients import client_for
from testing.factories import PostFactory, SuperuserFactory, UserFactory
from testing.pages import link
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db

STAGES = ["dependence", "independence", "interdependence"]


def make_path(
    posts, *, title="From individual to organizational learning", slug="individual-to-org", **kwargs
):
    learning_path = LearningPath.objects.create(title=title, slug=slug, published=True, **kwargs)
    for number, post in enumerate(posts, 1):
        LearningPathStep.objects.create(
            path=learning_path, post=post, order=number * 10, stage=STAGES[(number - 1) % 3]
        )
    return learning_path


def step_of(learning_path, post):
    return LearningPathStep.objects.get(path=learning_path, post=post)


def done_url(step, action="done"):
    return reverse(f"blog:step_{action}", kwargs={"slug": step.path.slug, "step_id": step.pk})


# --- the admin ---------------------------------------------------------------------------------


def test_admin_creates_a_path_with_ordered_steps_and_renumbers_them():
    first, second, third = PostFactory(title="First"), PostFactory(title="Second"), PostFactory(title="Third")
    client = client_for(SuperuserFactory())
    data = {
        "title": "Habits",
        "slug": "habits",
        "description": "Seven *habits*.",
        "published": "on",
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        # Out of order on purpose: "order" decides, and 15 goes between 10 and 20.
        "steps-0-order": "20",
        "steps-0-post": str(third.pk),
        "steps-0-stage": "interdependence",
        "steps-1-order": "10",
        "steps-1-post": str(first.pk),
        "steps-1-stage": "dependence",
        "steps-2-order": "15",
        "steps-2-post": str(second.pk),
        "steps-2-stage": "independence",
    }
    response = client.post(reverse("admin:blog_learningpath_add"), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    learning_path = LearningPath.objects.get(slug="habits")
    assert "<em>habits</em>" in learning_path.description_html
    steps = list(learning_path.steps.order_by("order").values_list("post__title", "order", "stage"))
    assert steps == [
        ("First", 10, "dependence"),
        ("Second", 20, "independence"),
        ("Third", 30, "interdependence"),
    ]

    change = client.get(reverse("admin:blog_learningpath_change", args=[learning_path.pk]))
    assert change.status_code == 200
    assert client.get(reverse("admin:blog_learningpath_changelist")).status_code == 200


# --- the path page -----------------------------------------------------------------------------


def test_paths_list_shows_published_paths_only():
    make_path([PostFactory()], title="Open path", slug="open")
    LearningPath.objects.create(title="Hidden path", slug="hidden", published=False)
    html = client_for().get(reverse("blog:learning_paths")).content.decode()
    assert "Open path" in html
    assert "Hidden path" not in html
    assert client_for().get(reverse("blog:learning_path", kwargs={"slug": "hidden"})).status_code == 404


def test_path_page_lists_steps_in_order_with_stages_and_excerpts():
    posts = [PostFactory(title=f"Step post {n}", excerpt=f"Excerpt {n}") for n in range(1, 4)]
    learning_path = make_path(list(reversed(posts)), description="Where we go.")
    response = client_for().get(learning_path.get_absolute_url())
    html = response.content.decode()
    assert [step.post.title for step in response.context["steps"]] == [
        "Step post 3",
        "Step post 2",
        "Step post 1",
    ]
    assert html.index("Step post 3") < html.index("Step post 2") < html.index("Step post 1")
    assert "Where we go." in html
    assert "Excerpt 2" in html
    assert "Dependence" in html and "Independence" in html and "Interdependence" in html
    assert "Mark as done" not in html  # visitors have no check marks


def test_hidden_and_members_only_posts_are_skipped_for_non_members():
    community = Community.objects.create(name="Ward 7", slug="ward-7", visibility="private")
    insider = UserFactory()
    Membership.objects.create(community=community, member=insider, status="active", joined=timezone.now())
    public = PostFactory(title="Public step")
    secret = PostFactory(title="Secret step", community=community, visibility=Post.Visibility.MEMBERS)
    draft = PostFactory(title="Draft step", status=Post.Status.DRAFT)
    learning_path = make_path([public, secret, draft])

    for user in (None, UserFactory()):
        html = client_for(user).get(learning_path.get_absolute_url()).content.decode()
        assert "Public step" in html
        assert "Secret step" not in html
        assert "Draft step" not in html
    html = client_for(insider).get(learning_path.get_absolute_url()).content.decode()
    assert "Secret step" in html and "Draft step" not in html
    assert "0 of 2 done" in html

    # Nor can an outsider mark the hidden step done.
    response = client_for(UserFactory()).post(done_url(step_of(learning_path, secret)))
    assert response.status_code == 404


# --- finding the paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "member"])
def test_the_paths_are_reached_from_the_home_pages_band_and_every_pages_footer(signed_in):
    post = PostFactory(title="Reflective practice")
    make_path([post], title="Habits of reflection", slug="habits")
    client = client_for(UserFactory() if signed_in else None)
    home = client.get(reverse("blog:home")).content.decode()

    band = link(home, "Browse the learning paths", region="main")
    for page in (home, client.get(post.get_absolute_url()).content.decode()):
        footer_link = link(page, "Learning paths", region="footer")
        assert footer_link.href == band.href
    paths_page = client.get(band.href)

    assert paths_page.status_code == 200
    assert "Habits of reflection" in paths_page.content.decode()


def test_the_paths_link_in_spanish():
    with translation.override("en"):  # the request switches this thread to Spanish: back to English after
        home = client_for(language="es").get(reverse("blog:home")).content.decode()
    assert link(home, "Itinerarios de aprendizaje", region="footer").href == reverse("blog:learning_paths")
    assert link(home, "Ver los itinerarios de aprendizaje", region="main").href == reverse(
        "blog:learning_paths"
    )


# --- the post page ------------------------------------------------------------------------------

NAVIGATION = Template("{% load path_tags %}{% path_navigation post %}")


def post_page(post, user=None):
    """What ``{% path_navigation post %}`` adds to the post page, the tag rendered on its own."""
    request = RequestFactory().get(post.get_absolute_url())
    request.user = user or AnonymousUser()
    return NAVIGATION.render(Context({"request": request, "post": post, "csrf_token": "x"}))


def navigation_queries(post, user=None):
    with CaptureQueriesContext(connection) as queries:
        post_page(post, user)
    return len(queries)


def test_post_page_shows_step_n_of_m_with_previous_and_next():
    posts = [PostFactory(title=f"Chapter {n}") for n in range(1, 5)]
    learning_path = make_path(posts)
    html = post_page(posts[2])
    assert "Step 3 of 4 in" in html
    assert f'href="{learning_path.get_absolute_url()}"' in html
    assert f'<a href="{posts[1].get_absolute_url()}">Chapter 2</a>' in html
    assert f'<a href="{posts[3].get_absolute_url()}">Chapter 4</a>' in html

    first = post_page(posts[0])
    assert "Step 1 of 4 in" in first and "Previous step:" not in first and "Next step:" in first


def test_post_page_numbers_only_the_steps_the_reader_can_see():
    hidden = PostFactory(title="Not yet", status=Post.Status.DRAFT)
    shown = PostFactory(title="Shown")
    make_path([hidden, shown])
    html = post_page(shown)
    assert "Step 1 of 1 in" in html
    assert "Not yet" not in html


def test_post_in_two_paths_shows_both_and_unpublished_paths_none():
    post = PostFactory()
    make_path([PostFactory(), post], title="Alpha", slug="alpha")
    make_path([post], title="Beta", slug="beta")
    make_path([post], title="Gamma", slug="gamma").__class__.objects.filter(slug="gamma").update(
        published=False
    )
    html = post_page(post)
    assert "Step 2 of 2 in" in html and "Step 1 of 1 in" in html
    assert "Alpha" in html and "Beta" in html and "Gamma" not in html


def test_the_real_post_page_skips_the_paths_query_for_a_post_in_no_published_path():
    in_path, unpublished, alone = PostFactory(title="In a path"), PostFactory(), PostFactory()
    make_path([PostFactory(), in_path], title="Alpha", slug="alpha")
    LearningPath.objects.filter(pk=make_path([unpublished], title="Beta", slug="beta").pk).update(
        published=False
    )

    def page(post):
        with CaptureQueriesContext(connection) as queries:
            html = Client().get(post.get_absolute_url()).content.decode()
        return html, [q["sql"] for q in queries if "blog_learningpathstep" in q["sql"]]

    html, path_queries = page(in_path)
    assert "Step 2 of 2 in" in html and len(path_queries) == 2  # the flag on the post, then the steps
    for post in (unpublished, alone):
        html, path_queries = page(post)
        assert "Step " not in html and "Beta" not in html
        assert len(path_queries) == 1  # the flag only


# --- marking steps done -------------------------------------------------------------------------


def test_mark_done_and_undone_is_idempotent_and_shows_progress_on_path_and_profile():
    posts = [PostFactory(title=f"Lesson {n}") for n in range(1, 4)]
    learning_path = make_path(posts)
    member = UserFactory()
    client = client_for(member)
    step = step_of(learning_path, posts[0])

    for _ in range(2):
        response = client.post(done_url(step), {"next": posts[0].get_absolute_url()})
        assert response.status_code == 302
        assert response["Location"] == posts[0].get_absolute_url()
    assert StepCompletion.objects.filter(step=step, member=member).count() == 1

    html = client.get(learning_path.get_absolute_url()).content.decode()
    assert "1 of 3 done" in html
    assert "Mark as not done" in html
    post_html = post_page(posts[0], member)
    assert "✓ Done" in post_html and "Mark as not done" in post_html

    profile_url = reverse("accounts:profile", kwargs={"username": member.username})
    profile = client.get(profile_url).content.decode()
    assert "Your learning paths" in profile and "1 of 3 done" in profile
    # Progress is personal: nobody else sees it.
    assert "Your learning paths" not in client_for().get(profile_url).content.decode()
    assert "Your learning paths" not in client_for(UserFactory()).get(profile_url).content.decode()

    # An outside "next" is ignored: back to the path.
    response = client.post(done_url(step, "undone"), {"next": "https://evil.example/"})
    assert response["Location"] == learning_path.get_absolute_url()
    assert client.post(done_url(step, "undone")).status_code == 302
    assert not StepCompletion.objects.exists()
    assert "0 of 3 done" in client.get(learning_path.get_absolute_url()).content.decode()


def test_mark_done_needs_post_sign_in_csrf_and_a_published_path():
    post = PostFactory()
    learning_path = make_path([post])
    step = step_of(learning_path, post)
    member = UserFactory()

    assert client_for(member).get(done_url(step)).status_code == 405
    anonymous = client_for().post(done_url(step))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]

    strict = client_for(member, enforce_csrf_checks=True)
    assert strict.post(done_url(step)).status_code == 403
    assert not StepCompletion.objects.exists()

    wrong_path = reverse("blog:step_done", kwargs={"slug": "other", "step_id": step.pk})
    assert client_for(member).post(wrong_path).status_code == 404
    LearningPath.objects.filter(pk=learning_path.pk).update(published=False)
    assert client_for(member).post(done_url(step)).status_code == 404
    assert not StepCompletion.objects.exists()


# --- query budgets ------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "member"])
def test_path_page_and_post_navigation_run_constant_queries(signed_in):
    member = UserFactory()
    client = client_for(member if signed_in else None)
    small_posts = [PostFactory() for _ in range(2)]
    big_posts = [PostFactory() for _ in range(8)]
    small = make_path(small_posts, title="Small", slug="small")
    big = make_path(big_posts, title="Big", slug="big")
    # The middle post of the big path is in a few more paths too.
    for n in range(3):
        make_path([PostFactory(), big_posts[4]], title=f"Extra {n}", slug=f"extra-{n}")
    if signed_in:
        for post in big_posts[:5]:
            StepCompletion.objects.create(step=step_of(big, post), member=member)
        StepCompletion.objects.create(step=step_of(small, small_posts[0]), member=member)

    client.get(small.get_absolute_url())  # warm up sessions, content types, etc.
    assert_same_count(
        count_queries(client, small.get_absolute_url()), count_queries(client, big.get_absolute_url())
    )
    user = member if signed_in else None
    assert navigation_queries(small_posts[1], user) == navigation_queries(big_posts[4], user) == 1
    assert navigation_queries(PostFactory(), user) == 1  # in no path
    if signed_in:
        profile = reverse("accounts:profile", kwargs={"username": member.username})
        with_progress = count_queries(client, profile).count
        StepCompletion.objects.create(step=step_of(small, small_posts[1]), member=member)
        assert count_queries(client, profile).count == with_progress
