"""What web/ and the CLI call: one function per use case, each one transaction."""
