from django.urls import path

from cityid.reports import views

app_name = "reports"

urlpatterns = [
    path("stats/", views.dashboard, name="dashboard"),
    path("stats/stats.json", views.stats_json, name="json_all"),
    path("stats/<slug:dimension>.csv", views.stats_csv, name="csv"),
    path("stats/<slug:dimension>.json", views.stats_json, name="json"),
    path("stats/<slug:dimension>.png", views.stats_chart, name="chart"),
    path("transparency/", views.transparency, name="transparency"),
    path("transparency/<str:quarter>.pdf", views.transparency_pdf, name="transparency_pdf"),
]
