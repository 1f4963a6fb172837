"""Contract tests for the sessions API: point them at any implementation with `--base-url`.

`pytest contract_tests` (from a checkout) or `pytest --pyargs contract_tests --base-url URL --token T --org O`.
"""
