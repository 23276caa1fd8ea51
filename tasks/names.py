"""Task names shared by the tasks and by whoever enqueues them (the ingest and the CLI send tasks by name)."""

PROCESS_WEBHOOK = "shopb1.webhooks.process"
COMPLIANCE_REQUEST = "shopb1.compliance.handle"

SYNC_ORDER = "shopb1.orders.sync_order"
UPSERT_CUSTOMER = "shopb1.customers.upsert_customer"
RESOLVE_ITEMS = "shopb1.items.resolve_items"
CREATE_SALES_ORDER = "shopb1.orders.create_sales_order"
CREATE_DOWN_PAYMENT_INVOICE = "shopb1.down_payments.create_down_payment_invoice"
POST_INCOMING_PAYMENT = "shopb1.payments.post_incoming_payment"
CANCEL_ORDER = "shopb1.orders.cancel_order"
FINISH_SYNC = "shopb1.orders.finish_sync"
RELEASE_ORDER = "shopb1.orders.release_order"

RECONCILE_ORDERS = "shopb1.reconcile.orders"

POLL_CATALOG = "shopb1.catalog.poll"
LOAD_CATALOG_PAGE = "shopb1.catalog.load_page"
SWEEP_STOCK = "shopb1.catalog.sweep_stock"
SWEEP_STOCK_PAGE = "shopb1.catalog.sweep_stock_page"
SYNC_ITEM = "shopb1.catalog.sync_item"
APPLY_PRODUCT_EDIT = "shopb1.catalog.apply_product_edit"
