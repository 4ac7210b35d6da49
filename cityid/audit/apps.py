from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "cityid.audit"
    label = "audit"

    def ready(self) -> None:
        from cityid.audit import messages

        messages.register()
