from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from blog.views import PostDetailView, post_or_404

from .forms import CommentForm
from .services import comment_submit


@require_POST
@login_required
def post_comment(request, post_id):
    post = post_or_404(request, post_id)
    if not post.comments_open or not post.is_published:
        messages.error(request, _("Comments are closed on this post."))
        return redirect(post)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return render_post_with_form(request, post, form)
    comment = comment_submit(post=post, author=request.user, body=form.cleaned_data["body"])
    if comment.is_approved:
        messages.success(request, _("Thanks, your comment is published."))
    else:
        messages.info(
            request,
            _("Thanks! Your comment is awaiting moderation and will appear once an editor approves it."),
        )
    return redirect(comment.get_absolute_url())


def render_post_with_form(request, post, form):
    """The post page again, with the member's comment and its errors in the form."""
    view = PostDetailView()
    view.setup(request, slug=post.slug)
    view.object = view.get_object()
    context = view.get_context_data(object=view.object, comment_form=form)
    return view.render_to_response(context, status=400)


def _not_yet(*args, **kwargs):  # being written: threads, edit and remove
    from django.http import Http404

    raise Http404


permalink = edit_comment = remove_comment = _not_yet
