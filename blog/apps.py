from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "blog"

    def ready(self):
        from core.page_cache import register_next_publication

        from . import privacy  # noqa: F401 (registers the exporters and erasers of the member's data)
        from .models import Post

        # A scheduled post coming due changes pages without a write: the content version hears of it.
        register_next_publication(lambda: Post.objects.next_publication_time())
