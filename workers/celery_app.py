"""The Celery application: broker and results on Redis, settings chosen for an idempotent at-least-once pipeline.

Every setting that is not Celery's default says why. Tasks live in `tasks/`; the queues in `tasks/queues.py`.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Queue as KombuQueue

from connector.pipeline_metrics import PRIORITY_STEPS
from connector.settings import PipelineSettings, RedisSettings
from tasks.queues import Queue
from workers import signals
from workers.schedules import beat_schedule

# See PipelineSettings.visibility_timeout.
VISIBILITY_TIMEOUT = PipelineSettings.from_env().visibility_timeout


def celery_config(redis: RedisSettings) -> dict[str, Any]:
    transport = {
        "visibility_timeout": VISIBILITY_TIMEOUT,
        # Look for messages of a killed worker every 30 s (default ~100 s); they return once past the timeout.
        "unacked_restore_interval": min(30, max(1, VISIBILITY_TIMEOUT // 2)),
        "unacked_restore_throttle": 1,
        # Without a socket timeout a vanished Redis (failover, NAT) leaves workers waiting forever.
        "socket_timeout": 30,
        "socket_connect_timeout": 10,
        "socket_keepalive": True,
        "health_check_interval": 25,
        "retry_on_timeout": True,
        "global_keyprefix": f"{redis.key_prefix}:celery:",
        # Two steps: the foreground, and the background that waits behind it (the sweep's synchronisations).
        "priority_steps": list(PRIORITY_STEPS),
    }
    # Under Sentinel the URLs are sentinel:// ones and the options name the master (kombu asks the sentinels for it
    # again after a failover; Celery's result backend the same).
    sentinel = redis.celery_sentinel_options()
    return {
        "broker_url": redis.celery_url(),
        "result_backend": redis.celery_url(),
        "broker_transport_options": {**transport, **sentinel},
        "result_backend_transport_options": {"global_keyprefix": transport["global_keyprefix"], **sentinel},
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # Acknowledge after the task ran, so that a killed worker's task is delivered again (tasks are idempotent).
        "task_acks_late": True,
        # A pool child killed mid-task (OOM, SIGKILL) is retried like a failure, within max_retries, not looped.
        "task_retry_on_worker_lost": True,
        "task_reject_on_worker_lost": False,
        # One message per process at a time: tasks wait on SAP for seconds, prefetching would starve other workers.
        "worker_prefetch_multiplier": 1,
        # Let a running task finish when the broker connection drops. Cancelling it (Celery's coming default)
        # marks it revoked and acknowledges its message once Redis is back: with the Redis transport the
        # unacknowledged copy lives in Redis, not in a channel, so the task would be lost, not delivered again.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "task_time_limit": 900,
        "task_soft_time_limit": 840,
        "task_track_started": True,
        # Flower shows task events: names, arguments and states for operators.
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        # No task result is kept: the order's canvas is one chain whose steps pass their answers in the next
        # step's message, and the one chord has simple tasks in its header, whose answers Redis keeps in the
        # chord's own join list (deleted once the body is sent) whether results are stored or not.
        "task_ignore_result": True,
        # What a chord left behind when its body never ran (a header that failed for good) expires.
        "result_expires": 86400,
        "task_create_missing_queues": False,
        # The errback that releases an order's lease must also run when a chord's header task fails.
        "task_allow_error_cb_on_chord_header": True,
        "beat_schedule": beat_schedule(),
        "task_queues": [KombuQueue(queue.value, routing_key=queue.value) for queue in Queue],
        "task_default_queue": Queue.WEBHOOKS.value,
    }


# Modules whose tasks a worker registers at start-up.
TASK_MODULES = [
    "tasks.compliance", "tasks.webhooks", "tasks.orders", "tasks.reconcile", "tasks.catalog", "tasks.fulfilments",
    "tasks.customers",
]  # fmt: skip


def create_app(redis: RedisSettings | None = None) -> Celery:
    app = Celery("shopb1", include=TASK_MODULES)
    app.conf.update(celery_config(redis or RedisSettings.from_env()))
    app.steps["worker"].add(signals.LivenessFile)
    return app


def create_publisher(redis: RedisSettings) -> Celery:
    """A Celery app that only sends tasks (the ingest): no result backend, so publishing subscribes to nothing."""
    app = Celery("shopb1-publisher")
    config = celery_config(redis)
    config["result_backend"] = None
    app.conf.update(config)
    return app


# `celery -A workers.celery_app worker` finds this; its Redis comes from SHOPB1_REDIS_URL.
app = create_app()
