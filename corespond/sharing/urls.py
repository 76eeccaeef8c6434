from django.urls import path

from corespond.sharing import views

app_name = "sharing"
urlpatterns = [
    path("break-the-glass/", views.review_queue, name="review_queue"),
    path("break-the-glass/<int:grant_id>/review/", views.review, name="review"),
]
