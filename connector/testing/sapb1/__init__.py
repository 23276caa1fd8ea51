"""NOT PRODUCT CODE: an emulated SAP Business One Service Layer (see connector/testing/__init__.py)."""
