from django.urls import path

from cityid.cards import verify_views

app_name = "verify"
urlpatterns = [
    path("", verify_views.partner_page, name="page"),
    path("sw.js", verify_views.service_worker, name="service_worker"),
]
