"""The key provider the retention suites run under, and the SoftHSM2 token they share with the tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def test_use_key_provider_local(settings):
    from cityid.bench.providers import use_key_provider
    from cityid.vault import providers

    settings.CITYID_KEY_PROVIDER = "pkcs11"
    assert use_key_provider("local")["provider"] == "local"
    assert settings.CITYID_KEY_PROVIDER == "local" and providers.get_provider().name == "local"
    with pytest.raises(ValueError, match="unknown key provider"):
        use_key_provider("vault9000")


def test_use_key_provider_pkcs11_makes_a_softhsm_token(tmp_path):
    """In a fresh process: SoftHSM reads its configuration once per process."""
    from cityid.bench.softhsm import softhsm_available

    if not softhsm_available():
        pytest.skip("SoftHSM2 is not installed (apt-get install softhsm2)")
    code = textwrap.dedent(f"""
        import os
        os.environ["DJANGO_SETTINGS_MODULE"] = "cityid.settings"
        os.environ["CITYID_KEYS_DIR"] = {str(tmp_path / "keys")!r}
        import django
        django.setup()
        from cityid.bench.providers import use_key_provider
        from cityid.vault.providers import get_provider
        described = use_key_provider("pkcs11", {str(tmp_path)!r})
        provider = get_provider()
        provider.ensure_key("cohort:bench/2016-12")
        data_key = os.urandom(32)
        assert provider.unwrap("cohort:bench/2016-12", provider.wrap("cohort:bench/2016-12", data_key)) == data_key
        print(provider.name, described["token"], described["softhsm2_conf"].startswith({str(tmp_path)!r}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["pkcs11", "cityid-bench", "True"]
