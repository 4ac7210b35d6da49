from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "cityid.reports"
    label = "reports"

    def ready(self) -> None:
        from cityid.reports import labels, messages

        labels.register_labels()
        messages.register()
