from django.urls import path

from cityid.cards import print_views, views

app_name = "cards"
urlpatterns = [
    path("", views.card_list, name="list"),
    path("<int:pk>/", views.card_detail, name="card"),
    path("<int:pk>/status/", views.card_change, name="change"),
    path("<int:pk>/pdf/", print_views.card_pdf, name="card_pdf"),
    path("<int:pk>/replace/", print_views.card_replace, name="replace"),
    path("<int:pk>/renew/", print_views.card_renew, name="renew"),
    path("batches/", print_views.batches, name="batches"),
    path("batches/<int:pk>/", print_views.batch_detail, name="batch"),
    path("batches/<int:pk>/mark/", print_views.batch_mark, name="batch_mark"),
    path("batches/<int:pk>/pdf/", print_views.batch_pdf, name="batch_pdf"),
]
