from django.urls import path

from cityid.cards import views

app_name = "cards"
urlpatterns = [
    path("", views.card_list, name="list"),
    path("<int:pk>/", views.card_detail, name="card"),
    path("<int:pk>/status/", views.card_change, name="change"),
]
