from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "cityid.audit"
    label = "audit"
