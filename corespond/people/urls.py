from django.urls import path

from corespond.people import views

app_name = "people"
urlpatterns = [
    path("<int:person_id>/", views.person_detail, name="person"),
    path("<int:person_id>/break-the-glass/", views.break_glass, name="break_glass"),
    path("<int:person_id>/safety-plan/", views.safety_plan, name="safety_plan"),
    path("<int:person_id>/flags/", views.flag_add, name="flag_add"),
    path("<int:person_id>/consents/", views.consents, name="consents"),
    path(
        "<int:person_id>/consents/<int:consent_id>/revoke/",
        views.consent_revoke,
        name="consent_revoke",
    ),
    path("<int:person_id>/flags/<int:flag_id>/retire/", views.flag_retire, name="flag_retire"),
]
