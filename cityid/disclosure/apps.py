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
        self._register_law_enforcement()

    def _register_law_enforcement(self) -> None:
        from cityid.disclosure import law_enforcement_messages, law_enforcement_services
        from cityid.disclosure.law_enforcement_facts import erase_requests, facts
        from cityid.enrollment.services import register_access_reason
        from cityid.retention.facts import register_subject_facts
        from cityid.vault.services import register_record_owner

        law_enforcement_messages.register()
        law_enforcement_messages.register_labels()
        register_record_owner("disclosure", eraser=erase_requests)
        register_subject_facts(facts)
        # Counsel reads an applicant for production only through a listed, unread item of a request being produced.
        register_access_reason("le_request", law_enforcement_services.reason_allows, action="law_enforcement.produce")
