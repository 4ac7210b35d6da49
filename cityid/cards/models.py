"""Card records. Printing and signed credentials come with the cards issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CardStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


class Card(models.Model):
    number = models.CharField(max_length=16, unique=True)
    applicant = models.ForeignKey("enrollment.Applicant", on_delete=models.CASCADE, related_name="cards")
    application = models.OneToOneField("enrollment.Application", on_delete=models.CASCADE, related_name="card")
    issued_on = models.DateField()
    expires_on = models.DateField(db_index=True)
    status = models.CharField(max_length=16, choices=CardStatus.choices, default=CardStatus.ISSUED)

    def __str__(self) -> str:
        return f"card {self.number}"
