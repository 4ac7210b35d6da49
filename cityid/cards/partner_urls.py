from django.urls import path

from cityid.cards import partner_api

app_name = "partner_api"
urlpatterns = [
    path("card-status", partner_api.card_status, name="card_status"),
    path("openapi.json", partner_api.openapi, name="openapi"),
]
