"""The retention classes of records: the one list of their codes (pure Python, no Django), which the
vault's ``RecordClass`` choices and the legal-hold scope parser both use."""

DOCUMENTS = "documents"
APPLICATION = "application"
PHOTO = "photo"
CARD = "card"
DISCLOSURE = "disclosure"

RECORD_CLASSES: tuple[str, ...] = (DOCUMENTS, APPLICATION, PHOTO, CARD, DISCLOSURE)
