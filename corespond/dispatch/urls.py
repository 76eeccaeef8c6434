from django.urls import path

from corespond.dispatch import views

app_name = "dispatch"
urlpatterns = [
    path("", views.board, name="board"),
    path("events/", views.board_events, name="board_events"),
    path("preview/", views.preview, name="preview"),
    path("calls/<int:call_id>/assign/", views.assign, name="assign"),
]
