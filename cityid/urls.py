from django.urls import include, path

from cityid.enrollment.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("cityid.accounts.urls")),
    path("enrollment/", include("cityid.enrollment.urls")),
    path("audit/", include("cityid.audit.urls")),
    path("cards/", include("cityid.cards.urls")),
    path("retention/", include("cityid.retention.urls")),
    path("", include("cityid.reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
