"""Delivery over HTTP: parses requests, calls one engine service, renders the answer."""
