from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "cityid.enrollment"
    label = "enrollment"
