"""The admin works on protected models through the gate: list, change, save."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from corespond.core.models import AuditEvent, User
from tests.journey import make_call


def test_superuser_can_list_change_and_save_a_call_in_the_admin(world) -> None:
    call = make_call(world)
    admin = User.objects.create_superuser("root", "root@example.org", "x" * 16)
    client = Client()
    client.force_login(admin)
    assert client.get(reverse("admin:intake_call_changelist")).status_code == 200
    url = reverse("admin:intake_call_change", args=[call.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "address": "2 Changed Ave",
            "received_at_0": call.received_at.strftime("%Y-%m-%d"),
            "received_at_1": call.received_at.strftime("%H:%M:%S"),
        }
    )
    data.pop("received_at", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:500]
    assert AuditEvent.objects.filter(user=admin, model="intake.Call").exists()


def test_staff_without_roles_see_no_calls_in_the_admin(world) -> None:
    make_call(world)
    staff = User.objects.create_user("staffer", password="x" * 16, is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_call"))
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("admin:intake_call_changelist"))
    assert page.status_code == 200
    assert page.context["cl"].result_count == 0
