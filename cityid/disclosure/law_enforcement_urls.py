from django.urls import path

from cityid.disclosure import law_enforcement_views as views

app_name = "law_enforcement"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_new, name="new"),
    path("<uuid:public_id>/", views.request_detail, name="detail"),
    path("<uuid:public_id>/change/", views.request_change, name="change"),
    path("<uuid:public_id>/produce/", views.produce, name="produce"),
    path("<uuid:public_id>/documents/", views.document_add, name="document_add"),
    path("<uuid:public_id>/documents/<int:document_id>/", views.document, name="document"),
    path("<uuid:public_id>/gag/", views.gag, name="gag"),
    path("<uuid:public_id>/notice/", views.notice, name="notice"),
]
