from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "cityid.enrollment"
    label = "enrollment"

    def ready(self) -> None:
        from cityid.enrollment import messages, records, selectors
        from cityid.enrollment.labels import register_labels
        from cityid.enrollment.retention_facts import facts
        from cityid.enrollment.services import register_access_reason
        from cityid.retention.facts import register_subject_facts
        from cityid.vault.services import register_record_owner

        register_labels()
        messages.register()
        register_record_owner("application", indexer=records.application_indexes, eraser=records.erase_application)
        register_record_owner("documents", indexer=records.document_indexes, eraser=records.erase_documents)
        register_record_owner("photo", eraser=records.erase_photo)
        register_access_reason("closed_case", selectors.closed_case_allows, lister=selectors.closed_case_purposes)
        # Retention, below enrollment, learns record dates, hold scopes and subjects from this provider.
        register_subject_facts(facts)
