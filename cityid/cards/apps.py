from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cityid.cards"
    label = "cards"

    def ready(self) -> None:
        from cityid.cards import messages
        from cityid.cards.labels import register_labels
        from cityid.cards.notes import erase_notes
        from cityid.cards.retention_facts import facts
        from cityid.cards.sealing import erase_numbers
        from cityid.retention.facts import register_subject_facts
        from cityid.vault.services import register_record_owner

        register_labels()
        messages.register()
        # Status-change notes and card numbers are sealed under the applicant's application record:
        # disposition erases them too.
        register_record_owner("application", eraser=erase_notes)
        register_record_owner("application", eraser=erase_numbers)
        # Retention, below cards, learns card expiry (a trigger date) from this provider.
        register_subject_facts(facts)
        self._register_with_enrollment()

    def _register_with_enrollment(self) -> None:
        from cityid.cards import selectors, services
        from cityid.enrollment import exports as enrollment_exports
        from cityid.enrollment import selectors as enrollment_selectors
        from cityid.enrollment import services as enrollment_services

        # Enrollment, below cards, knows nothing of them: an approval issues the card, an applicant's read opens
        # their card numbers, and the subject-access export holds each card with its history, through these hooks.
        enrollment_services.register_on_approval(services.issue_cards)
        enrollment_selectors.register_application_reader(selectors.open_application_cards)
        enrollment_selectors.register_card_numbers(normalise=selectors.normalise_number,
                                                   applicant_of=selectors.applicant_of_number)
        enrollment_exports.register_export_section("card", selectors.export_section)
