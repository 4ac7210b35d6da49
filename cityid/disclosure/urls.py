"""Staff pages of disclosure (FOIL officers' queues and requests; law-enforcement requests beside them)."""

from django.urls import path

from cityid.disclosure import views

app_name = "disclosure"
urlpatterns = [
    path("foil/", views.foil_queue, name="foil_queue"),
    path("foil/<str:public_id>/", views.foil_detail, name="foil_detail"),
    path("foil/<str:public_id>/read/", views.foil_read, name="foil_read"),
    path("foil/<str:public_id>/step/", views.foil_step, name="foil_step"),
]
