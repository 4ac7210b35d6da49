from django.apps import AppConfig
from django.core import checks


class VaultConfig(AppConfig):
    name = "cityid.vault"
    label = "vault"

    def ready(self) -> None:
        from cityid.vault.labels import register_labels

        register_labels()

        from cityid.core import backends
        from cityid.vault import messages
        from cityid.vault.providers import PROVIDERS, KeyProvider
        from cityid.vault.signers import STORES, SigningKeyStore, requested_algorithm

        messages.register()
        backends.register_part(setting="CITYID_KEY_PROVIDER", protocol=KeyProvider, aliases=PROVIDERS)
        backends.register_part(setting="CITYID_SIGNER", protocol=SigningKeyStore, aliases=STORES)
        checks.register(swappable_parts_check, checks.Tags.compatibility)
        backends.check_all()  # a wrong setting stops the server and every command at start
        requested_algorithm()


def swappable_parts_check(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    from django.core.exceptions import ImproperlyConfigured

    from cityid.core import backends
    from cityid.vault.signers import requested_algorithm

    problems = list(backends.problems())
    try:
        requested_algorithm()
    except ImproperlyConfigured as exc:
        problems.append(str(exc))
    return [checks.Error(problem, id="cityid.E001") for problem in problems]
