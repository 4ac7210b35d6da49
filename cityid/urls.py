from django.urls import include, path

from cityid.enrollment.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("cityid.accounts.urls")),
    path("enrollment/", include("cityid.enrollment.urls")),
    path("audit/", include("cityid.audit.urls")),
    path("cards/", include("cityid.cards.urls")),
    path(".well-known/cityid/", include("cityid.cards.wellknown")),
    path("retention/", include("cityid.retention.urls")),
    path("matching/", include("cityid.matching.urls")),
    path("disclosure/", include("cityid.disclosure.urls")),
    path("law-enforcement/", include("cityid.disclosure.law_enforcement_urls")),
    path("foil/", include("cityid.disclosure.public_urls")),
    path("api/foil/", include("cityid.disclosure.api_urls")),
    path("", include("cityid.reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/partner/v1/", include("cityid.cards.partner_urls")),
    path("verify/", include("cityid.cards.verify_urls")),
]
