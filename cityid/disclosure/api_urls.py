"""The public FOIL JSON API (``POST /api/foil/requests``) and its OpenAPI document."""

from django.urls import path

from cityid.disclosure import api

app_name = "foil_api"
urlpatterns = [
    path("requests", api.create_request, name="requests"),
    path("openapi.json", api.openapi, name="openapi"),
]
