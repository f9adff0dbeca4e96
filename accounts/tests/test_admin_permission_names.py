"""The admin's permission pickers (groups and members) name permissions in the reader's language."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from testing.clients import client_for
from testing.factories import SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db


def options(page):
    """The text of the permission picker's options."""
    start = (
        page.index('name="permissions"')
        if 'name="permissions"' in page
        else page.index('name="user_permissions"')
    )
    picker = page[start : page.index("</select>", start)]
    return [chunk.split(">", 1)[1].split("</option>")[0] for chunk in picker.split("<option")[1:]]


def test_a_groups_permissions_are_listed_in_spanish():
    labels = options(
        client_for(SuperuserFactory(), language="es").get(reverse("admin:auth_group_add")).content.decode()
    )
    assert "Blog | entrada | Puede añadir entrada" in labels
    assert "Blog | entrada | Puede publicar entradas" in labels  # the model's own permission
    assert "Conversaciones | comentario | Puede ver comentario" in labels
    assert not [label for label in labels if "Can " in label]


def test_and_in_english_as_django_names_them():
    page = client_for(SuperuserFactory(), language="en").get(reverse("admin:auth_group_add")).content.decode()
    labels = options(page)
    assert "Blog | post | Can add post" in labels
    assert "Blog | post | Can publish posts" in labels


def test_a_members_own_permissions_too_and_saving_a_group_keeps_working():
    client = client_for(SuperuserFactory(), language="es")
    member = UserFactory()
    page = client.get(reverse("admin:accounts_user_change", args=[member.pk])).content.decode()
    assert "Conversaciones | comentario | Puede ver comentario" in options(page)

    view_comment = Permission.objects.get(codename="view_comment")
    response = client.post(
        reverse("admin:auth_group_add"), {"name": "Readers", "permissions": [view_comment.pk]}
    )
    assert response.status_code == 302
    assert list(Group.objects.get(name="Readers").permissions.all()) == [view_comment]
