from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "cityid.retention"
    label = "retention"

    def ready(self) -> None:
        from cityid.retention import messages
        from cityid.retention.labels import register_labels

        messages.register()
        register_labels()
