"""Field pages, built for a phone: the team's assignment and the encounter record."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from corespond.care import selectors as care_selectors
from corespond.care import services as care_services
from corespond.core.access import acting_user
from corespond.core.roles import ENCOUNTER_ROLES, require_role
from corespond.core.vocab import Intervention as InterventionKind
from corespond.dispatch.selectors import open_assignment_for_member
from corespond.field import cssrs, selectors, services
from corespond.field.forms import (
    EncounterForm,
    FindPersonForm,
    NoteForm,
    PersonForm,
    ReferralForm,
    ScreeningForm,
)
from corespond.field.models import Encounter
from corespond.people import selectors as people_selectors
from corespond.people.forms import FlagForm
from corespond.people.models import Person
from corespond.sharing.policy import REDISCLOSURE_NOTICE

STAMP_LABELS = [
    ("en_route_at", "En route"),
    ("arrived_at", "Arrived"),
    ("engaged_at", "Engaged"),
    ("transport_started_at", "Transporting"),
    ("destination_arrived_at", "At destination"),
    ("cleared_at", "Cleared"),
]


def _stamp_labels(encounter: Encounter) -> list[tuple[str, str]]:
    """The stamp buttons; a co-response team also gets one for the officer leaving while
    the clinician stays."""
    from corespond.dispatch.selectors import is_co_response

    labels = list(STAMP_LABELS)
    if is_co_response(encounter.team_id):
        labels.insert(-1, ("officer_cleared_at", "Officer cleared"))
    return labels


def _get(request: HttpRequest, encounter_id: int) -> Encounter:
    try:
        return selectors.encounter_get(user=request.user, encounter_id=encounter_id)
    except Encounter.DoesNotExist as exc:
        raise Http404("No such encounter, or you may not see it.") from exc


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    require_role(request.user, ENCOUNTER_ROLES)
    assignment = open_assignment_for_member(user=request.user)
    if assignment is not None:
        encounter = (
            selectors.encounters_visible(user=request.user).filter(assignment=assignment).first()
        )
        if encounter is not None:
            return redirect("field:encounter", encounter_id=encounter.pk)
    team_encounters = selectors.encounters_visible(user=request.user).filter(
        team__members__user=acting_user(request)
    )
    # Cleared but not yet completed: the team is free, the record still needs finishing.
    to_complete = team_encounters.filter(completed_at__isnull=True)[:20]
    recent = team_encounters.filter(completed_at__isnull=False)[:10]
    return render(request, "field/mine.html", {"recent": recent, "to_complete": to_complete})


@login_required
def encounter(request: HttpRequest, encounter_id: int) -> HttpResponse:
    require_role(request.user, ENCOUNTER_ROLES)
    enc = _get(request, encounter_id)
    draft = selectors.draft_for(user=request.user, encounter=enc)
    initial = _initial(enc)
    if draft is not None and request.method != "POST":
        # Unsaved typing from before a reload or a lost connection: show it again. The
        # baseline ("original") stays the saved record, so merging still works.
        initial.update({k: v for k, v in draft.values.items() if k in EncounterForm.RECORD})
    form = EncounterForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            original = _original(data.pop("original", ""), enc)
            try:
                services.encounter_update_merged(
                    actor=request.user, encounter_id=enc.pk, original=original, **data
                )
            except services.EditConflict as exc:
                form = _conflict_form(request, exc, _get(request, encounter_id))
                status = 409
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
                status = 400
            else:
                if "complete" in request.POST:
                    try:
                        services.encounter_complete(actor=request.user, encounter_id=enc.pk)
                    except ValidationError as exc:
                        for message in exc.messages:
                            form.add_error(None, message)
                        status = 400
                    else:
                        services.draft_discard(actor=request.user, encounter_id=enc.pk)
                        messages.success(request, "Encounter complete. The team is available.")
                        return redirect("field:mine")
                else:
                    services.draft_discard(actor=request.user, encounter_id=enc.pk)
                    messages.success(request, "Saved.")
                    return redirect("field:encounter", encounter_id=enc.pk)
        else:
            status = 400
        enc = _get(request, encounter_id)
    people = list(selectors.people_in_encounter(user=request.user, encounter_id=enc.pk))
    given = selectors.interventions_for(user=request.user, encounter_id=enc.pk)
    return render(
        request,
        "field/encounter.html",
        {
            "encounter": enc,
            "form": form,
            "person_form": PersonForm(),
            "people": people,
            "stamps": [(f, label, getattr(enc, f)) for f, label in _stamp_labels(enc)],
            **_screening_context(request, enc),
            **_find_context(request, enc, people),
            # One flag form per person, each with its own element ids.
            "briefing": [
                (b, FlagForm(auto_id=f"id_flag{b.person.pk}_%s"))
                for b in people_selectors.safety_briefing(
                    user=request.user,
                    person_ids=[link.person_id for link in people],
                    exclude_encounter=enc.pk,
                )
            ],
            "interventions": [
                (code, label, code in given) for code, label in InterventionKind.choices
            ],
            "notes": selectors.notes_for(user=request.user, encounter_id=enc.pk),
            "note_form": _note_form(request, enc, people),
            "referral_form": _referral_form(request, enc, people),
            "referrals": care_selectors.referrals_visible(user=request.user).filter(encounter=enc),
            "redisclosure_notice": REDISCLOSURE_NOTICE,
            "draft": draft if request.method != "POST" else None,
        },
        status=status,
    )


@login_required
@require_POST
def stamp(request: HttpRequest, encounter_id: int) -> HttpResponse:
    # The page's script adds the phone's position when the responder chose to share it.
    lat, lon = request.POST.get("latitude", ""), request.POST.get("longitude", "")
    try:
        services.encounter_stamp(
            actor=request.user,
            encounter_id=encounter_id,
            stamp=request.POST.get("stamp", ""),
            position=(lat, lon) if lat and lon else None,
        )
    except Encounter.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("field:encounter", encounter_id=encounter_id)


@login_required
@require_POST
def person_add(request: HttpRequest, encounter_id: int) -> HttpResponse:
    form = PersonForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(map(str, errors))}")
        return redirect("field:encounter", encounter_id=encounter_id)
    try:
        services.encounter_person_add(
            actor=request.user, encounter_id=encounter_id, **form.cleaned_data
        )
    except Encounter.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Person added.")
    return redirect("field:encounter", encounter_id=encounter_id)


def _screening_context(
    request: HttpRequest, enc: Encounter, form: ScreeningForm | None = None
) -> dict[str, object]:
    """The C-SSRS section, for those whose role and agreements allow screening data."""
    may_screen = selectors.may_see_screening(user=request.user, encounter=enc)
    if not may_screen:
        return {"may_screen": False}
    people = _people_choices(request, enc)
    return {
        "may_screen": True,
        "screenings": selectors.screenings_for(user=request.user, encounter_id=enc.pk),
        "screening_form": form or ScreeningForm(people=people),
        "high_risk_action": cssrs.HIGH_RISK_ACTION,
    }


@login_required
@require_POST
def screening(request: HttpRequest, encounter_id: int) -> HttpResponse:
    require_role(request.user, ENCOUNTER_ROLES)
    enc = _get(request, encounter_id)
    people = _people_choices(request, enc)
    form = ScreeningForm(request.POST, people=people)
    if form.is_valid():
        try:
            result = services.screening_record(
                actor=request.user,
                encounter_id=enc.pk,
                answers=form.answers(),
                person_id=form.cleaned_data.get("person"),
            )
        except ValidationError as exc:
            messages.error(request, "Screen not saved: " + " ".join(exc.messages))
        else:
            level = result.get_risk_level_display()
            if result.risk_level == "high":
                messages.error(request, f"C-SSRS risk: {level}. {cssrs.HIGH_RISK_ACTION}")
            else:
                messages.success(request, f"C-SSRS saved. Risk level: {level}.")
    else:
        messages.error(request, "Screen not saved: check the answers.")
    return redirect("field:encounter", encounter_id=enc.pk)


def _initial(enc: Encounter) -> dict[str, object]:
    values = {f: getattr(enc, f) for f in EncounterForm.RECORD}
    values["original"] = json.dumps({f: services._as_text(v) for f, v in values.items()})
    return values


def _original(raw: str, enc: Encounter) -> dict[str, str]:
    """The values the page was loaded with; a page without them (an old tab) is treated as
    loaded now, so its values replace the current ones as before."""
    try:
        data = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        return {f: services._as_text(getattr(enc, f)) for f in EncounterForm.RECORD}
    return {str(k): str(v) for k, v in data.items()}


def _conflict_form(
    request: HttpRequest, exc: services.EditConflict, enc: Encounter
) -> EncounterForm:
    """The user's values again, each conflicting field showing what was saved meanwhile, and
    the page's baseline moved to now: saving again is a deliberate choice."""
    posted = request.POST.copy()
    posted["original"] = str(_initial(enc)["original"])
    form = EncounterForm(posted, initial=_initial(enc))
    form.is_valid()
    form.add_error(None, str(exc.message))
    for name, (_, theirs) in exc.conflicts.items():
        field = form.fields[name]
        shown = dict(getattr(field, "choices", [])).get(theirs, theirs)
        form.add_error(name, f"Saved meanwhile by {exc.by}: {shown or 'empty'}")
    return form


@login_required
@require_POST
def draft(request: HttpRequest, encounter_id: int) -> HttpResponse:
    """Autosave: the page sends the record's fields as the user types (JSON)."""
    require_role(request.user, ENCOUNTER_ROLES)
    try:
        values = json.loads(request.body or b"{}").get("values")
        saved = services.draft_save(actor=request.user, encounter_id=encounter_id, values=values)
    except Encounter.DoesNotExist as exc:
        raise Http404 from exc
    except (ValueError, AttributeError, ValidationError) as exc:
        message = " ".join(getattr(exc, "messages", [services.ERR_DRAFT]))
        return JsonResponse({"error": message}, status=400)
    return JsonResponse({"saved_at": saved.saved_at.isoformat()})


@login_required
def critical(request: HttpRequest) -> HttpResponse:
    """The supervisors' queue of critical incidents (hold, use of force, injury)."""
    require_role(request.user, services.REVIEW_ROLES)
    reviewed = request.GET.get("show") == "reviewed"
    incidents = selectors.critical_incidents(user=request.user, reviewed=reviewed)
    page = Paginator(incidents, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "field/critical.html",
        {"page": page, "reviewed": reviewed, "extra": "show=reviewed" if reviewed else ""},
    )


@login_required
@require_POST
def critical_review(request: HttpRequest, encounter_id: int) -> HttpResponse:
    try:
        services.critical_review(
            actor=request.user, encounter_id=encounter_id, note=request.POST.get("note", "")
        )
    except Encounter.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Review recorded.")
    return redirect("field:critical")


def _people_choices(request: HttpRequest, enc: Encounter) -> list[tuple[int, str]]:
    """The people of the encounter the user may see, for the screen's person choice."""
    return [
        (link.person_id, str(link.person))
        for link in selectors.people_in_encounter(user=request.user, encounter_id=enc.pk)
    ]


def _find_context(request: HttpRequest, enc: Encounter, people: list[Any]) -> dict[str, object]:
    """Find-or-create: people the program already knows who match what was typed."""
    find = FindPersonForm(request.GET or None, prefix="find")
    matches: list[Person] = []
    if find.is_bound and find.is_valid() and not enc.completed_at:
        linked = {link.person_id for link in people}
        matches = [
            p
            for p in people_selectors.person_search(
                user=request.user,
                program_id=enc.call.program_id,
                query=find.cleaned_data["name"],
                birth_date=find.cleaned_data.get("birth_date"),
            )
            if p.pk not in linked
        ]
    return {"find_form": find, "matches": matches, "searched": find.is_bound}


@login_required
@require_POST
def person_link(request: HttpRequest, encounter_id: int) -> HttpResponse:
    try:
        services.encounter_person_link(
            actor=request.user,
            encounter_id=encounter_id,
            person_id=int(request.POST.get("person", "")),
            involvement=request.POST.get("involvement") or "subject",
        )
    except (Encounter.DoesNotExist, Person.DoesNotExist, ValueError) as exc:
        raise Http404("No such person or encounter, or you may not see them.") from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Person linked. Their briefing is shown above.")
    return redirect("field:encounter", encounter_id=encounter_id)


@login_required
@require_POST
def intervention(request: HttpRequest, encounter_id: int) -> HttpResponse:
    """One tap: record a kind of help given on scene (or take it back)."""
    try:
        services.intervention_set(
            actor=request.user,
            encounter_id=encounter_id,
            kind=request.POST.get("kind", ""),
            given=request.POST.get("given") == "1",
        )
    except Encounter.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("field:encounter", args=[encounter_id]) + "#interventions-h")


def _note_form(request: HttpRequest, enc: Encounter, people: list[Any]) -> NoteForm | None:
    kinds = selectors.note_kinds_writable(user=request.user, encounter=enc)
    if not kinds:
        return None
    return NoteForm(
        people=[(link.person_id, str(link.person)) for link in people],  # read once per page
        part2_allowed=any(part2 for part2, _ in kinds),
        prefix="note",
    )


@login_required
@require_POST
def note(request: HttpRequest, encounter_id: int) -> HttpResponse:
    enc = _get(request, encounter_id)
    form = NoteForm(
        request.POST,
        people=_people_choices(request, enc),
        part2_allowed=True,
        prefix="note",
    )
    if not form.is_valid():
        messages.error(request, "Note not saved: " + " ".join(_errors(form)))
    else:
        try:
            services.note_add(actor=request.user, encounter_id=enc.pk, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "Note not saved: " + " ".join(exc.messages))
        else:
            messages.success(request, "Note saved.")
    return redirect(reverse("field:encounter", args=[enc.pk]) + "#notes-h")


def _referral_form(request: HttpRequest, enc: Encounter, people: list[Any]) -> ReferralForm | None:
    if not people:
        return None
    resources = care_selectors.resources_for(user=request.user).filter(
        program_id=enc.call.program_id
    )
    return ReferralForm(
        people=[(link.person_id, str(link.person)) for link in people],  # read once per page
        resources=resources,
        prefix="referral",
    )


@login_required
@require_POST
def referral(request: HttpRequest, encounter_id: int) -> HttpResponse:
    enc = _get(request, encounter_id)
    resources = care_selectors.resources_for(user=request.user).filter(
        program_id=enc.call.program_id
    )
    form = ReferralForm(
        request.POST,
        people=_people_choices(request, enc),
        resources=resources,
        prefix="referral",
    )
    if not form.is_valid():
        messages.error(request, "Referral not made: " + " ".join(_errors(form)))
    else:
        try:
            made = care_services.referral_create(
                actor=request.user,
                person_id=form.cleaned_data["person"],
                resource_id=form.cleaned_data["resource"].pk,
                encounter=enc,
            )
        except (ValidationError, Person.DoesNotExist) as exc:
            messages.error(request, "Referral not made: " + " ".join(getattr(exc, "messages", [])))
        else:
            messages.success(request, f"Referred to {made.resource.name}.")
    return redirect(reverse("field:encounter", args=[enc.pk]) + "#referrals-h")


def _errors(form: Any) -> list[str]:
    return [
        f"{form.fields[name].label or name}: {' '.join(map(str, errs))}"
        if name != "__all__"
        else " ".join(map(str, errs))
        for name, errs in form.errors.items()
    ]
