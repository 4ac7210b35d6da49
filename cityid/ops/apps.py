from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "cityid.ops"
    label = "ops"
