"""Staff pages of disclosure (FOIL officers' queues and requests; law-enforcement requests beside them)."""

from django.urls import path

from cityid.disclosure import views

app_name = "disclosure"
urlpatterns = [
    path("foil/", views.foil_queue, name="foil_queue"),
]
