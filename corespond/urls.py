from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from corespond.api.api import api
from corespond.core import views as core_views
from corespond.interop.fhir_api import fhir_api

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("activity/", core_views.activity, name="activity"),
    path("account/mfa/setup/", core_views.mfa_setup, name="mfa_setup"),
    path("account/mfa/", core_views.mfa_verify, name="mfa_verify"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("calls/", include("corespond.intake.urls")),
    path("dispatch/", include("corespond.dispatch.urls")),
    path("field/", include("corespond.field.urls")),
    path("people/", include("corespond.people.urls")),
    path("sharing/", include("corespond.sharing.urls")),
    path("care/", include("corespond.care.urls")),
    path("outcomes/", include("corespond.outcomes.urls")),
    path("api/v1/", api.urls),
    path("fhir/", fhir_api.urls),
    path("admin/", admin.site.urls),
]
