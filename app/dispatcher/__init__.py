"""Delivery of webhooks to centre inboxes through a transactional outbox (DESIGN §8).

The business layer writes through one function, `enqueue(session, …)`, inside its own
transaction; workers (`Dispatcher`, `start_embedded`, `run_worker`) deliver what was
committed, at least once, signed to Standard Webhooks, on a retry schedule.
"""

from app.dispatcher.admin import (
    acknowledge_pull,
    attempts_of,
    cancel_pending,
    list_failed,
    may_have_arrived,
    reenable_endpoint,
    refused_endpoints,
    replay,
    to_pull,
)
from app.dispatcher.outbox import Delivered, enqueue, on_delivered, remove_delivered_hook
from app.dispatcher.process import EmbeddedDispatcher, run_worker, start_embedded
from app.dispatcher.schedule import MAX_ATTEMPTS, SCHEDULE_SECONDS, retry_delay
from app.dispatcher.signing import SignatureError, generate_secret, sign, verify
from app.dispatcher.urls import inbox_url_problem, url_syntax_problem
from app.dispatcher.worker import Dispatcher, DispatcherFault

__all__ = [
    "MAX_ATTEMPTS",
    "SCHEDULE_SECONDS",
    "Delivered",
    "Dispatcher",
    "DispatcherFault",
    "EmbeddedDispatcher",
    "SignatureError",
    "acknowledge_pull",
    "attempts_of",
    "cancel_pending",
    "enqueue",
    "generate_secret",
    "inbox_url_problem",
    "list_failed",
    "may_have_arrived",
    "on_delivered",
    "reenable_endpoint",
    "refused_endpoints",
    "remove_delivered_hook",
    "replay",
    "retry_delay",
    "run_worker",
    "sign",
    "start_embedded",
    "to_pull",
    "url_syntax_problem",
    "verify",
]
