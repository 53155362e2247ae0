"""Domain errors. Each carries its HTTP status so the API maps them in one place."""


class DomainError(Exception):
    """A request the domain refuses; `field` names the input at fault, when one is."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing asked for does not exist."""

    status_code = 404


class Forbidden(DomainError):
    """The user may not do this."""

    status_code = 403


class Conflict(DomainError):
    """The case is not in a state that allows this (already decided, wrong stage, ...)."""

    status_code = 409


class Invalid(DomainError):
    """The input breaks a domain rule."""

    status_code = 422


class Unauthenticated(DomainError):
    """No valid token."""

    status_code = 401
