"""Other workflow engines' persisted steps, timed the same way as ours (optional peers)."""
