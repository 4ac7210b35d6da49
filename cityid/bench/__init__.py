"""The benchmark suites behind ``cityid bench``, one module per suite: ``enrollment``,
``disposition``, ``hold`` and ``audit``. Each figure sits beside a ceiling measured in the same run
on the same machine, so ratios stay meaningful on a busy or slower host.

``common`` holds what every suite and the command share (timing, scratch directories and database,
result files); ``softhsm`` initialises the SoftHSM2 token the PKCS#11 figures and the tests use."""
