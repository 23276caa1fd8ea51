"""The webhook ingest: verify, keep and queue Shopify webhooks (a WSGI app), and what it counts."""
