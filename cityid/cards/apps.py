from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cityid.cards"
    label = "cards"

    def ready(self) -> None:
        from cityid.cards.labels import register_labels

        register_labels()

        from cityid.cards.notes import erase_notes
        from cityid.cards.sealing import erase_numbers
        from cityid.vault.services import register_record_owner

        # Status-change notes and card numbers are sealed under the applicant's application record:
        # disposition erases them too.
        register_record_owner("application", eraser=erase_notes)
        register_record_owner("application", eraser=erase_numbers)
