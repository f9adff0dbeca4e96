"""The blog's part of a member's data (see ``accounts/privacy.py``): posts, follows, learning-path progress.

Deleting an account keeps the member's published (and scheduled) posts, now
shown under "deleted member": they belong to the discussions around them and
to the site, as on WordPress-like sites. Posts that never went out (drafts and
posts in review) are deleted with their revision history and cover images.
"""

from accounts.privacy import eraser, exporter
from core.links import absolute_url

from .models import Follow, Post, StepCompletion

UNPUBLISHED = [Post.Status.DRAFT, Post.Status.REVIEW]


def _files(post):
    return [field for field in (post.cover, post.cover_thumbnail) if field]


@exporter
def export_blog(user) -> dict:
    posts = (
        Post.objects.filter(author=user)
        .select_related("community")
        .prefetch_related("categories", "tags")
        .order_by("-publish_at", "-pk")
    )
    follows = Follow.objects.of(user).select_related("category", "tag", "member", "community")
    completions = StepCompletion.objects.filter(member=user).select_related("step__path", "step__post")
    return {
        "posts": [
            {
                "title": post.title,
                "url": absolute_url(post.get_absolute_url()) if post.is_published else "",
                "status": post.status,
                "publish_at": post.publish_at,
                "created": post.created,
                "updated": post.updated,
                "community": post.community.name if post.community_id else None,
                "visibility": post.visibility,
                "categories": [category.name for category in post.categories.all()],
                "tags": [tag.name for tag in post.tags.all()],
                "excerpt": post.excerpt,
                "body": post.body,
            }
            for post in posts
        ],
        "follows": [
            {
                "kind": next(name for name in Follow.TARGETS if getattr(follow, f"{name}_id")),
                "name": follow.member.public_name if follow.member_id else str(follow.target),
                "since": follow.created,
            }
            for follow in follows
        ],
        "learning_path_progress": [
            {
                "path": completion.step.path.title,
                "path_url": absolute_url(completion.step.path.get_absolute_url()),
                "step": completion.step.post.title,
                "done_at": completion.done_at,
            }
            for completion in completions
        ],
    }


@eraser
def erase_blog(user) -> None:
    Follow.objects.filter(follower=user).delete()
    Follow.objects.filter(member=user).delete()
    StepCompletion.objects.filter(member=user).delete()
    unpublished = list(Post.objects.filter(author=user, status__in=UNPUBLISHED))
    if unpublished:
        ids = [post.pk for post in unpublished]
        files = [file for post in unpublished for file in _files(post)]
        Post.objects.filter(pk__in=ids).delete()
        Post.history.filter(id__in=ids).delete()
        for file in files:
            file.delete(save=False)
