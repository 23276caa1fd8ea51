"""NOT PRODUCT CODE. Emulators of the Service Layer and of a Shopify store, the process stack, the scenario
generators, the demo's sales day, the chaos run and the benchmarks.

Nothing the connector runs in production imports this package (an import-linter contract in `make lint` holds
it): only the tests and the `shopb1 emulate|demo|chaos` commands and `make bench` do. The emulators are ordinary
WSGI apps that the connector reaches over HTTP exactly as it reaches the real systems; their own tests are in
tests/emulators/.
"""
