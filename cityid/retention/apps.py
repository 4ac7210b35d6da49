from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "cityid.retention"
    label = "retention"

    def ready(self) -> None:
        from cityid.retention import messages

        messages.register()

        from cityid.retention.labels import register_labels

        register_labels()
