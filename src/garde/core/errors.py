"""Errors a user can act on. The CLI prints their message as one line, never a traceback."""


class GardeError(Exception):
    """Base of every error Garde reports to its user."""


class InputError(GardeError):
    """The user's input (a path, a query, a setting) is not usable."""


class UnknownFormatError(InputError):
    """A file's format could not be recognised and none was forced."""


class QueryError(InputError):
    """A search filter or SQL query was refused or failed."""


class StoreUnavailableError(GardeError):
    """A store cannot be opened: in use by another process, unreadable, or not a Garde store."""
