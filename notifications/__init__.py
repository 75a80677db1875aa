"""Delivery of what the engine queued: outbox dispatch, channels and message templates."""
