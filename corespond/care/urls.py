from django.urls import path

from corespond.care import views

app_name = "care"
urlpatterns = [
    path("followups/", views.followups, name="followups"),
    path("followups/<int:followup_id>/", views.followup_detail, name="followup"),
    path("referrals/", views.referrals, name="referrals"),
    path("outreach/", views.outreach, name="outreach"),
    path("outreach/<int:person_id>/start/", views.outreach_start, name="outreach_start"),
    path("referrals/<int:referral_id>/status/", views.referral_status, name="referral_status"),
    path("resources/", views.resources, name="resources"),
    path(
        "resources/<slug:program_slug>/export.<str:fmt>",
        views.resources_export,
        name="resources_export",
    ),
]
