from django.urls import path, re_path

from cityid.audit import views

app_name = "audit"
urlpatterns = [
    path("checkpoint", views.checkpoint, name="checkpoint"),
    path("verifier-key", views.verifier_key, name="verifier_key"),
    path("verifier-keys", views.verifier_keys, name="verifier_keys"),
    path("proof/inclusion", views.inclusion_proof, name="inclusion_proof"),
    path("proof/consistency", views.consistency_proof, name="consistency_proof"),
    path("events/", views.events, name="events"),
    path("events/verify/", views.verify, name="verify"),
    path("events/<int:index>/", views.event, name="event"),
    re_path(r"^tile/(?P<path>.+)$", views.tile, name="tile"),
]
