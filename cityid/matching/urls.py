from django.urls import path

from cityid.matching import views

app_name = "matching"
urlpatterns = [
    path("", views.alert_list, name="alerts"),
    path("<str:public_id>/", views.alert_detail, name="alert"),
    path("<str:public_id>/decide/", views.decide_alert, name="decide"),
    path("<str:public_id>/compare/<int:position>/", views.compare, name="compare"),
]
