from django.urls import path

from cityid.accounts import partner_views, staff_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_view, name="password"),
    path("enrol/", views.enrol_view, name="enrol"),
    path("enrol/<str:token>/", views.enrol_token_view, name="enrol_token"),
]

urlpatterns += [
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/new/", staff_views.staff_new, name="staff_new"),
    path("staff/<int:pk>/", staff_views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/role/", staff_views.staff_role, name="staff_role"),
    path("staff/<int:pk>/deactivate/", staff_views.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:pk>/reactivate/", staff_views.staff_reactivate, name="staff_reactivate"),
    path("staff/<int:pk>/reset-mfa/", staff_views.staff_reset_mfa, name="staff_reset_mfa"),
    path("staff/<int:pk>/email/", staff_views.staff_email, name="staff_email"),
    path("staff/<int:pk>/unlock/", staff_views.staff_unlock, name="staff_unlock"),
    path("staff/<int:pk>/resend/", staff_views.staff_resend, name="staff_resend"),
    path("staff/changes/<int:change_id>/approve/", staff_views.change_approve, name="change_approve"),
    path("staff/changes/<int:change_id>/withdraw/", staff_views.change_withdraw, name="change_withdraw"),
]

urlpatterns += [
    path("partners/", partner_views.partner_keys, name="partner_keys"),
    path("partners/<int:key_id>/approve/", partner_views.partner_approve, name="partner_approve"),
    path("partners/<int:key_id>/withdraw/", partner_views.partner_withdraw, name="partner_withdraw"),
    path("partners/<int:key_id>/revoke/", partner_views.partner_revoke, name="partner_revoke"),
]
