from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "cityid.vault"
    label = "vault"
