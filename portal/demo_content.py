"""Demo content for ``manage.py seed_demo``: members and constants here, the prose in ``portal/demo/``.

Each demo post is a Markdown file in ``portal/demo/posts/`` (its name is the slug) whose TOML
front matter holds the post's data and its discussion; ``portal/demo/benchmark.toml`` holds the
text of the bulk data of ``seed_demo --posts``. ``portal/demo/README.md`` describes the format.
``load_posts()`` and ``load_benchmark()`` read and check them; the command turns them into rows
through the models' own ``save()`` and the comments services. Dates are relative (days before
the command runs, hours after a post), so a fresh demo always looks recent.
"""

import re
import tomllib
from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from pathlib import Path

INDIVIDUAL = "individual-learning"
ORGANIZATIONAL = "organizational-learning"
CATEGORIES = (INDIVIDUAL, ORGANIZATIONAL)
# The choices of blog.models.Post.Status and comments.models.Comment.Status (a test keeps them equal).
POST_STATUSES = ("draft", "review", "published")
POST_VISIBILITIES = ("public", "members")  # blog.models.Post.Visibility (a test keeps them equal)
COMMENT_STATUSES = ("pending", "approved", "rejected", "spam")

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "demo-admin-pass"  # noqa: S105 - demo only, the command refuses to run with DEBUG off
EDITOR_USERNAME = "editor"
EDITOR_PASSWORD = "demo-editor-pass"  # noqa: S105
MEMBER_PASSWORD = "demo-member-pass"  # noqa: S105

FLAGSHIP_SLUG = "learning-alone-learning-together"

CONTENT_DIR = Path(__file__).resolve().parent / "demo"
POSTS_DIR = CONTENT_DIR / "posts"
BENCHMARK_FILE = CONTENT_DIR / "benchmark.toml"


@dataclass(frozen=True)
class DemoMember:
    username: str
    display_name: str
    bio: str
    website: str = ""
    first_name: str = ""
    last_name: str = ""
    is_staff: bool = False
    is_superuser: bool = False
    editor: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@example.org"


@dataclass(frozen=True)
class DemoComment:
    """A comment ``hours_after`` its post went out, moderated into ``status``.

    ``author`` is a demo member's username; ``None`` makes a guest comment with
    the ``guest_*`` fields, as if imported from the old WordPress blog.
    """

    author: str | None
    body: str
    status: str = "approved"
    hours_after: int = 6
    guest_name: str = ""
    guest_url: str = ""
    guest_email: str = ""


@dataclass(frozen=True)
class DemoPost:
    title: str
    slug: str
    author: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    excerpt: str
    body: str
    days_ago: int
    status: str = "published"
    community: str = ""  # a demo community's slug (COMMUNITIES); empty: a post of the whole portal
    visibility: str = "public"  # "members": for the community's members only
    comments: tuple[DemoComment, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class BenchmarkText:
    """The text of ``seed_demo --posts``: a few bodies and comments reused for thousands of rows."""

    bodies: tuple[str, ...]
    excerpt: str
    comments: tuple[str, ...]


MEMBERS = (
    DemoMember(
        username=ADMIN_USERNAME,
        display_name="Portal team",
        bio="The people who keep this portal running. Write to us if something is broken.",
        is_staff=True,
        is_superuser=True,
    ),
    DemoMember(
        username=EDITOR_USERNAME,
        display_name="Helen Marsh",
        first_name="Helen",
        last_name="Marsh",
        bio=(
            "Editor of the portal. Twenty years in workplace learning, first as a trainer, "
            "then helping teams learn from their own work instead of from slide decks."
        ),
        website="https://helen-marsh.example.net/",
        is_staff=True,
        editor=True,
    ),
    DemoMember(
        username="tomas",
        display_name="Tomás Herrero",
        first_name="Tomás",
        last_name="Herrero",
        bio=(
            "Profesor de formación profesional en Valencia. I write about apprenticeship, "
            "adult learners and what classrooms can borrow from workshops."
        ),
        website="https://tomas-herrero.example.net/",
    ),
    DemoMember(
        username="lucia",
        display_name="Lucía Mendoza",
        first_name="Lucía",
        last_name="Mendoza",
        bio=(
            "Gestora del conocimiento en una red de cooperativas agrícolas en Colombia. "
            "Interested in how communities remember."
        ),
        website="https://lucia-mendoza.example.org/",
    ),
    DemoMember(
        username="jonas",
        display_name="Jonas Böhmer",
        first_name="Jonas",
        last_name="Böhmer",
        bio=(
            "Ausbilder in einem Maschinenbaubetrieb bei Hamburg. Trainer of apprentices, "
            "collector of shop-floor knowledge that never made it into a manual."
        ),
        website="https://jonas-boehmer.example.de/",
    ),
    DemoMember(
        username="katrin",
        display_name="Katrin Vogt",
        first_name="Katrin",
        last_name="Vogt",
        bio="Librarian in Leipzig. Wikis, reading groups and the quiet art of finding things.",
        website="https://katrin-vogt.example.de/",
    ),
    DemoMember(
        username="priya",
        display_name="Priya Raman",
        first_name="Priya",
        last_name="Raman",
        bio=(
            "Learning and development lead at a hospital trust in London. "
            "Believes every shift handover is a small lesson."
        ),
        website="https://priya-raman.example.co.uk/",
    ),
    DemoMember(
        username="daniel",
        display_name="Daniel Osei",
        first_name="Daniel",
        last_name="Osei",
        bio="Runs a software team in Toronto. Retrospectives, pair programming, long walks.",
        website="https://daniel-osei.example.com/",
    ),
    DemoMember(
        username="sam",
        display_name="Sam Whitfield",
        first_name="Sam",
        last_name="Whitfield",
        bio="New here. Instructional designer, trying to unlearn the word “module”.",
    ),
)

TAG_NAMES = (
    "web 2.0",
    "communities of practice",
    "personal knowledge management",
    "networks",
    "reflection",
    "knowledge management",
)


@dataclass(frozen=True)
class DemoCommunity:
    """A demo community, created by its owner through ``accounts.services`` as on the site.

    ``members`` and ``moderators`` join (an open community) or are invited and
    accept (any other); ``invited`` are invited by the owner and have not answered.
    A ``parent`` (an organization's slug) comes earlier in ``COMMUNITIES``.
    """

    slug: str
    name: str
    kind: str  # accounts.models.Community.Kind
    visibility: str  # Community.Visibility
    join_policy: str  # Community.JoinPolicy
    owner: str
    description: str
    parent: str = ""
    moderators: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    invited: tuple[str, ...] = ()


ORGANIZATION_SLUG = "riverside-health-trust"
PRIVATE_COMMUNITY_SLUG = "night-shift-handovers"
PRACTICE_SLUG = "reflective-practice-circle"

COMMUNITIES = (
    DemoCommunity(
        slug=ORGANIZATION_SLUG,
        name="Riverside Health Trust",
        kind="organization",
        visibility="public",
        join_policy="request",
        owner="priya",
        moderators=("katrin",),
        members=("daniel",),
        description=(
            "A hospital trust that learns from its own work: ward teams, handovers and the people "
            "who train the next shift. Its communities are where they write it down."
        ),
    ),
    DemoCommunity(
        slug=PRIVATE_COMMUNITY_SLUG,
        name="Night shift handovers",
        kind="study_group",
        visibility="private",
        join_policy="invitation",
        owner="priya",
        parent=ORGANIZATION_SLUG,
        moderators=("katrin",),
        members=("daniel",),
        invited=("sam",),
        description=(
            "Nurses and trainers of the night shift compare how they hand over, and what got lost "
            "at 7 a.m. Private: what is said here stays with its members."
        ),
    ),
    DemoCommunity(
        slug=PRACTICE_SLUG,
        name="Reflective practice circle",
        kind="practice",
        visibility="public",
        join_policy="open",
        owner="lucia",
        moderators=("tomas",),
        members=("jonas", "katrin"),
        description=(
            "Practitioners from schools, farms, workshops and wards who meet once a month to look "
            "back at a piece of their work. Anyone may join."
        ),
    ),
)


@dataclass(frozen=True)
class DemoPathStep:
    post: str  # a demo post's slug (a public one: a path is for everyone)
    stage: str  # blog.models.LearningPathStep.Stage
    note: str


@dataclass(frozen=True)
class DemoLearningPath:
    slug: str
    title: str
    description: str
    steps: tuple[DemoPathStep, ...]


LEARNING_PATHS = (
    DemoLearningPath(
        slug="learning-together-in-three-steps",
        title="Learning together in three steps",
        description="From your own notebook to a community that learns: three posts to read in order.",
        steps=(
            DemoPathStep(
                "a-notebook-that-talks-back",
                "dependence",
                "Start with your own notes: the habit everything else builds on.",
            ),
            DemoPathStep(
                "the-after-action-review-ten-minutes-at-a-time",
                "independence",
                "Then look back at your work with your team, ten minutes at a time.",
            ),
            DemoPathStep(
                "what-a-community-of-practice-is-not",
                "interdependence",
                "Finally, what it takes for a group of practitioners to learn together.",
            ),
        ),
    ),
)


@dataclass(frozen=True)
class DemoJourney:
    """A journey through the demo and who to sign in as for it (printed by ``seed_demo``, in the README)."""

    who: str
    username: str  # empty: a visitor, signed out
    what: str


JOURNEYS = (
    DemoJourney(
        "invited member",
        "sam",
        "My communities shows an invitation to the private “Night shift handovers”: accept it there, "
        "then read its members-only post.",
    ),
    DemoJourney(
        "organization owner",
        "priya",
        "Owns Riverside Health Trust and its private “Night shift handovers”: write a members-only "
        "post from the community page, manage members and invitations, open Insights.",
    ),
    DemoJourney(
        "community leader",
        "lucia",
        "Owns the open “Reflective practice circle” (Tomás moderates it), with a members-only post.",
    ),
    DemoJourney(
        "outsider",
        "tomas",
        "In no community of the trust: “Night shift handovers” is a 404 to him.",
    ),
    DemoJourney(
        "editor",
        EDITOR_USERNAME,
        "The moderation queue (a held comment), the admin, learning paths and tags.",
    ),
    DemoJourney(
        "visitor",
        "",
        "Public posts, the learning path, the public communities; no private one.",
    ),
)


# --- Reading the content files ---------------------------------------------------

FRONT_MATTER = re.compile(r"\A\+\+\+\n(?P<front>.*?)^\+\+\+\n(?P<body>.*)\Z", re.DOTALL | re.MULTILINE)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# What each front-matter key must hold; the slug is the file's name and the body follows the front matter.
POST_KEYS = {
    "title": str,
    "author": str,
    "days_ago": int,
    "status": str,
    "categories": list,
    "tags": list,
    "excerpt": str,
    "community": str,
    "visibility": str,
    "comments": list,
}
COMMENT_KEYS = {
    "author": str,
    "hours_after": int,
    "status": str,
    "guest_name": str,
    "guest_url": str,
    "guest_email": str,
    "body": str,
}


KINDS = {str: "a string", int: "a whole number", list: "a list"}


class DemoContentError(ValueError):
    """A content file that cannot be read or breaks a rule of ``portal/demo/README.md``."""


def post_paths() -> list[Path]:
    return sorted(POSTS_DIR.glob("*.md"))


@cache
def load_posts() -> tuple[DemoPost, ...]:
    """Every post of ``portal/demo/posts/``, oldest first (the order ``seed_demo`` creates them in)."""
    posts = [parse_post(path) for path in post_paths()]
    if not posts:
        raise DemoContentError(f"no posts in {POSTS_DIR}.")
    return tuple(sorted(posts, key=lambda post: (-post.days_ago, post.slug)))


def parse_post(path: Path) -> DemoPost:
    """One post file: ``+++``, the TOML front matter, ``+++``, then the Markdown body."""
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    if match is None:
        raise DemoContentError(
            f"{path}: the file must start with a line '+++', the front matter, and another line '+++'."
        )
    try:
        data = tomllib.loads(match["front"])
    except tomllib.TOMLDecodeError as error:
        raise DemoContentError(f"{path}: the front matter is not valid TOML: {error}") from None
    check_keys(path, "the front matter", data, POST_KEYS)
    comments = []
    for number, values in enumerate(data.pop("comments", []), start=1):
        where = f"comment {number}"
        if not isinstance(values, dict):
            raise DemoContentError(f"{path}: {where} must be a [[comments]] table.")
        check_keys(path, where, values, COMMENT_KEYS)
        comments.append(demo_comment(path, where, values))
    values = {**data, "slug": path.stem, "body": match["body"].strip() + "\n", "comments": tuple(comments)}
    for key in ("categories", "tags"):
        if key in values:
            values[key] = tuple(values[key])
    post = make(path, "the front matter", DemoPost, **values)
    problems = []
    if not SLUG.fullmatch(post.slug):
        problems.append("the file name must be a slug: lowercase letters, digits and hyphens, then .md")
    if post.author not in member_usernames():
        problems.append(f"author {post.author!r} is not a demo member")
    if unknown := [slug for slug in post.categories if slug not in CATEGORIES]:
        problems.append(f"unknown categories {unknown} (known: {', '.join(CATEGORIES)})")
    if not all(isinstance(tag, str) and tag for tag in post.tags):
        problems.append("tags must be non-empty strings")
    if post.status not in POST_STATUSES:
        problems.append(f"status {post.status!r} is not one of {', '.join(POST_STATUSES)}")
    if post.community and post.community not in community_slugs():
        problems.append(f"community {post.community!r} is not a demo community")
    if post.visibility not in POST_VISIBILITIES:
        problems.append(f"visibility {post.visibility!r} is not one of {', '.join(POST_VISIBILITIES)}")
    elif post.visibility == "members" and not post.community:
        problems.append("a members-only post needs a community")
    if not post.body.strip():
        problems.append("the body after the front matter is empty")
    if problems:
        raise DemoContentError(f"{path}: {'; '.join(problems)}.")
    return post


def demo_comment(path, where, values):
    comment = make(
        path, where, DemoComment, **{"author": None, **values, "body": values.get("body", "").strip()}
    )
    problems = []
    if comment.author is not None and comment.author not in member_usernames():
        problems.append(f"author {comment.author!r} is not a demo member")
    if comment.author is None and not comment.guest_name:
        problems.append("a guest comment (no author) needs a guest_name")
    if comment.status not in COMMENT_STATUSES:
        problems.append(f"status {comment.status!r} is not one of {', '.join(COMMENT_STATUSES)}")
    if not comment.body:
        problems.append("the body is empty")
    if problems:
        raise DemoContentError(f"{path}: {where}: {'; '.join(problems)}.")
    return comment


def check_keys(path, where, values, allowed):
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise DemoContentError(
            f"{path}: {where}: unknown keys {', '.join(unknown)} (allowed: {', '.join(allowed)})."
        )
    for key, kind in allowed.items():
        if key in values and (not isinstance(values[key], kind) or isinstance(values[key], bool)):
            raise DemoContentError(f"{path}: {where}: {key} must be {KINDS[kind]}.")


def make(path, where, cls, **values):
    """``cls(**values)``, or an error naming the file and the keys it lacks."""
    missing = [
        f.name
        for f in fields(cls)
        if f.default is MISSING and f.default_factory is MISSING and f.name not in values
    ]
    if missing:
        raise DemoContentError(f"{path}: {where}: missing {', '.join(missing)}.")
    return cls(**values)


def member_usernames():
    return {member.username for member in MEMBERS}


def community_slugs():
    return {community.slug for community in COMMUNITIES}


@cache
def load_benchmark() -> BenchmarkText:
    """The bodies, excerpt and comments of ``portal/demo/benchmark.toml``."""
    try:
        data = tomllib.loads(BENCHMARK_FILE.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise DemoContentError(f"{BENCHMARK_FILE}: not valid TOML: {error}") from None
    check_keys(BENCHMARK_FILE, "the file", data, {"excerpt": str, "bodies": list, "comments": list})
    bodies, comments = data.get("bodies", []), data.get("comments", [])
    texts = [data.get("excerpt"), *bodies, *comments]
    if not bodies or not comments or not all(isinstance(text, str) and text.strip() for text in texts):
        raise DemoContentError(
            f"{BENCHMARK_FILE}: excerpt, bodies and comments must be there, as non-empty strings."
        )
    return BenchmarkText(
        bodies=tuple(body.strip() + "\n" for body in bodies),
        excerpt=data["excerpt"].strip(),
        comments=tuple(comment.strip() for comment in comments),
    )
