"""The public FOIL portal: the request form and the requester's own status page."""

from django.urls import path

from cityid.disclosure import public_views

app_name = "foil"
urlpatterns = [
    path("", public_views.request_form, name="new"),
    path("status/", public_views.request_status, name="status"),
]
