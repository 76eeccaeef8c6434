from django.urls import path

from corespond.field import views

app_name = "field"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("critical/", views.critical, name="critical"),
    path("encounters/<int:encounter_id>/review/", views.critical_review, name="critical_review"),
    path("encounters/<int:encounter_id>/", views.encounter, name="encounter"),
    path("encounters/<int:encounter_id>/stamp/", views.stamp, name="stamp"),
    path("encounters/<int:encounter_id>/people/", views.person_add, name="person_add"),
    path("encounters/<int:encounter_id>/screening/", views.screening, name="screening"),
    path("encounters/<int:encounter_id>/draft/", views.draft, name="draft"),
    path("encounters/<int:encounter_id>/link/", views.person_link, name="person_link"),
    path("encounters/<int:encounter_id>/interventions/", views.intervention, name="intervention"),
    path("encounters/<int:encounter_id>/notes/", views.note, name="note"),
    path("encounters/<int:encounter_id>/referrals/", views.referral, name="referral"),
]
