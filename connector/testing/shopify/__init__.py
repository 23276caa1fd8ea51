"""An emulated Shopify store: the Admin GraphQL API, its cost-based throttling, and the webhooks it sends."""
