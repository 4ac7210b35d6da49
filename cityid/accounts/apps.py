from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cityid.accounts"
    label = "accounts"
