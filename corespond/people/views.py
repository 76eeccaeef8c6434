"""A person's record, shown by what the sharing policy allows; break-the-glass when it does
not allow enough in an emergency."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from corespond.core.access import programs_for
from corespond.people import selectors
from corespond.people.models import Person
from corespond.sharing import services as sharing


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        label="Why you need this record now",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Your supervisor reviews every emergency access. Access lasts 60 minutes.",
    )


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    try:
        view = selectors.person_view(user=request.user, person_id=person_id)
    except Person.DoesNotExist:
        stub = selectors.person_stub(person_id=person_id)
        works_there = (
            stub is not None and programs_for(request.user).filter(pk=stub.program_id).exists()
        )
        if not works_there:
            raise Http404("No such person, or you may not see them.") from None
        # The person is in one of the user's programs but the policy shows nothing: offer
        # emergency access, and show nothing else of the record.
        return render(
            request,
            "people/restricted.html",
            {"person_id": person_id, "form": BreakGlassForm()},
            status=403,
        )
    return render(request, "people/person.html", {"view": view, "form": BreakGlassForm()})


@login_required
@require_POST
def break_glass(request: HttpRequest, person_id: int) -> HttpResponse:
    form = BreakGlassForm(request.POST)
    if form.is_valid():
        try:
            grant = sharing.break_glass(
                actor=request.user, person_id=person_id, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        except Person.DoesNotExist as exc:
            raise Http404 from exc
        else:
            messages.warning(
                request,
                f"Emergency access until {grant.expires_at:%H:%M} UTC. It is logged and "
                "will be reviewed.",
            )
    else:
        messages.error(request, "Say why you need these records now.")
    return redirect("people:person", person_id=person_id)
