"""The domain: what a case is, what may happen to it next, and the services that make it so."""
