from django.urls import path

from cityid.enrollment import views

app_name = "enrollment"
urlpatterns = [
    path("new/", views.new_application, name="new"),
    path("new/points/", views.points, name="points"),
    path("new/uploads/", views.stage_upload, name="stage_upload"),
    path("submitted/<uuid:public_id>/", views.submitted, name="submitted"),
    path("queue/", views.queue, name="queue"),
    path("applications/<uuid:public_id>/", views.review, name="review"),
    path("applications/<uuid:public_id>/assign/", views.assign, name="assign"),
    path("cases/", views.my_cases, name="my_cases"),
    path("read-alerts/", views.read_alerts, name="read_alerts"),
    path("applications/<uuid:public_id>/scans/<int:position>/", views.scan, name="scan"),
    path("applicants/<uuid:public_id>/", views.applicant_detail, name="applicant"),
    path("applicants/<uuid:public_id>/photo/", views.photo, name="photo"),
    path("search/", views.search, name="search"),
]
