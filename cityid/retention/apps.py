from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "cityid.retention"
    label = "retention"
