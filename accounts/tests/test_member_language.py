"""A member's language (``User.language``): chosen with a POST, applied on sign-in, followed by every email.

Visitors switch with a GET link that only sets the cookie; signed-in members
get a POST form (CSRF-checked) that also saves the choice. The emails the
portal sends (comment notifications, moderation notices and digests, weekly
digests, invitations, allauth's account emails) are written in the
recipient's language, whatever the language of the worker or of the request
that sends them.
"""

import pytest
from django.conf import settings
from django.db import connection
from django.tasks import default_task_backend
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Invitation, Membership, User
from accounts.services import invite
from blog.tasks import build_digest_email
from comments import services
from comments.models import Comment
from testing.clients import client_for
from testing.factories import (
    PASSWORD,
    CommunityFactory,
    EditorFactory,
    PostFactory,
    UserFactory,
)
from testing.mail import html_of, inbox
from testing.worlds import trusted_member

pytestmark = pytest.mark.django_db
COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def queue():
    default_task_backend.clear()
    yield
    default_task_backend.clear()


def run_queued_tasks():
    """Run what the dummy task backend holds, as the worker would (tasks enqueued meanwhile too)."""
    done = set()
    while pending := [r for r in default_task_backend.results if r.id not in done]:
        for result in pending:
            done.add(result.id)
            result.task.call(*result.args, **result.kwargs)


# --- Emails in the member's language ------------------------------------------------------------


def test_a_comment_notification_is_in_the_language_each_member_chose(django_capture_on_commit_callbacks):
    spanish = UserFactory(display_name="Lucía", language="es")
    english = UserFactory(display_name="Lucy", language="en")
    undecided = UserFactory(display_name="Lou", language="")
    commenter = trusted_member(display_name="Robin")
    for author in (spanish, english, undecided):
        post = PostFactory(author=author, title=f"Notes of {author.display_name}")
        with django_capture_on_commit_callbacks(execute=True):
            services.comment_submit(post=post, author=commenter, body="A thought worth sharing.")
    # The worker runs in whatever language it was left in: the member's wins.
    with translation.override("es"):
        run_queued_tasks()

    (to_spanish,) = inbox(spanish.email)
    assert to_spanish.subject == "[Learning Together] Robin ha comentado tu entrada «Notes of Lucía»"
    assert "Hola, Lucía:" in to_spanish.body
    assert "Léelo y responde:" in to_spanish.body
    assert "commented on your post" not in to_spanish.body
    assert "Dejar de recibir" in html_of(to_spanish) and "Stop " not in html_of(to_spanish)

    for member in (english, undecided):  # no choice: the site's language, English
        (message,) = inbox(member.email)
        assert (
            message.subject
            == f"[Learning Together] Robin commented on your post “Notes of {member.display_name}”"
        )
        assert f"Hello {member.display_name}," in message.body
        assert "Read it and answer:" in message.body
        assert "Léelo" not in message.body and "Léelo" not in html_of(message)


def test_moderation_notices_and_digests_follow_each_recipients_language(django_capture_on_commit_callbacks):
    spanish_editor = EditorFactory(language="es")
    english_editor = EditorFactory(language="en")
    author = UserFactory(language="es")  # a first comment is held
    post = PostFactory(title="Double loop")
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.comment_submit(post=post, author=author, body="First try.")
    assert comment.status == Comment.Status.PENDING
    run_queued_tasks()  # the editors' digest
    (digest_es,) = inbox(spanish_editor.email)
    (digest_en,) = inbox(english_editor.email)
    assert digest_es.subject == "[Learning Together] 1 comentario retenido por revisar"
    assert digest_en.subject == "[Learning Together] 1 held comment to review"
    with django_capture_on_commit_callbacks(execute=True):
        services.comments_moderate(
            comments=Comment.objects.filter(pk=comment.pk),
            status=Comment.Status.APPROVED,
            moderator=english_editor,
        )
    run_queued_tasks()
    (approved,) = inbox(author.email)
    assert approved.subject == "[Learning Together] Tu comentario sobre «Double loop» se ha publicado"


def test_the_weekly_digest_is_in_the_members_language():
    posts = [PostFactory(title="Tacit knowledge", publish_at=timezone.now())]
    spanish = build_digest_email(UserFactory(language="es"), posts, total=1)
    english = build_digest_email(UserFactory(language=""), posts, total=1)
    assert "Tu resumen semanal: 1 entrada nueva de lo que sigues" in spanish.subject
    assert "Dejar de recibir el resumen semanal" in spanish.body
    assert "Your weekly digest: 1 new post from what you follow" in english.subject
    assert "resumen" not in english.body


def test_invitations_to_members_follow_the_member_and_to_addresses_the_inviter(
    django_capture_on_commit_callbacks,
):
    owner = UserFactory(language="")
    community = CommunityFactory(name="Círculo", owner=owner)
    spanish = UserFactory(language="es")
    english = UserFactory(language="en")
    # The owner works in English; the Spanish member still gets Spanish, and back.
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        invite(community=community, inviter=owner, username_or_email=spanish.username)
    with translation.override("es"), django_capture_on_commit_callbacks(execute=True):
        invite(community=community, inviter=owner, username_or_email=english.username)
        # An address with no account: written in the language the inviter is using.
        invitation = invite(community=community, inviter=owner, username_or_email="nuevo@example.org")
    assert isinstance(invitation, Invitation)
    assert Membership.objects.filter(community=community, status=Membership.Status.INVITED).count() == 2
    run_queued_tasks()

    inviter = owner.public_name
    (to_spanish,) = inbox(spanish.email)
    assert to_spanish.subject == f"[Learning Together] {inviter} te invita a unirte a Círculo"
    (to_english,) = inbox(english.email)
    assert to_english.subject == f"[Learning Together] {inviter} invites you to join Círculo"
    (to_address,) = inbox("nuevo@example.org")
    assert to_address.subject == f"[Learning Together] {inviter} te invita a unirte a Círculo"


def test_account_emails_follow_the_member_and_otherwise_the_request():
    UserFactory(username="ana", email="ana@example.org", language="es")
    # Asked for from an English page: the member chose Spanish.
    Client().post(reverse("account_reset_password"), {"email": "ana@example.org"})
    (reset,) = inbox("ana@example.org")
    assert "restablecer" in reset.subject.lower(), reset.subject

    # A visitor signing up in Spanish has chosen nothing yet: the request's language.
    visitor = Client()
    visitor.cookies.load({COOKIE: "es"})
    visitor.post(
        reverse("account_signup"),
        {"email": "bea@example.org", "username": "bea", "password1": PASSWORD, "password2": PASSWORD},
    )
    (confirm,) = inbox("bea@example.org")
    assert "confirme su dirección de correo" in confirm.subject, confirm.subject
    assert User.objects.get(username="bea").language == ""  # nothing chosen, nothing stored


# --- Choosing: a POST for members, a GET link for visitors ----------------------------------------


def test_a_members_post_saves_the_language_and_sets_the_cookie():
    member = UserFactory(language="")
    client = client_for(member)
    response = client.post(reverse("switch_language", kwargs={"code": "es"}), {"next": "/paths/?page=2"})
    assert response.status_code == 302 and response["Location"] == "/paths/?page=2"
    assert response.cookies[COOKIE].value == "es"
    member.refresh_from_db()
    assert member.language == "es"
    page = client.get("/paths/").content.decode()
    assert '<html lang="es">' in page and "Itinerarios de aprendizaje" in page


def test_the_switch_is_a_csrf_protected_form_for_members_and_a_link_for_visitors():
    member = UserFactory()
    page = client_for(member).get("/paths/").content.decode()
    form = page[page.index('<nav class="language-switcher') :]
    form = form[: form.index("</nav>")]
    assert '<form method="post" action="/language/es/"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<input type="hidden" name="next" value="/paths/">' in form
    assert "href=" not in form  # no GET link for members
    anonymous = Client().get("/paths/").content.decode()
    assert 'href="/language/es/?next=%2Fpaths%2F"' in anonymous
    assert "csrfmiddlewaretoken" not in anonymous


def test_a_get_by_a_member_sets_only_the_cookie_and_writes_nothing():
    member = UserFactory(language="en")
    client = client_for(member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("switch_language", kwargs={"code": "es"}), {"next": "/"})
    assert response.status_code == 302 and response.cookies[COOKIE].value == "es"
    writes = [
        q["sql"]
        for q in queries
        if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))
    ]
    assert writes == []
    member.refresh_from_db()
    assert member.language == "en"


def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing():
    member = UserFactory(language="en")
    client = client_for(member, enforce_csrf_checks=True)
    response = client.post(reverse("switch_language", kwargs={"code": "es"}), {"next": "/"})
    assert response.status_code == 403
    assert COOKIE not in response.cookies
    member.refresh_from_db()
    assert member.language == "en"


def test_the_post_with_the_pages_own_token_works_and_never_leaves_the_site():
    member = UserFactory(language="")
    client = client_for(member, enforce_csrf_checks=True)
    page = client.get("/paths/").content.decode()
    form = page[page.index('<nav class="language-switcher') :]
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(
        reverse("switch_language", kwargs={"code": "es"}),
        {"csrfmiddlewaretoken": token, "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    member.refresh_from_db()
    assert member.language == "es"


def test_a_visitors_post_sets_the_cookie_and_an_unknown_language_is_a_404():
    visitor = Client()
    response = visitor.post(reverse("switch_language", kwargs={"code": "es"}), {"next": "/"})
    assert response.status_code == 302 and response.cookies[COOKIE].value == "es"
    member = UserFactory(language="en")
    response = client_for(member).post("/language/fr/", {"next": "/"})
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.language == "en"


def test_the_profile_form_chooses_the_language_too():
    member = UserFactory(language="")
    client = client_for(member)
    page = client.get(reverse("accounts:edit_profile")).content.decode()
    assert 'name="language" value="es"' in page
    data = {"display_name": member.display_name, "bio": "", "website": "", "digest": "none"}
    response = client.post(reverse("accounts:edit_profile"), {**data, "language": "es"})
    assert response.status_code == 302 and response.cookies[COOKIE].value == "es"
    member.refresh_from_db()
    assert member.language == "es"
    # A form posted without the field (an older page) keeps the choice.
    response = client.post(reverse("accounts:edit_profile"), data)
    member.refresh_from_db()
    assert member.language == "es" and COOKIE not in response.cookies
    # Something else than a language is refused.
    response = client.post(reverse("accounts:edit_profile"), {**data, "language": "xx"})
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.language == "es"


def test_choosing_spanish_on_the_profile_says_so_in_spanish():
    member = UserFactory(language="")
    client = client_for(member)
    data = {"display_name": member.display_name, "bio": "", "website": "", "digest": "none", "language": "es"}
    page = client.post(reverse("accounts:edit_profile"), data, follow=True).content.decode()
    assert "Tu perfil se ha actualizado." in page
    assert "Your profile has been updated." not in page


# --- Signing in applies it -------------------------------------------------------------------------


def test_signing_in_switches_the_interface_to_the_members_language():
    UserFactory(username="carmen", language="es")
    client = Client()
    client.cookies.load({COOKIE: "en"})  # this browser was in English
    response = client.post(reverse("account_login"), {"login": "carmen", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "es"
    page = client.get(response["Location"], follow=True).content.decode()
    assert '<html lang="es">' in page
    assert "Ha iniciado sesión exitosamente como" in page  # allauth's message, rendered in Spanish


def test_signing_in_on_the_admins_own_page_switches_to_the_members_language_too():
    EditorFactory(username="elena", language="es", password=PASSWORD)
    client = Client()
    client.cookies.load({COOKIE: "en"})
    response = client.post(
        reverse("admin:login"), {"username": "elena", "password": PASSWORD, "next": reverse("admin:index")}
    )
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "es"
    page = client.get(response["Location"]).content.decode()
    assert '<html lang="es"' in page and "Sitio administrativo" in page


def test_a_failed_admin_sign_in_changes_no_language():
    EditorFactory(username="elena", language="es", password=PASSWORD)
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "elena", "password": "wrong"})
    assert response.status_code == 200
    assert COOKIE not in response.cookies


def test_signing_in_without_a_chosen_language_leaves_the_browsers():
    UserFactory(username="dora", language="")
    client = Client()
    client.cookies.load({COOKIE: "es"})
    response = client.post(reverse("account_login"), {"login": "dora", "password": PASSWORD})
    assert response.status_code == 302
    assert COOKIE not in response.cookies
    assert '<html lang="es">' in client.get("/").content.decode()
