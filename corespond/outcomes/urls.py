from django.urls import path

from corespond.outcomes import views

app_name = "outcomes"
urlpatterns = [
    path("metrics/", views.metrics_page, name="metrics"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("charts/<slug:kind>.svg", views.chart, name="chart"),
    path("report/", views.report_page, name="report"),
    path("records/", views.records_page, name="records"),
    path("costs/", views.costs_page, name="costs"),
]
