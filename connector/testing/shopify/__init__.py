"""NOT PRODUCT CODE: an emulated Shopify store: the Admin GraphQL API, its cost-based throttling, and the webhooks it
sends (see connector/testing/__init__.py)."""
