from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    """FOIL requests (and, beside them, law-enforcement requests through counsel)."""

    name = "cityid.disclosure"
    label = "disclosure"

    def ready(self) -> None:
        from cityid.disclosure import messages
        from cityid.disclosure.labels import register_labels
        from cityid.disclosure.sealing import erase_requests
        from cityid.retention.facts import register_subject_facts
        from cityid.vault.services import register_record_owner

        register_labels()
        messages.register()
        # A FOIL request's contact details and text are sealed under its own ``disclosure`` record:
        # disposition erases them with the record.
        register_record_owner("disclosure", eraser=erase_requests)
        from cityid.disclosure.retention_facts import facts

        register_subject_facts(facts)
