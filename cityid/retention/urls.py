from django.urls import path

from cityid.retention import views

app_name = "retention"
urlpatterns = [
    path("schedules/", views.schedules, name="schedules"),
    path("schedules/new/", views.schedule_new, name="schedule_new"),
    path("preview/", views.preview, name="preview"),
    path("disposition/", views.requests, name="requests"),
    path("disposition/request/", views.request_new, name="request_new"),
    path("disposition/<int:pk>/approve/", views.request_approve, name="request_approve"),
    path("disposition/<int:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("certificates/", views.certificates, name="certificates"),
    path("certificates/<int:run_id>/", views.certificate, name="certificate"),
    path("certificates/<int:run_id>/download/", views.certificate_download, name="certificate_download"),
    path("holds/", views.holds, name="holds"),
    path("holds/new/", views.hold_new, name="hold_new"),
    path("holds/<int:pk>/", views.hold, name="hold"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
]
