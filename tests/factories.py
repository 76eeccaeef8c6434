"""factory_boy factories for the domain. Protected models are created directly (writes need no
gate); tests read them back through the gate like the application does."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from corespond.core.models import Agency, Membership, Program, User
from corespond.core.vocab import AgencyKind, ProgramModel, ResponseType, UnitStatus
from corespond.dispatch.models import Team, TeamMember
from corespond.intake.models import Call
from corespond.people.models import Person


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    kind = AgencyKind.POLICE


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"program-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())
    model = ProgramModel.CIRU
    timezone = "America/Los_Angeles"

    @factory.post_generation
    def protocol(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        """Every test program gets an active dispatch protocol (the demo's by default)."""
        if create:
            from corespond.intake.protocols_store import protocol_install_template

            protocol_install_template(program=self, name=extracted or "mixed")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyAttribute(lambda o: o.username.capitalize())
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def roles(
        self, create: bool, extracted: list[tuple[Agency, str]] | None, **kwargs: object
    ) -> None:
        for agency, role in extracted or []:
            Membership.objects.create(user=self, agency=agency, role=role)
        self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    program = factory.SubFactory(ProgramFactory)
    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    call_sign = factory.Sequence(lambda n: f"T-{n}")
    response_type = ResponseType.CO_RESPONSE
    status = UnitStatus.AVAILABLE


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = "officer"


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    program = factory.SubFactory(ProgramFactory)
    agency = factory.SubFactory(AgencyFactory)
    reference = factory.Sequence(lambda n: f"T-{n:06d}")
    received_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=10))
    call_type = "EDP"
    behavioral_health = True
    address = "1 Test St"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    program = factory.SubFactory(ProgramFactory)
    recorded_by_agency = factory.SubFactory(AgencyFactory)
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = "Testperson"
