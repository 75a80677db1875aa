"""The Community Trigger's own use cases: applying, complaints, the public status page."""
