import hmac
import time
import uuid
from base64 import b32encode
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from cityid.accounts.policy import ROLES

#: The key-provider key that seals staff authenticator seeds (never in the database).
MFA_KEY_ID = "staff-mfa"


class User(AbstractUser):
    """A staff account. Each account has exactly one role (DESIGN.md §2)."""

    role = models.CharField(_("role"), max_length=32, choices=list(ROLES.items()))
    #: When the current role was granted: set at creation and by every role change. A disposition
    #: approver must have held their role since before the request was made.
    role_since = models.DateTimeField(default=timezone.now)
    must_change_password = models.BooleanField(default=True)
    deactivation_reason = models.CharField(
        max_length=16, blank=True,
        help_text="why the account was last deactivated (a DEACTIVATION_REASONS code); not in the audit log",
    )
    #: The enrollment center the person works at (a short code such as ``bronx-1``); cases assigned to a
    #: site's queue are open to its staff. Empty: no site.
    site = models.CharField(_("site"), max_length=32, blank=True, default="")

    def __str__(self) -> str:
        return self.username


class UnknownSignInFailures(models.Model):
    """Failed sign-ins naming no staff account (or none), counted per day instead of logged one audit
    entry each: anyone can send them, and they carry nothing an auditor could follow up. Failures
    against a real account are audit-log entries (``login.failure``)."""

    day = models.DateField(unique=True)
    count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.count}"
class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A TOTP authenticator whose seed is sealed through the key provider (``staff-mfa``).

    It replaces ``django_otp.plugins.otp_totp``'s device, which keeps the seed in clear: a copy of
    the database would let anyone compute every staff member's codes. The seed is opened in memory
    for verification only. Verification, replay protection (``last_t``) and throttling work as in
    django-otp's device; ``bin_key`` and ``config_url`` behave the same.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totpdevice_set")
    key_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sealed_key = models.BinaryField(help_text="the seed, sealed under the provider key staff-mfa")
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    def _associated_data(self) -> bytes:
        return f"{MFA_KEY_ID}:{self.key_uuid}".encode()

    def set_seed(self, seed: bytes) -> None:
        from cityid.vault.services import seal_with_key

        self.sealed_key = seal_with_key(MFA_KEY_ID, seed, self._associated_data())
        self._seed = seed

    @property
    def bin_key(self) -> bytes:
        """The seed, opened in memory (never stored in clear)."""
        seed = getattr(self, "_seed", None)
        if seed is None:
            from cityid.vault.services import open_with_key

            seed = self._seed = open_with_key(MFA_KEY_ID, bytes(self.sealed_key), self._associated_data())
        return seed

    @property
    def secret(self) -> str:
        """The seed in base32, for typing into an authenticator app (shown to its owner only)."""
        return b32encode(self.bin_key).decode().rstrip("=")

    def verify_token(self, token) -> bool:
        verify_allowed, _ = self.verify_is_allowed()
        if not verify_allowed:
            return False
        try:
            token = int(token)
        except (TypeError, ValueError):
            verified = False
        else:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            verified = totp.verify(token, self.tolerance, self.last_t + 1)
            if verified:
                self.last_t = totp.t()
                if getattr(settings, "OTP_TOTP_SYNC", True):
                    self.drift = totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    @property
    def config_url(self) -> str:
        """The otpauth:// URI an authenticator app reads from the QR code."""
        issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "") or "").replace(":", "")
        label = f"{issuer}:{self.user.get_username()}" if issuer else self.user.get_username()
        params = urlencode({"secret": self.secret, "algorithm": "SHA1", "digits": self.digits, "period": self.step})
        if issuer:
            params += f"&issuer={quote(issuer)}"
        return f"otpauth://totp/{quote(label)}?{params}"


class EnrolmentPurpose(models.TextChoices):
    CREATE = "create", _("New account")
    REACTIVATE = "reactivate", _("Reactivated account")
    RESET = "reset", _("Replaced authenticator")


class EnrolmentLink(models.Model):
    """A one-time link with which a staff member sets their own password and authenticator.

    Only the SHA-256 of the token is stored; the token itself goes to the staff member (by email,
    or printed once to the host operator) and never to an administrator. The row also records who
    issued the credentials (and who approved that), which the disposition approver check reads.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_links")
    purpose = models.CharField(max_length=16, choices=EnrolmentPurpose.choices)
    token_hash = models.BinaryField(max_length=32, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    #: Who issued it (``None``: the host operator) and who approved it when a second administrator had to.
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    #: The authenticator being enrolled (unconfirmed until the staff member types a current code).
    device = models.ForeignKey(TOTPDevice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"enrolment link {self.pk}"

    def matches(self, token_hash: bytes) -> bool:
        return hmac.compare_digest(bytes(self.token_hash), token_hash)

    @property
    def usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class ChangeKind(models.TextChoices):
    CREATE = "create", _("Create an account with a privileged role")
    ROLE = "role", _("Grant a privileged role")
    REACTIVATE = "reactivate", _("Reactivate an account")
    RESET_MFA = "reset_mfa", _("Replace the authenticator")
    EMAIL = "email", _("Change the email address")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a second administrator")
    APPROVED = "approved", _("Approved and done")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


class ChangeRequest(models.Model):
    """A staff change one administrator asked for and a second, different one must approve."""

    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    #: The account changed; empty for ``create`` until it is approved (then the new account).
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="change_requests")
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=32, blank=True, choices=list(ROLES.items()))
    email = models.EmailField(blank=True)
    status = models.CharField(max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"change request {self.pk} ({self.kind})"


class PartnerKeyStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a second administrator")
    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PartnerKey(models.Model):
    """An API key with which a partner (a bank, a library, a hospital) asks the partner JSON API for a card's
    status (``cityid.cards.partner_api``).

    Only the SHA-256 of the key is stored (the key holds 256 random bits): the key is shown once, when it is
    made, and a copy of the database cannot call the API. ``prefix`` is a public, random handle that finds the
    row (shown in lists, never enough to call). An administrator's request waits for a second, different
    administrator, who makes the key and sees it once; revoking takes access away, so one administrator may.
    The partner's name is an organisation's, not a person's; the audit log names the key as ``partner:<id>``.
    """

    name = models.CharField(_("partner"), max_length=120)
    prefix = models.CharField(max_length=16, unique=True, null=True, blank=True)
    key_hash = models.BinaryField(max_length=32, unique=True, null=True, blank=True)
    status = models.CharField(max_length=16, choices=PartnerKeyStatus.choices, default=PartnerKeyStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", help_text="empty for the host operator")
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="when a pending request lapses")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"partner key {self.pk}"

    @property
    def ref(self) -> str:
        """The pseudonymous id the audit log uses."""
        return f"partner:{self.pk}"

    @property
    def active(self) -> bool:
        """Whether calls with this key are answered."""
        return self.status == PartnerKeyStatus.ACTIVE and self.key_hash is not None
