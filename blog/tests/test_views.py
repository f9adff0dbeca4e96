from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from comments.models import Comment
from testing.factories import (
    CommentFactory,
    PostFactory,
    StaffFactory,
    UserFactory,
    individual_learning,
    organizational_learning,
)

pytestmark = pytest.mark.django_db


def test_home_lists_published_posts_newest_first(client):
    older = PostFactory(title="Older thoughts", publish_at=timezone.now() - timedelta(days=3))
    newer = PostFactory(title="Newer thoughts", publish_at=timezone.now() - timedelta(days=1))
    PostFactory(title="Secret draft", status=Post.Status.DRAFT)
    PostFactory(title="Future post", publish_at=timezone.now() + timedelta(days=1))
    page = client.get(reverse("blog:home")).content.decode()
    assert page.index(newer.title) < page.index(older.title)
    assert "Secret draft" not in page
    assert "Future post" not in page


def test_home_paginates_and_rejects_bad_page_numbers(client, settings):
    for n in range(12):
        PostFactory(title=f"Paged post {n:02d}", publish_at=timezone.now() - timedelta(hours=n + 1))
    first = client.get(reverse("blog:home")).content.decode()
    second = client.get(reverse("blog:home") + "?page=2").content.decode()
    assert "Paged post 00" in first and "Paged post 11" not in first
    assert "Paged post 11" in second and "Page 2 of 2" in second
    for bad in ("abc", "-1", "0", "99999"):
        assert client.get(reverse("blog:home") + f"?page={bad}").status_code == 404


def test_home_shows_comment_counts_and_categories(client):
    post = PostFactory(title="Counted", categories=[individual_learning(), organizational_learning()])
    CommentFactory.create_batch(3, post=post)
    page = client.get(reverse("blog:home")).content.decode()
    assert "3 comments" in page
    assert "Individual learning" in page and "Organizational learning" in page


def test_category_page_lists_only_its_posts(client):
    PostFactory(title="About me learning", categories=[individual_learning()])
    PostFactory(title="About teams learning", categories=[organizational_learning()])
    response = client.get(individual_learning().get_absolute_url())
    page = response.content.decode()
    assert "<h1>Individual learning</h1>" in page
    assert "About me learning" in page and "About teams learning" not in page
    assert client.get(reverse("blog:category", kwargs={"slug": "nope"})).status_code == 404


def test_tag_page_lists_only_tagged_posts(client):
    PostFactory(title="Tagged one", tags=["communities of practice"])
    PostFactory(title="Untagged one")
    page = client.get(reverse("blog:tag", kwargs={"slug": "communities-of-practice"})).content.decode()
    assert "Posts tagged “communities of practice”" in page
    assert "Tagged one" in page and "Untagged one" not in page
    assert client.get(reverse("blog:tag", kwargs={"slug": "missing"})).status_code == 404


def test_author_page_lists_the_authors_published_posts(client):
    author = UserFactory(username="jay", display_name="Jay Learner")
    PostFactory(title="By Jay", author=author)
    PostFactory(title="Jay's draft", author=author, status=Post.Status.DRAFT)
    PostFactory(title="By someone else")
    page = client.get(reverse("blog:author", kwargs={"username": "jay"})).content.decode()
    assert "Posts by Jay Learner" in page
    assert "By Jay" in page and "Jay&#x27;s draft" not in page and "By someone else" not in page
    assert client.get(reverse("blog:author", kwargs={"username": "ghost"})).status_code == 404


def test_post_page_shows_the_classic_blog_post(client):
    author = UserFactory(display_name="Jay Learner")
    post = PostFactory(
        title="Learning for individuals and for communities",
        author=author,
        body="Most people come at it from *one* side.",
        categories=[individual_learning(), organizational_learning()],
        tags=["web 2.0", "networks"],
        publish_at=timezone.make_aware(timezone.datetime(2006, 12, 15, 9, 30)),
    )
    response = client.get(post.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in page and "Learning for individuals and for communities" in page
    assert "Jay Learner" in page
    assert "December 15, 2006" in page
    assert "Individual learning" in page and "Organizational learning" in page
    assert 'href="/tag/web-20/"' in page and 'href="/tag/networks/"' in page
    assert "Most people come at it from <em>one</em> side." in page
    assert "No comments yet" in page
    assert "Sign in to comment" in page
    assert "creativecommons.org/licenses/by-nc-sa" in page


def test_post_page_shows_approved_comments_oldest_first_with_permalinks(client):
    post = PostFactory()
    now = timezone.now()
    spanish = CommentFactory(
        post=post,
        author_name="eraser",
        body="Pienso que se debería orientar…\n\nSegundo párrafo “citado” — sí.",
    )
    english = CommentFactory(post=post, body="I see it as a progression.")
    CommentFactory(post=post, body="Held for review", status=Comment.Status.PENDING)
    CommentFactory(post=post, body="Buy pills", status=Comment.Status.SPAM)
    CommentFactory(post=post, body="Rejected words", status=Comment.Status.REJECTED)
    Comment.objects.filter(pk=spanish.pk).update(created=now - timedelta(hours=2))
    Comment.objects.filter(pk=english.pk).update(created=now - timedelta(hours=1))
    page = client.get(post.get_absolute_url()).content.decode()
    assert "2 comments… read them below or add one" in page
    assert page.index("Pienso que se debería") < page.index("I see it as a progression.")
    assert "<p>Segundo párrafo “citado” — sí.</p>" in page
    assert f'id="comment-{spanish.pk}"' in page and f'href="#comment-{spanish.pk}"' in page
    for hidden in ("Held for review", "Buy pills", "Rejected words"):
        assert hidden not in page


def test_comment_count_line_reads_like_the_classic_blog(client):
    post = PostFactory()
    CommentFactory(post=post)
    assert "1 comment… read it below or add one" in client.get(post.get_absolute_url()).content.decode()
    CommentFactory(post=post)
    CommentFactory(post=post)
    assert "3 comments… read them below or add one" in client.get(post.get_absolute_url()).content.decode()


def test_post_page_links_previous_and_next_posts_by_publish_date(client):
    now = timezone.now()
    first = PostFactory(title="First of three", publish_at=now - timedelta(days=3))
    middle = PostFactory(title="Middle of three", publish_at=now - timedelta(days=2))
    last = PostFactory(title="Last of three", publish_at=now - timedelta(days=1))
    PostFactory(
        title="Unpublished neighbour", status=Post.Status.DRAFT, publish_at=now - timedelta(days=2, hours=12)
    )
    page = client.get(middle.get_absolute_url()).content.decode()
    assert f'href="{first.get_absolute_url()}" rel="prev"' in page
    assert f'href="{last.get_absolute_url()}" rel="next"' in page
    assert "Unpublished neighbour" not in page
    assert 'rel="prev"' not in client.get(first.get_absolute_url()).content.decode()


def test_post_page_shows_at_most_five_related_posts(client):
    post = PostFactory(tags=["reflection"])
    for n in range(7):
        PostFactory(title=f"Related {n}", tags=["reflection"])
    page = client.get(post.get_absolute_url()).content.decode()
    related = page.split('id="related-heading"')[1].split("</aside>")[0]
    assert related.count("<li>") == 5


@pytest.mark.parametrize(
    "kwargs",
    [{"status": Post.Status.DRAFT}, {"publish_at": timezone.now() + timedelta(days=2)}],
    ids=["draft", "scheduled"],
)
def test_unpublished_posts_are_404_except_for_staff(client, kwargs):
    post = PostFactory(title="Not yet", **kwargs)
    assert client.get(post.get_absolute_url()).status_code == 404
    client.force_login(UserFactory())
    assert client.get(post.get_absolute_url()).status_code == 404
    client.force_login(StaffFactory())
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Not yet" in page
    assert ("Draft" if "status" in kwargs else "Scheduled") in page


def test_a_wrong_date_in_the_address_redirects_to_the_post(client):
    post = PostFactory(slug="moved", publish_at=timezone.make_aware(timezone.datetime(2007, 1, 2, 12, 0)))
    response = client.get("/2006/12/15/moved/")
    assert response.status_code == 301
    assert response["Location"] == post.get_absolute_url()
    assert client.get("/2006/12/15/no-such-post/").status_code == 404
