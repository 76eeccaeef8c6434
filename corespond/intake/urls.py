from django.urls import path

from corespond.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.call_list, name="call_list"),
    path("new/", views.call_new, name="call_new"),
    path("protocol/", views.protocol_page, name="protocol"),
    path("protocol/<int:program_id>/new/", views.protocol_draft_new, name="protocol_draft_new"),
    path("protocol/versions/<int:version_id>/", views.protocol_version, name="protocol_version"),
    path("<int:call_id>/", views.call_detail, name="call_detail"),
    path("<int:call_id>/close/", views.call_close_unserved, name="call_close_unserved"),
]
