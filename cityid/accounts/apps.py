from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cityid.accounts"
    label = "accounts"

    def ready(self) -> None:
        from cityid.accounts import lockout

        lockout.connect()  # django-axes keeps no form or query data of a failed sign-in
