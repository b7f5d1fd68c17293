"""Sessions: who is signed in, and how that changes.

The seed guide's ``SessionService`` and ``AuthenticatorService``, finished.
"""

from ._api import (
    AuthApi,
    AuthError,
    AuthProtocolError,
    AuthRejectedError,
    AuthSession,
    AuthUnavailableError,
    Credentials,
    Secret,
    Tokens,
    User,
)

__all__ = [
    "AuthApi",
    "AuthError",
    "AuthProtocolError",
    "AuthRejectedError",
    "AuthSession",
    "AuthUnavailableError",
    "Credentials",
    "Secret",
    "Tokens",
    "User",
]
