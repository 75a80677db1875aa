"""The staff workspace: sign-in, work queues, case pages and actions under /staff."""
