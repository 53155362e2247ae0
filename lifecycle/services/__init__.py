"""Service functions: `session` first, keyword-only, one domain operation each. They never
commit; the caller's transaction does, so rows, audit events and outbox rows land together."""
