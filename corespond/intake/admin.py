from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from corespond.core.admin import GatedAdmin
from corespond.intake import protocol, protocols_store
from corespond.intake.models import Call, ProtocolVersion


@admin.register(Call)
class CallAdmin(GatedAdmin):
    list_display = ["reference", "received_at", "call_type", "behavioral_health", "status"]
    list_filter = ["status", "call_type", "program"]
    search_fields = ["reference"]


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(admin.ModelAdmin):
    """Drafts are written here; activation runs the protocol's examples first."""

    list_display = ["program", "slug", "version", "status", "activated_at", "activated_by"]
    list_filter = ["program", "status"]
    readonly_fields = ["slug", "version", "status", "activated_at", "activated_by"]
    actions = ["activate"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # An active or retired version is history: decisions point at it.
        if obj is not None and obj.status != ProtocolVersion.Status.DRAFT:
            return [*self.readonly_fields, "program", "source"]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The form's clean_source has parsed it already.
        parsed = protocol.parse(obj.source, source="draft")
        obj.slug, obj.version = parsed.slug, parsed.version
        super().save_model(request, obj, form, change)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)

        class CheckedForm(form):  # type: ignore[misc, valid-type]
            def clean_source(self) -> str:
                source: str = self.cleaned_data["source"]
                try:
                    protocol.parse(source, source="draft")
                except protocol.ProtocolError as exc:
                    raise ValidationError(str(exc)) from exc
                return source

        return CheckedForm

    @admin.action(description="Activate (runs the examples first)")
    def activate(self, request: HttpRequest, queryset: Any) -> None:
        for version in queryset:
            try:
                protocols_store.protocol_activate(actor=request.user, version_id=version.pk)
            except ValidationError as exc:
                self.message_user(
                    request, f"Protocol {version}: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                self.message_user(
                    request, f"Protocol {version.label} is now active.", messages.SUCCESS
                )
