"""Task names shared by the tasks and by whoever enqueues them (the ingest sends tasks by name)."""

PROCESS_WEBHOOK = "shopb1.webhooks.process"
COMPLIANCE_REQUEST = "shopb1.compliance.handle"
