from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "cityid.audit"
    label = "audit"

    def ready(self) -> None:
        from cityid.audit import messages
        from cityid.audit.labels import register_labels

        messages.register()
        register_labels()
