"""Write a parsed WordPress export (``parsing.WXRData``) into the portal, in one transaction.

Re-running an import creates no duplicates, so each kind of row has a key:
users by username (or email), categories and tags by slug, posts and pages by
``wp_id``, comments by (post, ``wp_id``). A post edited in the portal since its
import (``updated`` later than ``imported_at``) is left alone; imported pages
and comments are never overwritten. Design and reasons: docs/importer.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from taggit.models import Tag

from accounts.models import User
from blog.models import Category, Page, Post
from comments.models import Comment
from comments.services import refresh_comment_counts
from core.slugs import unique_slug

from .parsing import WPAuthor, WXRData, parse_wxr
from .text import ascii_slug, unicode_slug, wordpress_html_to_body

COMMENT_STATUS = {"1": Comment.Status.APPROVED, "0": Comment.Status.PENDING, "spam": Comment.Status.SPAM}
# anything else ("trash", "post-trashed", …) becomes rejected


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would have done); ``lines()`` is the command's summary."""

    dry_run: bool = False
    items: int = 0
    created: Counter = field(default_factory=Counter)  # kind -> n
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    changed_since_import: list[str] = field(default_factory=list)  # "post 12: Title"
    hidden: list[str] = field(default_factory=list)  # private / password-protected posts kept as drafts
    skipped: Counter = field(default_factory=Counter)  # post types not imported
    attachments: list[tuple[int | None, str, str, bool | None]] = field(
        default_factory=list
    )  # id, title, url, found
    ignored_elements: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    post_ids: list[int] = field(default_factory=list)

    def lines(self):
        yield ("Dry run: nothing was saved." if self.dry_run else "Import finished.")
        yield f"Items in the file: {self.items}"
        for label, counter in (
            ("created", self.created),
            ("updated", self.updated),
            ("unchanged", self.unchanged),
        ):
            if counter:
                yield f"{label.capitalize()}: " + ", ".join(f"{n} {k}" for k, n in sorted(counter.items()))
        if self.changed_since_import:
            yield f"Changed since import, left alone: {len(self.changed_since_import)}"
            yield from (f"  {x}" for x in self.changed_since_import)
        if self.hidden:
            yield f"Kept invisible to the public (private, draft or password-protected): {len(self.hidden)}"
            yield from (f"  {x}" for x in self.hidden)
        if self.skipped:
            yield "Not imported: " + ", ".join(f"{n} {k}" for k, n in sorted(self.skipped.items()))
        if self.attachments:
            yield f"Attachments (not downloaded): {len(self.attachments)}"
            for wp_id, title, url, found in self.attachments:
                where = (
                    ""
                    if found is None
                    else (" [found in media dir]" if found else " [missing from media dir]")
                )
                yield f"  {wp_id}: {title} <{url}>{where}"
        if self.ignored_elements:
            total = sum(self.ignored_elements.values())
            yield (
                f"Unknown elements ignored: {total} ("
                + ", ".join(f"{k}: {n}" for k, n in sorted(self.ignored_elements.items()))
                + ")"
            )
        yield from self.notes


class _DryRun(Exception):
    pass


def import_wxr(data: WXRData, *, dry_run=False, media_dir=None, progress=None) -> ImportReport:
    """Import parsed WXR ``data`` in one transaction (rolled back for a dry run).

    ``progress(n)``, if given, is called as items are done (the command's progress bar).
    """
    report = ImportReport(
        dry_run=dry_run, items=len(data.items), ignored_elements=Counter(data.ignored_elements)
    )
    try:
        with transaction.atomic():
            _Importer(data, report, media_dir=media_dir, progress=progress).run()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def import_file(path, **kwargs) -> ImportReport:
    """Parse the WXR file at ``path`` and import it (``import_wxr``'s keyword arguments)."""
    return import_wxr(parse_wxr(path), **kwargs)


class _Importer:
    def __init__(self, data, report, *, media_dir=None, progress=None):
        self.data, self.report = data, report
        self.media_dir = Path(media_dir) if media_dir else None
        self.progress = progress or (lambda n: None)
        self.users = {}  # login -> User
        self.users_by_wp_id = {}
        self.categories = {}  # WordPress slug -> Category
        self.now = timezone.now()

    def run(self):
        for author in self.data.authors:
            if author.login:
                self.user_for(author)
        self.import_categories()
        self.import_tags()
        posts, pages = [], []
        for item in self.data.items:
            if item.post_type == "post":
                posts.append(item)
            elif item.post_type == "page":
                pages.append(item)
            elif item.post_type == "attachment":
                self.attachment(item)
                self.progress(1)
            else:
                self.report.skipped[f"{item.post_type or 'untyped'} items"] += 1
                self.progress(1)
        for item in posts:
            self.import_post(item)
            self.progress(1)
        self.import_pages(pages)
        if self.report.post_ids:
            refresh_comment_counts(post_ids=self.report.post_ids)

    # -- people

    def user_for(self, author):
        login = author.login[:150]
        if login in self.users:
            return self.users[login]
        user = User.objects.filter(username=login).first()
        if user is None and author.email:
            user = User.objects.filter(email__iexact=author.email).first()
        if user is None:
            user = User(
                username=login,
                email=author.email[:254],
                display_name=(author.display_name or "")[: User._meta.get_field("display_name").max_length],
                first_name=author.first_name[:150],
                last_name=author.last_name[:150],
                is_active=False,
            )
            user.set_unusable_password()
            user.save()
            self.report.created["authors"] += 1
        else:
            self.report.unchanged["authors"] += 1
        self.users[login] = user
        if author.wp_id:
            self.users_by_wp_id[author.wp_id] = user
        return user

    def default_author(self):
        if self.users:
            return next(iter(self.users.values()))
        return self.user_for(WPAuthor(login="wordpress", display_name="WordPress"))

    # -- terms

    def import_categories(self):
        terms = [t for t in self.data.terms if t.taxonomy == "category"]
        for term in terms:
            slug = ascii_slug(term.slug, term.name, "category")[:100]
            category = Category.objects.filter(slug=slug).first()
            if category is None:
                name = term.name[:100] or slug
                if Category.objects.filter(name=name).exists():
                    name = f"{name[:90]} ({slug})"[:100]
                category = Category.objects.create(name=name, slug=slug, description=term.description)
                self.report.created["categories"] += 1
            else:
                self.report.unchanged["categories"] += 1
            self.categories[term.slug] = category
        for term in terms:  # WordPress's hierarchy, once every category exists
            category, parent = self.categories[term.slug], self.categories.get(term.parent)
            if term.parent and parent and category.parent_id is None and parent != category:
                category.parent = parent
                category.save(update_fields=["parent"])

    def category(self, nicename, name):
        if nicename in self.categories:
            return self.categories[nicename]
        slug = ascii_slug(nicename, name, "category")[:100]
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            name = (name or slug)[:100]
            if Category.objects.filter(name=name).exists():
                name = f"{name[:90]} ({slug})"[:100]
            category = Category.objects.create(name=name, slug=slug)
            self.report.created["categories"] += 1
        self.categories[nicename] = category
        return category

    def import_tags(self):
        for term in self.data.terms:
            if term.taxonomy == "post_tag":
                self.tag(term.slug, term.name, count=True)

    def tag(self, nicename, name, *, count=False):
        slug = ascii_slug(nicename, name, "tag")[:100]
        tag = Tag.objects.filter(slug=slug).first()
        if tag is None:
            tag_name = (name or slug)[:100]
            if Tag.objects.filter(name=tag_name).exists():
                tag_name = f"{tag_name[:90]} ({slug})"[:100]
            tag = Tag.objects.create(name=tag_name, slug=slug)
            self.report.created["tags"] += 1
        elif count:
            self.report.unchanged["tags"] += 1
        return tag

    # -- posts

    def post_fields(self, item):
        title = item.title
        if len(title) > 200:
            self.report.notes.append(f"Title of post {item.wp_id} shortened to 200 characters.")
            title = title[:199] + "…"
        status = Post.Status.PUBLISHED
        hidden_because = ""
        if item.status in ("publish", "future"):
            if item.password:
                status, hidden_because = Post.Status.DRAFT, "password-protected"
        elif item.status == "pending":
            status, hidden_because = Post.Status.REVIEW, "pending review"
        elif item.status == "private":
            status, hidden_because = Post.Status.DRAFT, "private"
        else:
            status, hidden_because = Post.Status.DRAFT, item.status or "no status"
        return {
            "title": title,
            "body": wordpress_html_to_body(item.content),
            "excerpt": wordpress_html_to_body(item.excerpt),
            "status": status,
            "publish_at": item.date_gmt or self.now,
            "comments_open": item.comment_status == "open",
            "featured": item.sticky,
        }, hidden_because

    def import_post(self, item):
        if item.wp_id is None:
            self.report.skipped["posts without wp:post_id"] += 1
            return
        if item.status in ("trash", "auto-draft", "inherit"):
            self.report.skipped[f"{item.status} posts"] += 1
            return
        values, hidden_because = self.post_fields(item)
        label = f"post {item.wp_id}: {item.title[:80]}"
        if hidden_because:
            self.report.hidden.append(f"{label} ({hidden_because})")
        category_list = [
            self.category(nicename or name, name) for d, nicename, name in item.terms if d == "category"
        ]
        tag_list = [self.tag(nicename, name) for d, nicename, name in item.terms if d == "post_tag"]
        post = Post.objects.filter(wp_id=item.wp_id).first()
        if post is not None:
            if post.imported_at and post.updated > post.imported_at:
                self.report.changed_since_import.append(label)
                self.report.post_ids.append(post.pk)
                self.import_comments(post, item)
                return
            if item.date_gmt is None:
                values["publish_at"] = post.publish_at  # undated drafts keep their first import's date
            changed = [k for k, v in values.items() if getattr(post, k) != v]
            same_terms = set(post.categories.all()) == set(category_list) and set(post.tags.all()) == set(
                tag_list
            )
            if not changed and same_terms:
                self.report.unchanged["posts"] += 1
            else:
                for k in changed:
                    setattr(post, k, values[k])
                post.save()
                self.report.updated["posts"] += 1
        else:
            slug = unique_slug(Post, ascii_slug(item.slug, item.title, f"post-{item.wp_id}"))
            author = self.users.get(item.creator[:150]) if item.creator else None
            if author is None:
                author = (
                    self.user_for(WPAuthor(login=item.creator)) if item.creator else self.default_author()
                )
            post = Post(wp_id=item.wp_id, slug=slug, author=author, **values)
            post.save()
            self.report.created["posts"] += 1
        post.categories.set(category_list)
        post.tags.set(tag_list)
        post.refresh_search_tags()
        Post.objects.filter(pk=post.pk).update(imported_at=F("updated"))
        self.report.post_ids.append(post.pk)
        self.import_comments(post, item)

    # -- comments

    def import_comments(self, post, item):
        existing = {c.wp_id: c for c in Comment.objects.filter(post=post, wp_id__isnull=False)}
        by_wp_id = dict(existing)
        new = []
        for wc in item.comments:
            if not wc.wp_id or wc.wp_id in by_wp_id:
                if wc.wp_id in existing:
                    self.report.unchanged["comments"] += 1
                continue
            author = self.users_by_wp_id.get(wc.user_id) if wc.user_id else None
            url = wc.author_url if wc.author_url.startswith(("http://", "https://")) else ""
            comment = Comment(
                post=post,
                author=author,
                author_name=(wc.author_name or (author.public_name if author else "") or "Anonymous")[:100],
                author_url=url if len(url) <= 300 else "",
                author_email=wc.author_email[:254],
                body=wordpress_html_to_body(wc.content),
                status=COMMENT_STATUS.get(wc.approved, Comment.Status.REJECTED),
                wp_id=wc.wp_id,
            )
            comment.save()
            Comment.objects.filter(pk=comment.pk).update(created=wc.date_gmt or post.publish_at)
            by_wp_id[wc.wp_id] = comment
            new.append((comment, wc))
            self.report.created["comments"] += 1
        parents = {wc.wp_id: wc.parent for wc in item.comments}
        for comment, wc in new:  # threading, once every comment of the post exists
            chain, seen, current = [], {wc.wp_id}, wc.parent
            while current and current in by_wp_id and current not in seen:
                chain.append(by_wp_id[current])
                seen.add(current)
                current = parents.get(
                    current, by_wp_id[current].parent.wp_id if by_wp_id[current].parent else 0
                )
            if chain:
                Comment.objects.filter(pk=comment.pk).update(
                    parent=chain[0], thread_root=chain[-1], depth=len(chain)
                )

    # -- pages

    def import_pages(self, pages):
        by_wp_id = {p.wp_id: p for p in pages if p.wp_id is not None}
        done = {}

        def depth(item, seen=()):
            parent = by_wp_id.get(item.parent)
            return 0 if parent is None or item.wp_id in seen else 1 + depth(parent, (*seen, item.wp_id))

        for item in sorted(pages, key=depth):
            self.progress(1)
            if item.comments:
                self.report.skipped["comments on pages (the portal has none)"] += len(item.comments)
            if item.wp_id is None:
                self.report.skipped["pages without wp:post_id"] += 1
                continue
            if item.status in ("trash", "auto-draft", "inherit"):
                self.report.skipped[f"{item.status} pages"] += 1
                continue
            page = Page.objects.filter(wp_id=item.wp_id).first()
            if page is not None:
                self.report.unchanged["pages"] += 1
                done[item.wp_id] = page
                continue
            parent = done.get(item.parent) or (
                Page.objects.filter(wp_id=item.parent).first() if item.parent else None
            )
            slug = unicode_slug(item.slug, item.title, f"page-{item.wp_id}")[:200]
            base, n = slug, 2
            prefix = parent.path if parent else ""
            while Page.objects.filter(path=f"{prefix}{slug}/").exists():
                slug, n = f"{base[:190]}-{n}", n + 1
            published = item.status == "publish" and not item.password
            if not published:
                self.report.hidden.append(
                    f"page {item.wp_id}: {item.title[:80]} ({item.status or 'no status'})"
                )
            page = Page(
                title=item.title[:200],
                slug=slug,
                parent=parent,
                body=wordpress_html_to_body(item.content),
                status=Page.Status.PUBLISHED if published else Page.Status.DRAFT,
                menu_order=item.menu_order,
                wp_id=item.wp_id,
            )
            page.save()
            done[item.wp_id] = page
            self.report.created["pages"] += 1

    # -- attachments

    def attachment(self, item):
        url = item.attachment_url or ""
        found = None
        if self.media_dir is not None and url:
            path = unquote(urlsplit(url).path)
            relative = path.split("/wp-content/uploads/", 1)[-1].lstrip("/")
            found = (self.media_dir / relative).is_file() or (self.media_dir / Path(path).name).is_file()
        self.report.attachments.append((item.wp_id, item.title, url, found))
