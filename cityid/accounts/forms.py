from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _
from django_otp import match_token

from cityid.accounts.policy import ROLES
from cityid.accounts.services import DEACTIVATION_REASONS
from cityid.ui.forms import UswdsMixin


class OneTimeCodeInput(forms.TextInput):
    """An authenticator code works once: after a refused attempt the field is shown empty, ready for a fresh
    code, instead of offering the stale one for a second (counted) failure."""

    def format_value(self, value):
        return None


class StaffLoginForm(forms.Form):
    """Username, password and the authenticator code, checked together (MFA is mandatory)."""

    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    otp_token = forms.RegexField(
        label=_("Authenticator code"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Enter the 6-digit code from your authenticator app.")},
        widget=OneTimeCodeInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    error_messages = {"invalid_login": _("The username, password or authenticator code is not correct.")}

    def __init__(self, request=None, *args, **kwargs) -> None:
        self.request = request
        self.user = None
        self.device = None
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "usa-input")
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean(self) -> dict:
        data = super().clean()
        username, password, token = data.get("username"), data.get("password"), data.get("otp_token")
        if not (username and password and token):
            return data
        user = authenticate(self.request, username=username, password=password)
        if user is None:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        device = match_token(user, token)
        if device is None:
            # A wrong second factor counts as a failed login for the lockout, like a wrong password.
            user_login_failed.send(sender=__name__, credentials={"username": username}, request=self.request)
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        if not user.is_active:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        self.user, self.device = user, device
        return data


class NewPasswordForm(SetPasswordForm):
    """The staff member's own password: not the current one, which may be the one-time password
    the administrator was given (with the TOTP secret) when the account was created."""

    def clean(self) -> dict:
        data = super().clean()
        password = data.get("new_password2")
        if password and "new_password2" not in self.errors and self.user.check_password(password):
            self.add_error("new_password2", _("Choose a password different from your current one."))
        return data


class ChangePasswordForm(NewPasswordForm):
    """A voluntary change: the current password first. A wrong one counts towards the sign-in lockout
    (it goes through authentication), so a session left open cannot be used to guess it."""

    old_password = forms.CharField(
        label=_("Current password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    field_order = ["old_password", "new_password1", "new_password2"]

    def __init__(self, user, *args, request=None, **kwargs) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)
        self.order_fields(self.field_order)

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        if authenticate(self.request, username=self.user.get_username(), password=old_password) != self.user:
            raise forms.ValidationError(_("Your current password is not correct."), code="password_incorrect")
        return old_password


class _StyledForm(UswdsMixin, forms.Form):
    """A form whose widgets carry the USWDS classes."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class NewStaffForm(_StyledForm):
    username = forms.CharField(label=_("Username"), max_length=150, validators=[UnicodeUsernameValidator()],
                               help_text=_("Letters, digits and @ . + - _ only."))
    email = forms.EmailField(label=_("Work email address"),
                             help_text=_("The enrolment link is sent here, to the staff member only."))
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—")] + list(ROLES.items()))

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("A staff account with this username already exists."))
        return username


class RoleForm(_StyledForm):
    role = forms.ChoiceField(label=_("Role"), choices=list(ROLES.items()))


class DeactivateForm(_StyledForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—")] + list(DEACTIVATION_REASONS.items()))


class EmailForm(_StyledForm):
    email = forms.EmailField(label=_("New work email address"))


class EnrolForm(_StyledForm):
    """The staff member's own password and a current code from the authenticator they just set up."""

    new_password1 = forms.CharField(label=_("Choose a password"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                    help_text=_("At least 12 characters, not a common password."))
    new_password2 = forms.CharField(label=_("Type the password again"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    otp_token = forms.RegexField(
        label=_("Code from your authenticator app"), regex=r"^\d{6}$",
        error_messages={"invalid": _("Enter the 6-digit code from your authenticator app.")},
        widget=OneTimeCodeInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def __init__(self, user, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second:
            if first != second:
                self.add_error("new_password2", _("The two passwords do not match."))
            else:
                try:
                    validate_password(second, self.user)
                except forms.ValidationError as exc:
                    self.add_error("new_password1", exc)
        return data


class PartnerKeyForm(_StyledForm):
    name = forms.CharField(label=_("Partner"), max_length=120,
                           help_text=_("The organisation that will call the card status API, e.g. a bank's branch."))
