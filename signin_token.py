"""AWS credentials from an AWS console sign-in, the way ``aws login`` does it.

One vendorable, standard-library-only module: the AWS Sign-In service model
(``signin`` 2023-01-01) as dataclasses with client-side validation, PKCE, a
pure-Python ES256 DPoP signer, every operation of the service over ``urllib``
(asyncio through a worker thread), login sessions shared with the AWS CLI and SDKs under
OpenSSH-style file checks, a local container-credentials server that keeps
credentials fresh past their 15 minutes, and a command line
(``signin-token`` / ``python -m signin_token``) usable as a ``credential_process``.

Usage::

    import signin_token
    key = signin_token.DPoPKey.generate()
    body = signin_token.CreateOAuth2TokenRequestBody(
        client_id=signin_token.SAME_DEVICE_CLIENT_ID, grant_type="refresh_token",
        refresh_token=token)
    out = signin_token.SigninClient(region="us-east-1").create_oauth2_token(
        signin_token.CreateOAuth2TokenRequest(body), key)

Implements RFC 7636 (PKCE), RFC 9449 (DPoP), RFC 7515/7518 (JWS, ES256),
RFC 7638 (JWK thumbprint), RFC 6979 (deterministic ECDSA nonces) and RFC 5915 /
SEC 1 and PKCS #8 (EC private keys in PEM).

Caveat: the P-256 arithmetic is plain Python integers and is not constant
time.  Timing can leak information about the DPoP key to an attacker who can
measure many signatures precisely on the same machine; the key only binds a
refresh token that is itself stored beside it in a 0600 file, so such an
attacker could read the key anyway.  Use a native library where that matters.
"""

from __future__ import annotations

import _thread
import base64
import binascii
import dataclasses
import datetime
import enum
import hashlib
import json
import os
import re
import sys
import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (5 ms)
if TYPE_CHECKING:  # pragma: no cover - typing only, costs no import time
    import socket
    import ssl
    import threading
    from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
    from typing import Any, ClassVar, Final, TextIO, TypeVar

    _Option = tuple[tuple[str, ...], dict[str, Any]]  # an argparse option: flags, keywords
    _E = TypeVar("_E", bound="_Envelope")  # CreateOAuth2TokenRequest or CreateOAuth2TokenResponse
    _M = TypeVar("_M", bound="_Model")  # a model structure

__all__ = [
    "API_VERSION",
    "CROSS_DEVICE_CLIENT_ID",
    "ENDPOINT_PREFIX",
    "PROTOCOL",
    "SAME_DEVICE_CLIENT_ID",
    "SERVICE_FULL_NAME",
    "SERVICE_ID",
    "SIGNATURE_VERSION",
    "SIGNING_NAME",
    "UID",
    "AccessDeniedException",
    "AccessToken",
    "BatchRevokeSessionError",
    "BatchRevokeSessionsInput",
    "BatchRevokeSessionsOutput",
    "ClientType",
    "ConfigError",
    "ConflictException",
    "CreateBearerTokenRequest",
    "CreateBearerTokenResponse",
    "CreateOAuth2TokenRequest",
    "CreateOAuth2TokenRequestBody",
    "CreateOAuth2TokenResponse",
    "CreateOAuth2TokenResponseBody",
    "CreateOAuth2TokenWithIAMRequest",
    "CreateOAuth2TokenWithIAMResponse",
    "CreateOAuth2TokenWithTokenExchangeRequest",
    "CreateOAuth2TokenWithTokenExchangeResponse",
    "Credentials",
    "DPoPKey",
    "DeleteConsoleAuthorizationConfigurationInput",
    "DeleteConsoleAuthorizationConfigurationOutput",
    "DeleteResourcePermissionStatementInput",
    "DeleteResourcePermissionStatementOutput",
    "GetConsoleAuthorizationConfigurationInput",
    "GetConsoleAuthorizationConfigurationOutput",
    "GetResourcePolicyInput",
    "GetResourcePolicyOutput",
    "GetSessionInput",
    "GetSessionOutput",
    "InternalServerException",
    "IntrospectOAuth2TokenWithIAMRequest",
    "IntrospectOAuth2TokenWithIAMResponse",
    "InvalidGrantException",
    "InvalidKeyError",
    "InvalidResponseError",
    "InvalidScopeException",
    "ListResourcePermissionStatementsInput",
    "ListResourcePermissionStatementsOutput",
    "ListSessionsInput",
    "ListSessionsOutput",
    "LoginRequiredError",
    "OAuth2ErrorCode",
    "PKCEPair",
    "ParamValidationError",
    "PermissionStatementSummary",
    "PolicyStatement",
    "PutConsoleAuthorizationConfigurationInput",
    "PutConsoleAuthorizationConfigurationOutput",
    "PutResourcePermissionStatementInput",
    "PutResourcePermissionStatementOutput",
    "ResourceNotFoundException",
    "RevokeOAuth2TokenWithIAMRequest",
    "RevokeOAuth2TokenWithIAMResponse",
    "RevokedSession",
    "ServiceError",
    "ServiceQuotaExceededException",
    "ServiceUnavailableException",
    "Session",
    "SessionEndedError",
    "SessionStatus",
    "SigninClient",
    "SigninResourceBasedPolicy",
    "SigninTokenError",
    "SigningCredentials",
    "TooManyRequestsError",
    "TransportError",
    "UnsafeFileError",
    "ValidationException",
    "authorization_url",
    "generate_pkce",
    "get_credentials",
    "get_credentials_async",
    "jwk_thumbprint",
    "login",
    "logout",
    "main",
    "pkce_challenge",
    "resolve_endpoint",
    "session_status",
]

__version__ = "0.3.0"

# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------

# Service metadata, verbatim from service-2.json.
API_VERSION: Final = "2023-01-01"
ENDPOINT_PREFIX: Final = "signin"
SIGNING_NAME: Final = "signin"
SERVICE_ID: Final = "Signin"
SERVICE_FULL_NAME: Final = "AWS Sign-In Service"
PROTOCOL: Final = "rest-json"
SIGNATURE_VERSION: Final = "v4"
UID: Final = "signin-2023-01-01"

# The two public OAuth clients of the AWS developer tools (PROTOCOL.md §2).
SAME_DEVICE_CLIENT_ID: Final = "arn:aws:signin:::devtools/same-device"
CROSS_DEVICE_CLIENT_ID: Final = "arn:aws:signin:::devtools/cross-device"

# The model's string and integer shapes: shape -> (min, max, full-match pattern).
# min/max bound a string's length or an integer's value.
# Requests are held to the model; responses only to type, presence and a memory
# bound, as the AWS CLI, botocore and the JS SDK validate no response (§13).
_MAX_TOKEN_CHARS: Final = 64 * 1024
_SHAPES: Final[dict[str, tuple[int | None, int | None, str | None]]] = {
    # Request members, as the model says.
    "AuthorizationCode": (1, 512, None),
    "ClientId": (None, None, r"arn:aws:signin:::devtools/(cross-device|same-device)"),
    "CodeVerifier": (43, 128, r"[A-Za-z0-9\-._~]+"),
    "GrantType": (None, None, r"(authorization_code|refresh_token)"),
    "RedirectUri": (1, 2048, None),
    "RefreshToken": (1, 12288, None),  # today's model (2048 in the first one)
    # Response members: any positive lifetime, any token up to the memory bound.
    "ExpiresIn": (1, None, None),
    "IssuedRefreshToken": (1, _MAX_TOKEN_CHARS, None),  # what the service sends: not refused here
    "IdToken": (1, _MAX_TOKEN_CHARS, None),
    # The model says "aws_sigv4"; real caches hold a URN.  Kept verbatim (§5).
    "TokenType": (1, _MAX_TOKEN_CHARS, None),
    # Credentials: the model leaves them unconstrained; empty ones are useless.
    "Credential": (1, _MAX_TOKEN_CHARS, None),
}

# Request members: attribute, JSON wire name, OAuth form name, shape.
_REQUEST_MEMBERS: Final = (
    ("client_id", "clientId", "client_id", "ClientId"),
    ("grant_type", "grantType", "grant_type", "GrantType"),
    ("code", "code", "code", "AuthorizationCode"),
    ("redirect_uri", "redirectUri", "redirect_uri", "RedirectUri"),
    ("code_verifier", "codeVerifier", "code_verifier", "CodeVerifier"),
    ("refresh_token", "refreshToken", "refresh_token", "RefreshToken"),
)
# Which optional members each grant type requires; the others it forbids.
_GRANT_MEMBERS: Final = {
    "authorization_code": ("code", "redirect_uri", "code_verifier"),
    "refresh_token": ("refresh_token",),
}
_ACCESS_TOKEN_MEMBERS: Final = (
    ("access_key_id", "accessKeyId", "access_key_id"),
    ("secret_access_key", "secretAccessKey", "secret_access_key"),
    ("session_token", "sessionToken", "session_token"),
)

# Endpoints (PROTOCOL.md §1).  Partitions, verbatim from botocore's
# data/partitions.json (version 1.1) and in its order, the order they are tried:
# id, regionRegex (re.match), the regions it lists that its regex does not
# match, dnsSuffix, dualStackDnsSuffix, supportsFIPS, supportsDualStack.  A
# region that no partition claims belongs to the first (aws).
_PARTITIONS: Final = (
    (
        "aws",
        r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$",
        ("aws-global",),
        "amazonaws.com",
        "api.aws",
        True,
        True,
    ),
    (
        "aws-cn",
        r"^cn\-\w+\-\d+$",
        ("aws-cn-global",),
        "amazonaws.com.cn",
        "api.amazonwebservices.com.cn",
        True,
        True,
    ),
    ("aws-eusc", r"^eusc\-(de)\-\w+\-\d+$", (), "amazonaws.eu", "api.amazonwebservices.eu", True, True),
    ("aws-iso", r"^us\-iso\-\w+\-\d+$", ("aws-iso-global",), "c2s.ic.gov", "api.aws.ic.gov", True, True),
    (
        "aws-iso-b",
        r"^us\-isob\-\w+\-\d+$",
        ("aws-iso-b-global",),
        "sc2s.sgov.gov",
        "api.aws.scloud",
        True,
        True,
    ),
    (
        "aws-iso-e",
        r"^eu\-isoe\-\w+\-\d+$",
        ("aws-iso-e-global",),
        "cloud.adc-e.uk",
        "api.cloud-aws.adc-e.uk",
        True,
        True,
    ),
    (
        "aws-iso-f",
        r"^us\-isof\-\w+\-\d+$",
        ("aws-iso-f-global",),
        "csp.hci.ic.gov",
        "api.aws.hci.ic.gov",
        True,
        True,
    ),
    ("aws-us-gov", r"^us\-gov\-\w+\-\d+$", ("aws-us-gov-global",), "amazonaws.com", "api.aws", True, True),
)
# The service's endpoint rule set (botocore data/signin/2023-01-01/
# endpoint-rule-set-1.json), rule by rule, for the three operation families
# its static context parameters name.  Control plane (IsControlPlane):
# signin.{region}.{the partition's API suffix}, FIPS and dual-stack ignored.
# OAuth (IsOAuthEndpoint): FIPS is an error; in aws, {region}.oauth.signin.aws
# (dual-stack ignored); elsewhere as the sign-in hosts.  Sign-in hosts (the
# rest, CreateOAuth2Token): without FIPS and dual-stack, the partition's
# console host after the region, else signin.{dnsSuffix}; FIPS alone:
# us-gov-west-1's own URL, then aws-us-gov's FIPS host after the region;
# otherwise signin[-fips].{region}.{dnsSuffix | dualStackDnsSuffix}, or an
# error where the partition lacks FIPS or dual-stack.
_CONTROL_PLANE_SUFFIXES: Final = {"aws": "api.aws", "aws-cn": "api.amazonwebservices.com.cn"}
_OAUTH_HOST: Final = "oauth.signin.aws"  # aws only
_OAUTH_FIPS_RULE: Final = (
    "FIPS endpoints are not supported for OAuth operations. Disable FIPS or use a non-OAuth"
    " operation. (signin endpoint rule set)"
)
_SIGNIN_HOSTS: Final = {
    "aws": "signin.aws.amazon.com",
    "aws-cn": "signin.amazonaws.cn",
    "aws-us-gov": "signin.amazonaws-us-gov.com",
    "aws-iso": "signin.c2shome.ic.gov",
    "aws-iso-b": "signin.sc2shome.sgov.gov",
    "aws-iso-f": "signin.csphome.hci.ic.gov",
    "aws-iso-e": "signin.csphome.adc-e.uk",
    "aws-eusc": "signin.amazonaws-eusc.eu",
}
_FIPS_REGION_URLS: Final = {"us-gov-west-1": "https://signin-fips.amazonaws-us-gov.com"}
_FIPS_HOSTS: Final = {"aws-us-gov": "signin-fips.amazonaws-us-gov.com"}
_REGION_RE: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_TOKEN_PATH: Final = "/v1/token"
_AUTHORIZE_PATH: Final = "/v1/authorize"
_CONFIRMATION_PATH: Final = "/v1/sessions/confirmation"
_CALLBACK_PATH: Final = "/oauth/callback"

# Transport: a token response is a few KiB; anything past 1 MiB is hostile.
_MAX_RESPONSE_BYTES: Final = 1 << 20
_DEFAULT_TIMEOUT: Final = 30.0
_DEFAULT_MAX_ATTEMPTS: Final = 3
_BACKOFF_BASE: Final = 0.5  # seconds; full jitter over base * 2**(attempt-1)
_BACKOFF_CAP: Final = 20.0  # no single wait longer, Retry-After included
_RETRYABLE_STATUSES: Final = frozenset((429, 500, 502, 503, 504))  # throttling and transient faults
_CLOCK_SKEW_TOLERANCE: Final = 60  # seconds before a server Date counts as skew

# --------------------------------------------------------------------------
# Exceptions
# --------------------------------------------------------------------------


class SigninTokenError(Exception):
    """Root of every error this module raises on purpose."""


class ParamValidationError(SigninTokenError, ValueError):
    """A value broke a rule of the service model; raised before any I/O.

    ``field`` names the member (wire name) and ``rule`` the broken rule.  The
    offending value is never part of the message: it may be a secret.
    """

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"Invalid parameter {field}: {rule}")
        self.field = field
        self.rule = rule


class InvalidKeyError(SigninTokenError, ValueError):
    """A key, point, PEM document or JWK is malformed or not on P-256."""


class InvalidResponseError(SigninTokenError):
    """The service answered with something that is not a valid response."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransportError(SigninTokenError):
    """The request did not complete: refused, reset, DNS, TLS or timeout.

    ``__cause__`` is a redacted stand-in naming the underlying exception;
    ``attempts`` is how many HTTP attempts the call made.
    """

    attempts: int = 1


class ServiceError(SigninTokenError):
    """The service refused the request with an HTTP error status.

    ``error`` is an :class:`OAuth2ErrorCode` when the code is known, else the
    raw string (or ``None``); ``message`` is the service's text, ``status``
    the HTTP status, ``request_id`` the ``x-amzn-RequestId`` header and
    ``attempts`` how many HTTP attempts the call made.
    """

    attempts: int = 1

    def __init__(
        self,
        message: str,
        *,
        error: OAuth2ErrorCode | str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        error_type: str | None = None,
    ) -> None:
        self.error = error
        self.message = message
        self.status = status
        self.request_id = request_id
        self.error_type = error_type or type(self).__name__
        super().__init__(self._describe())

    def _describe(self) -> str:
        code = self.error.value if isinstance(self.error, OAuth2ErrorCode) else self.error
        parts = [p for p in (code, f"HTTP {self.status}" if self.status else None) if p]
        text = f"{self.error_type} ({', '.join(parts)})" if parts else self.error_type
        if self.message:
            text += f": {self.message}"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text


class AccessDeniedException(ServiceError):
    """401 TOKEN_EXPIRED / AUTHCODE_EXPIRED, 403 USER_CREDENTIALS_CHANGED /
    INSUFFICIENT_PERMISSIONS (PROTOCOL.md §11)."""


class ValidationException(ServiceError):
    """400 INVALID_REQUEST: malformed request or an invalid or expired grant."""


class TooManyRequestsError(ServiceError):
    """429: rate limited; back off and retry."""


class InternalServerException(ServiceError):
    """500 server_error: a service fault; retry later or in another region."""


class ResourceNotFoundException(ServiceError):
    """404 RESOURCE_NOT_FOUND: the session, statement or configuration does not exist."""


class ConflictException(ServiceError):
    """409 CONFLICT: the change collides with the resource's current state."""


class ServiceQuotaExceededException(ServiceError):
    """402 SERVICE_QUOTA_EXCEEDED: a quota of the account is used up."""


class InvalidGrantException(ServiceError):
    """400 invalid_grant: the token exchange's subject token or assertion is refused."""


class InvalidScopeException(ServiceError):
    """400 invalid_scope: the token exchange asked for a scope it may not have."""


class ServiceUnavailableException(ServiceError):
    """503 service_unavailable: the service is briefly unavailable; retried."""


class LoginRequiredError(SigninTokenError):
    """A new login is needed: no session, session expired or revoked, or an
    unusable cache entry.  ``command`` is the command that fixes it."""

    def __init__(self, message: str, command: str = "") -> None:
        super().__init__(message)
        self.command = command


class SessionEndedError(LoginRequiredError):
    """The service definitively refused the session's refresh token (its 12
    hours are over, the password changed, the grant is invalid or revoked).
    The session stays ended for this tool, even while its cached credentials
    are still valid, until a new login brings a new refresh token."""


class ConfigError(SigninTokenError):
    """The AWS config file or a profile in it cannot be used as asked."""


class UnsafeFileError(SigninTokenError):
    """A file or directory that holds or decides where secrets go is unsafe:
    a link, not a regular file, owned by another user or writable by others.
    The message names the path and the command that fixes it."""


# The modeled errors, chosen by error type (explicit) or HTTP status (fallback).
_ERROR_TYPES: Final[dict[str, type[ServiceError]]] = {
    "AccessDeniedException": AccessDeniedException,
    "ValidationException": ValidationException,
    "TooManyRequestsError": TooManyRequestsError,
    "InternalServerException": InternalServerException,
    "ResourceNotFoundException": ResourceNotFoundException,
    "ConflictException": ConflictException,
    "ServiceQuotaExceededException": ServiceQuotaExceededException,
    "InvalidGrantException": InvalidGrantException,
    "InvalidScopeException": InvalidScopeException,
    "ServiceUnavailableException": ServiceUnavailableException,
}
_STATUS_ERRORS: Final[dict[int, type[ServiceError]]] = {
    400: ValidationException,
    401: AccessDeniedException,
    403: AccessDeniedException,
    429: TooManyRequestsError,
    500: InternalServerException,
}


def _require_type(field: str, value: object, expected: type | tuple[type, ...]) -> None:
    """``TypeError`` naming ``field`` unless ``value`` is an ``expected`` (a bool is no int)."""
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        wanted = " or ".join(k.__name__ for k in kinds)
        raise TypeError(f"{field} must be {wanted}, not {type(value).__name__}")


# --------------------------------------------------------------------------
# Service model
# --------------------------------------------------------------------------


class OAuth2ErrorCode(str, enum.Enum):
    """The model's ``OAuth2ErrorCode`` enum (17 values, in the model's order);
    what each means for a session is in ``_REFUSALS``."""

    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    USER_CREDENTIALS_CHANGED = "USER_CREDENTIALS_CHANGED"
    INSUFFICIENT_PERMISSIONS = "INSUFFICIENT_PERMISSIONS"
    AUTHCODE_EXPIRED = "AUTHCODE_EXPIRED"
    SERVER_ERROR = "server_error"
    INVALID_REQUEST = "INVALID_REQUEST"
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    CONFLICT = "CONFLICT"
    SERVICE_QUOTA_EXCEEDED = "SERVICE_QUOTA_EXCEEDED"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    OAUTH_INVALID_REQUEST = "invalid_request"  # the OAuth spelling; INVALID_REQUEST is taken
    INVALID_GRANT = "invalid_grant"
    INVALID_SCOPE = "invalid_scope"
    INVALID_TARGET = "invalid_target"
    INVALID_CLIENT = "invalid_client"
    RATE_EXCEEDED = "rate_exceeded"
    SERVICE_UNAVAILABLE = "service_unavailable"


# The model's structures are frozen dataclasses made on first use: creating a
# dataclass costs ~0.7 ms, and the credentials path (a valid cache) needs none
# of them.  The class itself is created at import (cheap) and registered here;
# dataclasses.dataclass runs on it when it is first instantiated or inspected.
_REALIZING: Final = _thread.allocate_lock()
_PENDING: Final[dict[type, dict[str, bool]]] = {}  # lazy class -> its dataclass options


class _LazyFields:
    """Stands in for ``__dataclass_fields__`` on a class not made yet: reading it
    (``dataclasses.fields``, ``is_dataclass``, ``asdict``) makes the class."""

    def __get__(self, obj: object, owner: type) -> Any:
        _realize(owner)
        return owner.__dataclass_fields__  # type: ignore[attr-defined]


def _lazy_init(self: Any, *args: Any, **kwargs: Any) -> None:
    """Stands in for ``__init__`` on a class not made yet: makes it, then runs the real one."""
    _realize(type(self))
    type(self).__init__(self, *args, **kwargs)


def _realize(cls: type) -> None:
    """Run ``dataclasses.dataclass`` on each class of ``cls.__mro__`` that
    :func:`_lazy_dataclass` registered, once, bases first."""
    with _REALIZING:
        for base in reversed(cls.__mro__):
            options = _PENDING.pop(base, None)
            if options is not None:
                delattr(base, "__init__")  # dataclass writes no attribute already in the class dict
                delattr(base, "__dataclass_fields__")
                dataclasses.dataclass(**options)(base)


if TYPE_CHECKING:  # mypy sees plain dataclasses, exact types and all
    from dataclasses import dataclass as _lazy_dataclass
else:

    def _lazy_dataclass(**options: bool) -> Callable[[type], type]:
        """``dataclasses.dataclass(**options)``, run when the class is first used."""

        def register(cls: type) -> type:
            cls.__init__ = _lazy_init
            cls.__dataclass_fields__ = _LazyFields()
            _PENDING[cls] = options
            return cls

        return register


def _check(field: str, value: object, shape: str, *, optional: bool = False) -> None:
    """Check one member against its shape in ``_SHAPES``; ``None`` means absent."""
    if value is None:
        if optional:
            return
        raise ParamValidationError(field, "is required")
    low, high, pattern = _SHAPES[shape]
    _require_type(field, value, int if shape == "ExpiresIn" else str)
    size = value if isinstance(value, int) else len(str(value))
    what = "value" if isinstance(value, int) else "length"
    if low is not None and size < low:
        raise ParamValidationError(field, f"{what} must be at least {low}")
    if high is not None and size > high:
        raise ParamValidationError(field, f"{what} must be at most {high}")
    if pattern is not None and re.fullmatch(pattern, str(value)) is None:
        raise ParamValidationError(field, f"must match {pattern}")


@_lazy_dataclass(frozen=True, repr=False)
class AccessToken:
    """Temporary AWS credentials (the model's sensitive ``AccessToken``).

    All three members are secret-bearing: ``repr()`` shows none of them.
    """

    access_key_id: str
    secret_access_key: str
    session_token: str

    def __post_init__(self) -> None:
        for attr, wire, _ in _ACCESS_TOKEN_MEMBERS:
            _check(f"accessToken.{wire}", getattr(self, attr), "Credential")

    def __repr__(self) -> str:
        return "AccessToken(<sensitive>)"

    def to_dict(self) -> dict[str, str]:
        """The wire form: ``{"accessKeyId", "secretAccessKey", "sessionToken"}``."""
        return {wire: getattr(self, attr) for attr, wire, _ in _ACCESS_TOKEN_MEMBERS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AccessToken:
        """Read the wire form, or the OAuth snake_case spelling of it."""
        _require_type("accessToken", data, dict)
        return cls(**{a: _member(data, w, o) for a, w, o in _ACCESS_TOKEN_MEMBERS})


@_lazy_dataclass(frozen=True)
class CreateOAuth2TokenRequestBody:
    """The token request (HTTP payload of ``CreateOAuth2Token``), validated on
    construction: every model constraint plus the grant-type rules.

    ``authorization_code`` needs ``code``, ``redirect_uri`` and
    ``code_verifier`` and no ``refresh_token``; ``refresh_token`` needs
    ``refresh_token`` and none of the other three.
    """

    client_id: str
    grant_type: str
    code: str | None = dataclasses.field(default=None, repr=False)
    redirect_uri: str | None = None
    code_verifier: str | None = dataclasses.field(default=None, repr=False)
    refresh_token: str | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        for attr, wire, _, shape in _REQUEST_MEMBERS:
            _check(wire, getattr(self, attr), shape, optional=attr not in ("client_id", "grant_type"))
        wanted = _GRANT_MEMBERS[self.grant_type]
        for attr, wire, _, _ in _REQUEST_MEMBERS[2:]:
            present = getattr(self, attr) is not None
            if attr in wanted and not present:
                raise ParamValidationError(wire, f"is required when grantType is {self.grant_type}")
            if attr not in wanted and present:
                raise ParamValidationError(wire, f"is not allowed when grantType is {self.grant_type}")

    def to_dict(self) -> dict[str, str]:
        """The JSON wire body (camelCase names), absent members left out."""
        return {w: v for a, w, _, _ in _REQUEST_MEMBERS if (v := getattr(self, a)) is not None}

    def to_form(self) -> dict[str, str]:
        """The form-encoded body (OAuth snake_case names), absent members left out."""
        return {o: v for a, _, o, _ in _REQUEST_MEMBERS if (v := getattr(self, a)) is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CreateOAuth2TokenRequestBody:
        """Read a wire body (camelCase, or the OAuth snake_case names)."""
        _require_type("tokenInput", data, dict)
        known = {w for _, w, _, _ in _REQUEST_MEMBERS} | {o for _, _, o, _ in _REQUEST_MEMBERS}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ParamValidationError(unknown[0], "is not a member of CreateOAuth2TokenRequestBody")
        return cls(**{a: _member(data, w, o) for a, w, o, _ in _REQUEST_MEMBERS})


class _Envelope:
    """What the two envelopes of ``CreateOAuth2Token`` share: a frozen dataclass whose one
    field, ``attr``, holds the HTTP payload (a ``payload``), ``{wire: {...}}`` on the wire.
    Each subclass names the three as class keywords."""

    _attr: ClassVar[str]
    _wire: ClassVar[str]
    _payload: ClassVar[type[CreateOAuth2TokenRequestBody | CreateOAuth2TokenResponseBody]]

    def __init_subclass__(
        cls,
        *,
        attr: str,
        wire: str,
        payload: type[CreateOAuth2TokenRequestBody | CreateOAuth2TokenResponseBody],
    ) -> None:
        super().__init_subclass__()
        cls._attr, cls._wire, cls._payload = attr, wire, payload

    def __post_init__(self) -> None:
        _require_type(self._attr, getattr(self, self._attr), self._payload)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{"tokenInput": {...}}`` or ``{"tokenOutput": {...}}`` with wire names."""
        body: CreateOAuth2TokenRequestBody | CreateOAuth2TokenResponseBody = getattr(self, self._attr)
        return {self._wire: body.to_dict()}

    @classmethod
    def from_dict(cls: type[_E], data: Mapping[str, Any]) -> _E:
        """Read ``{"tokenInput": {...}}`` or ``{"tokenOutput": {...}}``."""
        _require_type(cls.__name__, data, dict)
        if cls._wire not in data:
            raise ParamValidationError(cls._wire, "is required")
        return cls(**{cls._attr: cls._payload.from_dict(data[cls._wire])})


@_lazy_dataclass(frozen=True)
class CreateOAuth2TokenRequest(
    _Envelope, attr="token_input", wire="tokenInput", payload=CreateOAuth2TokenRequestBody
):
    """Input of ``CreateOAuth2Token``; ``token_input`` is the HTTP payload."""

    token_input: CreateOAuth2TokenRequestBody


@_lazy_dataclass(frozen=True)
class CreateOAuth2TokenResponseBody:
    """The token response.  ``refresh_token`` may be ``None`` after a refresh
    (keep the old one); ``id_token`` comes only from a code redemption;
    ``token_type`` is kept verbatim, whatever the server sends (§5)."""

    access_token: AccessToken
    token_type: str
    expires_in: int
    refresh_token: str | None = dataclasses.field(default=None, repr=False)
    id_token: str | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        _require_type("access_token", self.access_token, AccessToken)
        _check("tokenType", self.token_type, "TokenType")
        _check("expiresIn", self.expires_in, "ExpiresIn")
        _check("refreshToken", self.refresh_token, "IssuedRefreshToken", optional=True)
        _check("idToken", self.id_token, "IdToken", optional=True)

    def to_dict(self) -> dict[str, Any]:
        """The wire body (camelCase), absent members left out."""
        out: dict[str, Any] = {
            "accessToken": self.access_token.to_dict(),
            "tokenType": self.token_type,
            "expiresIn": self.expires_in,
        }
        if self.refresh_token is not None:
            out["refreshToken"] = self.refresh_token
        if self.id_token is not None:
            out["idToken"] = self.id_token
        return out

    def expires_at(self, now: float) -> datetime.datetime:
        """When the credentials expire (UTC) for a response received at ``now``
        (POSIX seconds); a lifetime reaching past the year 9999 ends there."""
        start = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
        try:
            return start + datetime.timedelta(seconds=self.expires_in)
        except OverflowError:
            return datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CreateOAuth2TokenResponseBody:
        """Read a wire body, camelCase or OAuth snake_case."""
        _require_type("tokenOutput", data, dict)
        access = _member(data, "accessToken", "access_token")
        if access is None:
            raise ParamValidationError("accessToken", "is required")
        return cls(
            access_token=AccessToken.from_dict(access),
            token_type=_member(data, "tokenType", "token_type"),
            expires_in=_member(data, "expiresIn", "expires_in"),
            refresh_token=_member(data, "refreshToken", "refresh_token"),
            id_token=_member(data, "idToken", "id_token"),
        )


@_lazy_dataclass(frozen=True)
class CreateOAuth2TokenResponse(
    _Envelope, attr="token_output", wire="tokenOutput", payload=CreateOAuth2TokenResponseBody
):
    """Output of ``CreateOAuth2Token``; ``token_output`` is the HTTP payload."""

    token_output: CreateOAuth2TokenResponseBody


def _member(data: Mapping[str, Any], wire: str, oauth: str) -> Any:
    """A member by its wire name, else its OAuth name; ``None`` when absent."""
    value = data.get(wire)
    return data.get(oauth) if value is None and oauth != wire else value


# The rest of the model (the 14 operations after CreateOAuth2Token), from the
# tables below.  Each structure is a frozen dataclass made on first use (see
# _lazy_dataclass): ~0.7 ms each, which the credentials path never pays.


class ClientType(str, enum.Enum):
    """The model's ``ClientType`` enum: what kind of client holds a session."""

    CLI = "CLI"
    MCP = "MCP"


class SessionStatus(str, enum.Enum):
    """The model's ``SessionStatus`` enum."""

    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"


# Every member of every structure below, in the model's order: class ->
# (attribute, model member name, wire name (locationName), shape, required,
# sensitive).  The one place member and wire names live.
_MEMBERS: Final[dict[str, tuple[tuple[str, str, str, str, bool, bool], ...]]] = {
    "BatchRevokeSessionsInput": (
        ("principal_arn", "principalArn", "principalArn", "PrincipalArnFilter", False, False),
        ("session_arns", "sessionArns", "sessionArns", "SessionArnList", True, False),
        ("reason", "reason", "reason", "RevocationReason", False, False),
    ),
    "RevokedSession": (("session_arn", "sessionArn", "sessionArn", "SessionArn", True, False),),
    "BatchRevokeSessionError": (
        ("session_arn", "sessionArn", "sessionArn", "SessionArn", True, False),
        ("code", "code", "code", "String", True, False),
        ("message", "message", "message", "String", True, False),
    ),
    "BatchRevokeSessionsOutput": (
        ("revoked_sessions", "revokedSessions", "revokedSessions", "RevokedSessionList", True, False),
        ("errors", "errors", "errors", "BatchRevokeSessionErrorList", True, False),
    ),
    "CreateBearerTokenRequest": (
        ("grant_type", "grantType", "grant_type", "ClientCredentialsGrantType", True, False),
        ("resource", "resource", "resource", "Resource", True, False),
        ("duration_seconds", "durationSeconds", "duration", "TokenDuration", False, False),
    ),
    "CreateBearerTokenResponse": (
        ("access_token", "accessToken", "access_token", "OAuthAccessToken", True, True),
        ("token_type", "tokenType", "token_type", "BearerTokenType", True, False),
        ("expires_in", "expiresIn", "expires_in", "BearerTokenExpiresIn", True, False),
    ),
    "CreateOAuth2TokenWithIAMRequest": (
        ("grant_type", "grantType", "grant_type", "ClientCredentialsGrantType", True, False),
        ("resource", "resource", "resource", "Resource", True, False),
    ),
    "CreateOAuth2TokenWithIAMResponse": (
        ("access_token", "accessToken", "access_token", "OAuthAccessToken", True, True),
        ("token_type", "tokenType", "token_type", "BearerTokenType", True, False),
        ("expires_in", "expiresIn", "expires_in", "TokenExpiresIn", True, False),
    ),
    "CreateOAuth2TokenWithTokenExchangeRequest": (
        ("grant_type", "grantType", "grant_type", "TokenExchangeGrantType", True, False),
        ("subject_token", "subjectToken", "subject_token", "SubjectToken", False, True),
        ("subject_token_type", "subjectTokenType", "subject_token_type", "SubjectTokenType", False, False),
        ("assertion", "assertion", "assertion", "Assertion", False, True),
        ("client_id", "clientId", "client_id", "JwtBearerClientId", False, False),
        ("resource", "resource", "resource", "Resource", False, False),
        ("scope", "scope", "scope", "Scope", False, False),
    ),
    "CreateOAuth2TokenWithTokenExchangeResponse": (
        ("access_token", "accessToken", "access_token", "OAuthAccessToken", True, True),
        (
            "issued_token_type",
            "issuedTokenType",
            "issued_token_type",
            "IssuedOAuthAccessTokenType",
            False,
            False,
        ),
        ("token_type", "tokenType", "token_type", "BearerTokenType", True, False),
        ("expires_in", "expiresIn", "expires_in", "TokenExpiresIn", True, False),
        ("resource", "resource", "resource", "Resource", False, False),
        ("scope", "scope", "scope", "Scope", False, False),
    ),
    "DeleteConsoleAuthorizationConfigurationInput": (
        ("target_id", "targetId", "targetId", "TargetId", False, False),
    ),
    "DeleteConsoleAuthorizationConfigurationOutput": (
        ("target_id", "targetId", "targetId", "TargetId", True, False),
        ("scope", "scope", "scope", "String", True, False),
        (
            "console_authorization_enabled",
            "consoleAuthorizationEnabled",
            "consoleAuthorizationEnabled",
            "Boolean",
            True,
            False,
        ),
    ),
    "DeleteResourcePermissionStatementInput": (
        ("statement_id", "statementId", "statementId", "StatementId", True, False),
        ("client_token", "clientToken", "clientToken", "ClientToken", False, False),
    ),
    "DeleteResourcePermissionStatementOutput": (),
    "GetConsoleAuthorizationConfigurationInput": (
        ("target_id", "targetId", "targetId", "TargetId", False, False),
    ),
    "GetConsoleAuthorizationConfigurationOutput": (
        ("target_id", "targetId", "targetId", "TargetId", True, False),
        ("scope", "scope", "scope", "String", True, False),
        (
            "console_authorization_enabled",
            "consoleAuthorizationEnabled",
            "consoleAuthorizationEnabled",
            "Boolean",
            True,
            False,
        ),
    ),
    "GetResourcePolicyInput": (),
    "PolicyStatement": (
        ("effect", "effect", "Effect", "String", False, False),
        ("principal", "principal", "Principal", "Principal", False, False),
        ("action", "action", "Action", "PolicyActions", False, False),
        ("resource", "resource", "Resource", "String", False, False),
        ("condition", "condition", "Condition", "ConditionBlock", False, False),
    ),
    "SigninResourceBasedPolicy": (
        ("version", "version", "Version", "String", False, False),
        ("statement", "statement", "Statement", "PolicyStatements", False, False),
    ),
    "GetResourcePolicyOutput": (
        (
            "signin_resource_based_policy",
            "signinResourceBasedPolicy",
            "signinResourceBasedPolicy",
            "SigninResourceBasedPolicy",
            True,
            False,
        ),
    ),
    "GetSessionInput": (
        ("session_arn", "sessionArn", "sessionArn", "SessionArn", True, False),
        ("principal_arn", "principalArn", "principalArn", "PrincipalArnFilter", False, False),
    ),
    "GetSessionOutput": (
        ("session_arn", "sessionArn", "sessionArn", "SessionArn", True, False),
        ("principal_arn", "principalArn", "principalArn", "PrincipalArn", True, False),
        ("role", "role", "role", "PrincipalArn", False, False),
        ("status", "status", "status", "SessionStatus", False, False),
        ("client_id", "clientId", "clientId", "String", False, False),
        ("client_type", "clientType", "clientType", "ClientType", False, False),
        ("resource", "resource", "resource", "String", False, False),
        ("issued_at", "issuedAt", "issuedAt", "Long", True, False),
        ("expires_at", "expiresAt", "expiresAt", "Long", True, False),
        ("last_used_at", "lastUsedAt", "lastUsedAt", "Long", False, False),
        ("issued_in_region", "issuedInRegion", "issuedInRegion", "String", False, False),
        ("origin_session_arn", "originSessionArn", "originSessionArn", "SessionArn", False, False),
        ("user_agent", "userAgent", "userAgent", "String", False, False),
    ),
    "IntrospectOAuth2TokenWithIAMRequest": (
        ("token", "token", "token", "IntrospectionToken", True, True),
        ("token_type_hint", "tokenTypeHint", "token_type_hint", "TokenTypeHint", False, False),
    ),
    "IntrospectOAuth2TokenWithIAMResponse": (
        ("active", "active", "active", "Boolean", True, False),
        ("client_id", "clientId", "client_id", "String", False, False),
        ("user_id", "userId", "user_id", "String", False, False),
        ("token_type", "tokenType", "token_type", "IntrospectedTokenType", False, False),
        ("exp", "exp", "exp", "Long", False, False),
        ("iat", "iat", "iat", "Long", False, False),
        ("nbf", "nbf", "nbf", "Long", False, False),
        ("sub", "sub", "sub", "String", False, False),
        ("aud", "aud", "aud", "String", False, False),
        ("iss", "iss", "iss", "String", False, False),
        ("jti", "jti", "jti", "String", False, False),
        ("account_id", "accountId", "account_id", "AccountId", False, False),
        ("signin_session", "signinSession", "signin_session", "String", False, False),
        ("resource", "resource", "resource", "Resource", False, False),
    ),
    "ListResourcePermissionStatementsInput": (
        ("max_results", "maxResults", "maxResults", "ConsolePermissionMaxResults", False, False),
        ("next_token", "nextToken", "nextToken", "NextToken", False, False),
    ),
    "PermissionStatementSummary": (
        ("sid", "sid", "sid", "StatementId", True, False),
        ("condition", "condition", "condition", "ConditionBlock", False, False),
    ),
    "ListResourcePermissionStatementsOutput": (
        (
            "permission_statements",
            "permissionStatements",
            "permissionStatements",
            "PermissionStatementSummaries",
            True,
            False,
        ),
        ("next_token", "nextToken", "nextToken", "NextToken", False, False),
    ),
    "ListSessionsInput": (
        ("principal_arn", "principalArn", "principalArn", "PrincipalArnFilter", False, False),
        ("max_results", "maxResults", "maxResults", "SessionsMaxResults", False, False),
        ("next_token", "nextToken", "nextToken", "NextToken", False, False),
        ("status", "status", "status", "SessionStatus", False, False),
        ("client_id", "clientId", "clientId", "String", False, False),
        ("issued_after", "issuedAfter", "issuedAfter", "Long", False, False),
        ("issued_before", "issuedBefore", "issuedBefore", "Long", False, False),
    ),
    "Session": (
        ("session_arn", "sessionArn", "sessionArn", "SessionArn", True, False),
        ("principal_arn", "principalArn", "principalArn", "PrincipalArn", True, False),
        ("role", "role", "role", "PrincipalArn", False, False),
        ("status", "status", "status", "SessionStatus", False, False),
        ("issued_at", "issuedAt", "issuedAt", "Long", True, False),
        ("expires_at", "expiresAt", "expiresAt", "Long", True, False),
        ("client_id", "clientId", "clientId", "String", False, False),
        ("client_type", "clientType", "clientType", "ClientType", False, False),
        ("resource", "resource", "resource", "String", False, False),
    ),
    "ListSessionsOutput": (
        ("items", "items", "items", "SessionSummaryList", True, False),
        ("next_token", "nextToken", "nextToken", "NextToken", False, False),
    ),
    "PutConsoleAuthorizationConfigurationInput": (
        ("target_id", "targetId", "targetId", "TargetId", False, False),
    ),
    "PutConsoleAuthorizationConfigurationOutput": (
        ("target_id", "targetId", "targetId", "TargetId", True, False),
        ("scope", "scope", "scope", "String", True, False),
        (
            "console_authorization_enabled",
            "consoleAuthorizationEnabled",
            "consoleAuthorizationEnabled",
            "Boolean",
            True,
            False,
        ),
    ),
    "PutResourcePermissionStatementInput": (
        ("source_vpc", "sourceVpc", "sourceVpc", "SourceVpc", False, False),
        ("signin_source_vpce", "signinSourceVpce", "signinSourceVpce", "SourceVpce", False, False),
        ("console_source_vpce", "consoleSourceVpce", "consoleSourceVpce", "SourceVpce", False, False),
        ("vpc_source_ip", "vpcSourceIp", "vpcSourceIp", "VpcSourceIp", False, False),
        ("source_ip", "sourceIp", "sourceIp", "SourceIp", False, False),
        ("requested_region", "requestedRegion", "requestedRegion", "RequestedRegion", False, False),
        ("excluded_principal", "excludedPrincipal", "excludedPrincipal", "ExcludedPrincipal", False, False),
        ("client_token", "clientToken", "clientToken", "ClientToken", False, False),
    ),
    "PutResourcePermissionStatementOutput": (
        ("statement_id", "statementId", "statementId", "StatementId", True, False),
    ),
    "RevokeOAuth2TokenWithIAMRequest": (("token", "token", "token", "RevocationToken", True, True),),
    "RevokeOAuth2TokenWithIAMResponse": (),
}

# Every shape those members use: shape -> (type, min, max, full-match pattern,
# enum values | list member shape | map key and value shapes).  min/max bound a
# string's or list's length or a number's value.  Requests are held to all of
# it; responses only to types, presence and the memory bound (as botocore).
_RULES: Final[dict[str, tuple[str, int | None, int | None, str | None, tuple[str, ...]]]] = {
    "AccountId": ("string", 12, 12, r"[0-9]{12}", ()),
    "Assertion": ("string", 4, 20000, None, ()),
    "BatchRevokeSessionError": ("structure", None, None, None, ()),
    "BatchRevokeSessionErrorList": ("list", None, None, None, ("BatchRevokeSessionError",)),
    "BearerTokenExpiresIn": ("integer", 1, None, None, ()),
    "BearerTokenType": ("string", None, None, r"Bearer", ()),
    "Boolean": ("boolean", None, None, None, ()),
    "ClientCredentialsGrantType": ("string", None, None, r"client_credentials", ()),
    "ClientToken": ("string", 1, 64, r"[!-~]+", ()),
    "ClientType": (
        "string",
        None,
        None,
        None,
        (
            "CLI",
            "MCP",
        ),
    ),
    "Condition": (
        "map",
        None,
        None,
        None,
        (
            "String",
            "ConditionValues",
        ),
    ),
    "ConditionBlock": (
        "map",
        None,
        None,
        None,
        (
            "ConditionType",
            "Condition",
        ),
    ),
    "ConditionType": ("string", None, None, None, ()),
    "ConditionValues": ("list", None, None, None, ("String",)),
    "ConsolePermissionMaxResults": ("integer", 1, 100, None, ()),
    "ExcludedPrincipal": (
        "string",
        20,
        2048,
        r"arn:aws(-[a-z]+)*:((iam::[0-9]{12}:role/[a-zA-Z0-9_+=,.@-]{1,64})|(iam::[0-9]{12}:user/[a-zA-Z0-9_+=,.@-]{1,64})|(sts::[0-9]{12}:federated-user/[a-zA-Z0-9_+=,.@-]{2,193})|(iam::[0-9]{12}:root))",
        (),
    ),
    "IntrospectedTokenType": ("string", None, None, r"(access_token|refresh_token)", ()),
    "IntrospectionToken": ("string", 1, 12288, r"ASO[AR][A-Za-z0-9+/=_\-]+", ()),
    "IssuedOAuthAccessTokenType": (
        "string",
        None,
        None,
        r"urn:ietf:params:oauth:token-type:access_token",
        (),
    ),
    "JwtBearerClientId": ("string", 1, 212, None, ()),
    "Long": ("long", None, None, None, ()),
    "NextToken": ("string", 0, 2048, r"[-a-zA-Z0-9+=/_]*", ()),
    "OAuthAccessToken": ("string", 1, 4096, None, ()),
    "PermissionStatementSummaries": ("list", None, None, None, ("PermissionStatementSummary",)),
    "PermissionStatementSummary": ("structure", None, None, None, ()),
    "PolicyActions": ("list", None, None, None, ("String",)),
    "PolicyStatement": ("structure", None, None, None, ()),
    "PolicyStatements": ("list", None, None, None, ("PolicyStatement",)),
    "Principal": (
        "map",
        None,
        None,
        None,
        (
            "String",
            "String",
        ),
    ),
    "PrincipalArn": (
        "string",
        20,
        2048,
        r"arn:aws:((iam::[0-9]{12}:role/[a-zA-Z0-9_+=,.@-]{1,64})|(iam::[0-9]{12}:user/[a-zA-Z0-9_+=,.@-]{1,64})|(sts::[0-9]{12}:federated-user/[a-zA-Z0-9_+=,.@-]{2,193})|(iam::[0-9]{12}:root))",
        (),
    ),
    "PrincipalArnFilter": (
        "string",
        20,
        2048,
        r"arn:aws:((iam::[0-9]{12}:role/[a-zA-Z0-9_+=,.@-]{1,64})|(iam::[0-9]{12}:user/[a-zA-Z0-9_+=,.@-]{1,64})|(sts::[0-9]{12}:federated-user/[a-zA-Z0-9_+=,.@-]{2,193})|(iam::[0-9]{12}:root)|(iam::[0-9]{12}:[*]))",
        (),
    ),
    "RequestedRegion": ("string", None, None, r"[a-z]{2}(-[a-z]+)+-\d+", ()),
    "Resource": ("string", 1, 2048, None, ()),
    "RevocationReason": ("string", 1, 256, None, ()),
    "RevocationToken": ("string", 1, 12288, r"ASOR[A-Za-z0-9+/=_\-]+", ()),
    "RevokedSession": ("structure", None, None, None, ()),
    "RevokedSessionList": ("list", None, None, None, ("RevokedSession",)),
    "Scope": ("string", 1, 4096, None, ()),
    "Session": ("structure", None, None, None, ()),
    "SessionArn": ("string", 1, 256, None, ()),
    "SessionArnList": ("list", 1, 5, None, ("SessionArn",)),
    "SessionStatus": (
        "string",
        None,
        None,
        None,
        (
            "ACTIVE",
            "REVOKED",
        ),
    ),
    "SessionSummaryList": ("list", None, None, None, ("Session",)),
    "SessionsMaxResults": ("integer", 1, 100, None, ()),
    "SigninResourceBasedPolicy": ("structure", None, None, None, ()),
    "SourceIp": ("string", None, None, None, ()),
    "SourceVpc": ("string", None, None, r"vpc-([0-9a-f]{8}|[0-9a-f]{17})", ()),
    "SourceVpce": ("string", None, None, r"vpce-[a-z0-9]{8,20}", ()),
    "StatementId": ("string", None, None, r"[A-Za-z0-9+/]{64}=?", ()),
    "String": ("string", None, None, None, ()),
    "SubjectToken": ("string", 4, 20000, None, ()),
    "SubjectTokenType": ("string", None, None, r"urn:ietf:params:oauth:token-type:.+", ()),
    "TargetId": ("string", 12, 32, r"(\d{12}|o-[a-z0-9]{10}|r-[0-9a-z]{4,32})", ()),
    "TokenDuration": ("integer", 300, None, None, ()),
    "TokenExchangeGrantType": (
        "string",
        None,
        None,
        r"urn:ietf:params:oauth:grant-type:(token-exchange|jwt-bearer)",
        (),
    ),
    "TokenExpiresIn": ("integer", 1, 3600, None, ()),
    "TokenTypeHint": ("string", None, None, r"(access_token|refresh_token)", ()),
    "VpcSourceIp": ("string", None, None, None, ()),
}


def _validate(field: str, value: object, shape: str, strict: bool) -> None:
    """Check a present member against its shape in :data:`_RULES`, naming
    ``field`` and the rule: every rule when ``strict`` (requests), else only types."""
    kind, low, high, pattern, extra = _RULES[shape]
    if kind == "structure":
        _require_type(field, value, _model_class(shape))
        return
    if kind == "list":
        _require_type(field, value, (tuple, list))
    elif kind == "map":
        _require_type(field, value, dict)
    else:
        _require_type(field, value, {"string": str, "boolean": bool}.get(kind, int))
    assert isinstance(value, (str, int, tuple, list, dict))
    if strict:
        size = value if isinstance(value, int) else len(value)
        what = "value" if isinstance(value, int) else "length"
        if low is not None and size < low:
            raise ParamValidationError(field, f"{what} must be at least {low}")
        if high is not None and size > high:
            raise ParamValidationError(field, f"{what} must be at most {high}")
        if pattern is not None and re.fullmatch(pattern, str(value)) is None:
            raise ParamValidationError(field, f"must match {pattern}")
        if kind == "string" and extra and value not in extra:
            raise ParamValidationError(field, f"must be one of {', '.join(extra)}")
    if isinstance(value, (tuple, list)):
        for index, item in enumerate(value):
            _validate(f"{field}[{index}]", item, extra[0], strict)
    elif isinstance(value, dict):
        for key, item in value.items():
            _validate(f"{field} key", key, extra[0], strict)
            _validate(f"{field}.{key}", item, extra[1], strict)


def _shape_of(cls: type) -> str:
    """The model structure ``cls`` is (or subclasses): its name in :data:`_MEMBERS`."""
    return next(c.__name__ for c in cls.__mro__ if c.__module__ == __name__ and c.__name__ in _MEMBERS)


def _model_class(name: str) -> type[_Model]:
    """The model class named ``name`` (made on first use)."""
    cls: type[_Model] = globals()[name]
    return cls


def _to_wire(value: object, wire: bool) -> Any:
    """A member value as JSON: structures by wire (or member) names, tuples as lists."""
    if isinstance(value, _Model):
        return value.to_dict(wire=wire)
    if isinstance(value, (tuple, list)):
        return [_to_wire(item, wire) for item in value]
    if isinstance(value, dict):
        return {key: _to_wire(item, wire) for key, item in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _from_wire(field: str, value: object, shape: str, wire: bool, strict: bool) -> Any:
    """A JSON value as a member value: structures built, lists as tuples."""
    kind, _, _, _, extra = _RULES[shape]
    if kind == "structure":
        _require_type(field, value, dict)
        assert isinstance(value, dict)
        return _model_class(shape)._from(value, wire=wire, strict=strict, field=field)
    if kind == "list" and isinstance(value, list):
        return tuple(
            _from_wire(f"{field}[{i}]", item, extra[0], wire, strict) for i, item in enumerate(value)
        )
    if kind == "map" and isinstance(value, dict):
        return {k: _from_wire(f"{field}.{k}", v, extra[1], wire, strict) for k, v in value.items()}
    return value


class _Model:
    """What the model's structures share (each is a frozen dataclass): the JSON
    forms, by wire names or the model's member names, from :data:`_MEMBERS`;
    checks on construction (a request: every rule of the model, naming the
    member and the rule; a response: types and presence); a ``repr`` that
    shows ``<sensitive>`` for every sensitive member."""

    def __post_init__(self) -> None:
        name = _shape_of(type(self))
        strict = name in _REQUEST_CLASSES
        for attr, member, _, shape, required, _ in _MEMBERS[name]:
            value = getattr(self, attr)
            if isinstance(value, list):
                value = tuple(value)
                object.__setattr__(self, attr, value)
            if value is None:
                if required:
                    raise ParamValidationError(member, "is required")
                continue
            _validate(member, value, shape, strict)

    def __repr__(self) -> str:
        shown = []
        for attr, _, _, _, _, sensitive in _MEMBERS[_shape_of(type(self))]:
            value = getattr(self, attr)
            if value is not None:
                shown.append(f"{attr}=<sensitive>" if sensitive else f"{attr}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def to_dict(self, *, wire: bool = True) -> dict[str, Any]:
        """The JSON form: wire names (the HTTP body) or, with ``wire=False``, the
        model's member names (as the AWS CLI prints and reads); absent members left out."""
        return {
            (wire_name if wire else member): _to_wire(value, wire)
            for attr, member, wire_name, _, _, _ in _MEMBERS[_shape_of(type(self))]
            if (value := getattr(self, attr)) is not None
        }

    @classmethod
    def from_dict(cls: type[_M], data: Mapping[str, Any], *, wire: bool = True) -> _M:
        """Read the JSON form (wire names, or member names with ``wire=False``).
        A request refuses an unknown member; a response ignores it."""
        strict = _shape_of(cls) in _REQUEST_CLASSES
        return cls._from(data, wire=wire, strict=strict, field=cls.__name__)

    @classmethod
    def _from(cls: type[_M], data: Mapping[str, Any], *, wire: bool, strict: bool, field: str) -> _M:
        _require_type(field, data, dict)
        members = _MEMBERS[_shape_of(cls)]
        names = {(w if wire else m): (a, s) for a, m, w, s, _, _ in members}
        if strict:
            unknown = sorted(str(k) for k in data if k not in names)
            if unknown:
                raise ParamValidationError(unknown[0], f"is not a member of {cls.__name__}")
        values = {
            attr: _from_wire(name, data[name], shape, wire, strict)
            for name, (attr, shape) in names.items()
            if data.get(name) is not None
        }
        for attr, member, _, _, required, _ in members:
            if required and attr not in values:
                raise ParamValidationError(member, "is required")
        return cls(**values)


class _Operation:
    """One operation of the model: HTTP method, path and query (from its
    ``requestUri``), input and output class names, auth (``sigv4`` or ``none``),
    static context parameters (which endpoint family), modeled errors, the
    attributes filled with a UUID4 when absent (``idempotencyToken``) and the
    paginator (input token, output token, limit key, result key; attributes)."""

    __slots__ = (
        "auth",
        "context",
        "errors",
        "idempotency",
        "input",
        "method",
        "name",
        "output",
        "paginator",
        "path",
        "python_name",
        "query",
    )

    def __init__(
        self,
        name: str,
        python_name: str,
        method: str,
        uri: str,
        input_: str,
        output: str,
        auth: str,
        context: dict[str, bool],
        errors: tuple[str, ...],
        idempotency: tuple[str, ...],
        paginator: tuple[str, str, str, str] | None,
    ) -> None:
        self.name = name
        self.python_name = python_name
        self.method = method
        self.path, _, self.query = uri.partition("?")
        self.input = input_
        self.output = output
        self.auth = auth
        self.context = context
        self.errors = errors
        self.idempotency = idempotency
        self.paginator = paginator

    @property
    def cli_name(self) -> str:
        """The name as the AWS CLI v2 spells it (``list-sessions``)."""
        return self.python_name.replace("_", "-")

    def __repr__(self) -> str:
        return f"_Operation({self.name!r})"


@_lazy_dataclass(frozen=True, repr=False)
class BatchRevokeSessionsInput(_Model):
    """Input of ``BatchRevokeSessions``: up to five sessions to end at once."""

    session_arns: tuple[str, ...]
    principal_arn: str | None = None
    reason: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class RevokedSession(_Model):
    """A session ``BatchRevokeSessions`` ended."""

    session_arn: str


@_lazy_dataclass(frozen=True, repr=False)
class BatchRevokeSessionError(_Model):
    """A session ``BatchRevokeSessions`` could not end, with the reason."""

    session_arn: str
    code: str
    message: str


@_lazy_dataclass(frozen=True, repr=False)
class BatchRevokeSessionsOutput(_Model):
    """Output of ``BatchRevokeSessions``: what was revoked and what failed."""

    revoked_sessions: tuple[RevokedSession, ...]
    errors: tuple[BatchRevokeSessionError, ...]


@_lazy_dataclass(frozen=True, repr=False)
class CreateBearerTokenRequest(_Model):
    """Input of ``CreateBearerToken`` (client credentials grant, SigV4-signed)."""

    grant_type: str
    resource: str
    duration_seconds: int | None = None


@_lazy_dataclass(frozen=True, repr=False)
class CreateBearerTokenResponse(_Model):
    """Output of ``CreateBearerToken``: a bearer access token (sensitive)."""

    access_token: str
    token_type: str
    expires_in: int


@_lazy_dataclass(frozen=True, repr=False)
class CreateOAuth2TokenWithIAMRequest(_Model):
    """Input of ``CreateOAuth2TokenWithIAM`` (client credentials grant, SigV4-signed)."""

    grant_type: str
    resource: str


@_lazy_dataclass(frozen=True, repr=False)
class CreateOAuth2TokenWithIAMResponse(_Model):
    """Output of ``CreateOAuth2TokenWithIAM``: an OAuth access token (sensitive)."""

    access_token: str
    token_type: str
    expires_in: int


@_lazy_dataclass(frozen=True, repr=False)
class CreateOAuth2TokenWithTokenExchangeRequest(_Model):
    """Input of ``CreateOAuth2TokenWithTokenExchange`` (RFC 8693 or JWT bearer; unsigned)."""

    grant_type: str
    subject_token: str | None = None
    subject_token_type: str | None = None
    assertion: str | None = None
    client_id: str | None = None
    resource: str | None = None
    scope: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class CreateOAuth2TokenWithTokenExchangeResponse(_Model):
    """Output of ``CreateOAuth2TokenWithTokenExchange``: the issued access token."""

    access_token: str
    token_type: str
    expires_in: int
    issued_token_type: str | None = None
    resource: str | None = None
    scope: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class DeleteConsoleAuthorizationConfigurationInput(_Model):
    """Input of ``DeleteConsoleAuthorizationConfiguration``: the account or organization target."""

    target_id: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class DeleteConsoleAuthorizationConfigurationOutput(_Model):
    """Output of ``DeleteConsoleAuthorizationConfiguration``: the configuration as it now is."""

    target_id: str
    scope: str
    console_authorization_enabled: bool


@_lazy_dataclass(frozen=True, repr=False)
class DeleteResourcePermissionStatementInput(_Model):
    """Input of ``DeleteResourcePermissionStatement``: the statement to remove."""

    statement_id: str
    client_token: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class DeleteResourcePermissionStatementOutput(_Model):
    """Output of ``DeleteResourcePermissionStatement`` (no members)."""


@_lazy_dataclass(frozen=True, repr=False)
class GetConsoleAuthorizationConfigurationInput(_Model):
    """Input of ``GetConsoleAuthorizationConfiguration``: the account or organization target."""

    target_id: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class GetConsoleAuthorizationConfigurationOutput(_Model):
    """Output of ``GetConsoleAuthorizationConfiguration``: whether console authorization is on."""

    target_id: str
    scope: str
    console_authorization_enabled: bool


@_lazy_dataclass(frozen=True, repr=False)
class GetResourcePolicyInput(_Model):
    """Input of ``GetResourcePolicy`` (no members)."""


@_lazy_dataclass(frozen=True, repr=False)
class PolicyStatement(_Model):
    """One statement of the sign-in resource-based policy (IAM policy names)."""

    effect: str | None = None
    principal: dict[str, str] | None = None
    action: tuple[str, ...] | None = None
    resource: str | None = None
    condition: dict[str, dict[str, tuple[str, ...]]] | None = None


@_lazy_dataclass(frozen=True, repr=False)
class SigninResourceBasedPolicy(_Model):
    """The sign-in resource-based policy: version and statements."""

    version: str | None = None
    statement: tuple[PolicyStatement, ...] | None = None


@_lazy_dataclass(frozen=True, repr=False)
class GetResourcePolicyOutput(_Model):
    """Output of ``GetResourcePolicy``: the sign-in resource-based policy."""

    signin_resource_based_policy: SigninResourceBasedPolicy


@_lazy_dataclass(frozen=True, repr=False)
class GetSessionInput(_Model):
    """Input of ``GetSession``: the session to describe."""

    session_arn: str
    principal_arn: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class GetSessionOutput(_Model):
    """Output of ``GetSession``: one sign-in session in full."""

    session_arn: str
    principal_arn: str
    issued_at: int
    expires_at: int
    role: str | None = None
    status: str | None = None
    client_id: str | None = None
    client_type: str | None = None
    resource: str | None = None
    last_used_at: int | None = None
    issued_in_region: str | None = None
    origin_session_arn: str | None = None
    user_agent: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class IntrospectOAuth2TokenWithIAMRequest(_Model):
    """Input of ``IntrospectOAuth2TokenWithIAM``: the token to inspect (sensitive)."""

    token: str
    token_type_hint: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class IntrospectOAuth2TokenWithIAMResponse(_Model):
    """Output of ``IntrospectOAuth2TokenWithIAM`` (RFC 7662 claims)."""

    active: bool
    client_id: str | None = None
    user_id: str | None = None
    token_type: str | None = None
    exp: int | None = None
    iat: int | None = None
    nbf: int | None = None
    sub: str | None = None
    aud: str | None = None
    iss: str | None = None
    jti: str | None = None
    account_id: str | None = None
    signin_session: str | None = None
    resource: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class ListResourcePermissionStatementsInput(_Model):
    """Input of ``ListResourcePermissionStatements`` (paginated)."""

    max_results: int | None = None
    next_token: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class PermissionStatementSummary(_Model):
    """One resource permission statement: its id and conditions."""

    sid: str
    condition: dict[str, dict[str, tuple[str, ...]]] | None = None


@_lazy_dataclass(frozen=True, repr=False)
class ListResourcePermissionStatementsOutput(_Model):
    """A page of ``ListResourcePermissionStatements``."""

    permission_statements: tuple[PermissionStatementSummary, ...]
    next_token: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class ListSessionsInput(_Model):
    """Input of ``ListSessions`` (paginated), with the model's filters."""

    principal_arn: str | None = None
    max_results: int | None = None
    next_token: str | None = None
    status: str | None = None
    client_id: str | None = None
    issued_after: int | None = None
    issued_before: int | None = None


@_lazy_dataclass(frozen=True, repr=False)
class Session(_Model):
    """One sign-in session as ``ListSessions`` lists it."""

    session_arn: str
    principal_arn: str
    issued_at: int
    expires_at: int
    role: str | None = None
    status: str | None = None
    client_id: str | None = None
    client_type: str | None = None
    resource: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class ListSessionsOutput(_Model):
    """A page of ``ListSessions``."""

    items: tuple[Session, ...]
    next_token: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class PutConsoleAuthorizationConfigurationInput(_Model):
    """Input of ``PutConsoleAuthorizationConfiguration``: the account or organization target."""

    target_id: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class PutConsoleAuthorizationConfigurationOutput(_Model):
    """Output of ``PutConsoleAuthorizationConfiguration``: the configuration as it now is."""

    target_id: str
    scope: str
    console_authorization_enabled: bool


@_lazy_dataclass(frozen=True, repr=False)
class PutResourcePermissionStatementInput(_Model):
    """Input of ``PutResourcePermissionStatement``: the conditions of a new statement."""

    source_vpc: str | None = None
    signin_source_vpce: str | None = None
    console_source_vpce: str | None = None
    vpc_source_ip: str | None = None
    source_ip: str | None = None
    requested_region: str | None = None
    excluded_principal: str | None = None
    client_token: str | None = None


@_lazy_dataclass(frozen=True, repr=False)
class PutResourcePermissionStatementOutput(_Model):
    """Output of ``PutResourcePermissionStatement``: the new statement id."""

    statement_id: str


@_lazy_dataclass(frozen=True, repr=False)
class RevokeOAuth2TokenWithIAMRequest(_Model):
    """Input of ``RevokeOAuth2TokenWithIAM``: the refresh token to revoke (sensitive)."""

    token: str


@_lazy_dataclass(frozen=True, repr=False)
class RevokeOAuth2TokenWithIAMResponse(_Model):
    """Output of ``RevokeOAuth2TokenWithIAM`` (no members)."""


# The operations, from the model: name -> _Operation.  ``python_name`` is botocore's
# (``xform_name``), ``cli_name`` the AWS CLI's.
_OPERATIONS: Final[dict[str, _Operation]] = {
    "BatchRevokeSessions": _Operation(
        "BatchRevokeSessions",
        "batch_revoke_sessions",
        "POST",
        "/batch-revoke-sessions",
        "BatchRevokeSessionsInput",
        "BatchRevokeSessionsOutput",
        "sigv4",
        {"IsControlPlane": True},
        (
            "TooManyRequestsError",
            "ResourceNotFoundException",
            "InternalServerException",
            "ValidationException",
            "AccessDeniedException",
        ),
        (),
        None,
    ),
    "CreateBearerToken": _Operation(
        "CreateBearerToken",
        "create_bearer_token",
        "POST",
        "/v1/token?x-amz-token-request-type=bearer",
        "CreateBearerTokenRequest",
        "CreateBearerTokenResponse",
        "sigv4",
        {"IsOAuthEndpoint": True},
        ("TooManyRequestsError", "InternalServerException", "ValidationException", "AccessDeniedException"),
        (),
        None,
    ),
    "CreateOAuth2Token": _Operation(
        "CreateOAuth2Token",
        "create_oauth2_token",
        "POST",
        "/v1/token",
        "CreateOAuth2TokenRequest",
        "CreateOAuth2TokenResponse",
        "none",
        {"IsControlPlane": False},
        ("TooManyRequestsError", "InternalServerException", "ValidationException", "AccessDeniedException"),
        (),
        None,
    ),
    "CreateOAuth2TokenWithIAM": _Operation(
        "CreateOAuth2TokenWithIAM",
        "create_oauth2_token_with_iam",
        "POST",
        "/v1/token?x-amz-client-auth-method=iam",
        "CreateOAuth2TokenWithIAMRequest",
        "CreateOAuth2TokenWithIAMResponse",
        "sigv4",
        {"IsOAuthEndpoint": True},
        ("TooManyRequestsError", "InternalServerException", "ValidationException", "AccessDeniedException"),
        (),
        None,
    ),
    "CreateOAuth2TokenWithTokenExchange": _Operation(
        "CreateOAuth2TokenWithTokenExchange",
        "create_o_auth2_token_with_token_exchange",
        "POST",
        "/v1/token?x-amz-oauth-token-method=token-exchange",
        "CreateOAuth2TokenWithTokenExchangeRequest",
        "CreateOAuth2TokenWithTokenExchangeResponse",
        "none",
        {"IsOAuthEndpoint": True},
        (
            "InvalidGrantException",
            "InvalidScopeException",
            "TooManyRequestsError",
            "ServiceUnavailableException",
            "InternalServerException",
            "ValidationException",
        ),
        (),
        None,
    ),
    "DeleteConsoleAuthorizationConfiguration": _Operation(
        "DeleteConsoleAuthorizationConfiguration",
        "delete_console_authorization_configuration",
        "POST",
        "/delete-console-authorization-configuration",
        "DeleteConsoleAuthorizationConfigurationInput",
        "DeleteConsoleAuthorizationConfigurationOutput",
        "sigv4",
        {"IsControlPlane": True},
        (
            "TooManyRequestsError",
            "ResourceNotFoundException",
            "InternalServerException",
            "ValidationException",
            "AccessDeniedException",
        ),
        (),
        None,
    ),
    "DeleteResourcePermissionStatement": _Operation(
        "DeleteResourcePermissionStatement",
        "delete_resource_permission_statement",
        "POST",
        "/delete-resource-permission-statement",
        "DeleteResourcePermissionStatementInput",
        "DeleteResourcePermissionStatementOutput",
        "sigv4",
        {"IsControlPlane": True},
        (
            "TooManyRequestsError",
            "ResourceNotFoundException",
            "InternalServerException",
            "ValidationException",
            "AccessDeniedException",
        ),
        ("client_token",),
        None,
    ),
    "GetConsoleAuthorizationConfiguration": _Operation(
        "GetConsoleAuthorizationConfiguration",
        "get_console_authorization_configuration",
        "POST",
        "/get-console-authorization-configuration",
        "GetConsoleAuthorizationConfigurationInput",
        "GetConsoleAuthorizationConfigurationOutput",
        "sigv4",
        {"IsControlPlane": True},
        (
            "TooManyRequestsError",
            "ResourceNotFoundException",
            "InternalServerException",
            "ValidationException",
            "AccessDeniedException",
        ),
        (),
        None,
    ),
    "GetResourcePolicy": _Operation(
        "GetResourcePolicy",
        "get_resource_policy",
        "POST",
        "/get-resource-policy",
        "GetResourcePolicyInput",
        "GetResourcePolicyOutput",
        "sigv4",
        {"IsControlPlane": True},
        (
            "TooManyRequestsError",
            "ResourceNotFoundException",
            "InternalServerException",
            "AccessDeniedException",
        ),
        (),
        None,
    ),
    "GetSession": _Operation(
        "GetSession",
        "get_session",
        "POST",
        "/get-session",
        "GetSessionInput",
        "GetSessionOutput",
        "sigv4",
        {"IsControlPlane": True},
        (
            "TooManyRequestsError",
            "ResourceNotFoundException",
            "InternalServerException",
            "ValidationException",
            "AccessDeniedException",
        ),
        (),
        None,
    ),
    "IntrospectOAuth2TokenWithIAM": _Operation(
        "IntrospectOAuth2TokenWithIAM",
        "introspect_oauth2_token_with_iam",
        "POST",
        "/v1/introspect?x-amz-client-auth-method=iam",
        "IntrospectOAuth2TokenWithIAMRequest",
        "IntrospectOAuth2TokenWithIAMResponse",
        "sigv4",
        {"IsOAuthEndpoint": True},
        ("TooManyRequestsError", "InternalServerException", "ValidationException", "AccessDeniedException"),
        (),
        None,
    ),
    "ListResourcePermissionStatements": _Operation(
        "ListResourcePermissionStatements",
        "list_resource_permission_statements",
        "POST",
        "/list-resource-permission-statements",
        "ListResourcePermissionStatementsInput",
        "ListResourcePermissionStatementsOutput",
        "sigv4",
        {"IsControlPlane": True},
        (
            "TooManyRequestsError",
            "ResourceNotFoundException",
            "InternalServerException",
            "ValidationException",
            "AccessDeniedException",
        ),
        (),
        ("next_token", "next_token", "max_results", "permission_statements"),
    ),
    "ListSessions": _Operation(
        "ListSessions",
        "list_sessions",
        "POST",
        "/list-sessions",
        "ListSessionsInput",
        "ListSessionsOutput",
        "sigv4",
        {"IsControlPlane": True},
        ("TooManyRequestsError", "InternalServerException", "ValidationException", "AccessDeniedException"),
        (),
        ("next_token", "next_token", "max_results", "items"),
    ),
    "PutConsoleAuthorizationConfiguration": _Operation(
        "PutConsoleAuthorizationConfiguration",
        "put_console_authorization_configuration",
        "POST",
        "/put-console-authorization-configuration",
        "PutConsoleAuthorizationConfigurationInput",
        "PutConsoleAuthorizationConfigurationOutput",
        "sigv4",
        {"IsControlPlane": True},
        (
            "TooManyRequestsError",
            "ConflictException",
            "ResourceNotFoundException",
            "InternalServerException",
            "ValidationException",
            "AccessDeniedException",
        ),
        (),
        None,
    ),
    "PutResourcePermissionStatement": _Operation(
        "PutResourcePermissionStatement",
        "put_resource_permission_statement",
        "POST",
        "/put-resource-permission-statement",
        "PutResourcePermissionStatementInput",
        "PutResourcePermissionStatementOutput",
        "sigv4",
        {"IsControlPlane": True},
        (
            "TooManyRequestsError",
            "ConflictException",
            "ServiceQuotaExceededException",
            "InternalServerException",
            "ValidationException",
            "AccessDeniedException",
        ),
        ("client_token",),
        None,
    ),
    "RevokeOAuth2TokenWithIAM": _Operation(
        "RevokeOAuth2TokenWithIAM",
        "revoke_oauth2_token_with_iam",
        "POST",
        "/v1/revoke?x-amz-client-auth-method=iam",
        "RevokeOAuth2TokenWithIAMRequest",
        "RevokeOAuth2TokenWithIAMResponse",
        "sigv4",
        {"IsOAuthEndpoint": True},
        ("TooManyRequestsError", "InternalServerException", "ValidationException", "AccessDeniedException"),
        (),
        None,
    ),
}
_REQUEST_CLASSES: Final = frozenset(op.input for op in _OPERATIONS.values())


# --------------------------------------------------------------------------
# Encoding helpers (base64url without padding, compact JSON for JOSE)
# --------------------------------------------------------------------------

_B64URL_RE: Final = r"[A-Za-z0-9_-]*"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str, field: str) -> bytes:
    """Strict unpadded base64url (RFC 7515 §2): no padding, no other characters."""
    _require_type(field, text, str)
    if re.fullmatch(_B64URL_RE, text) is None or len(text) % 4 == 1:
        raise InvalidKeyError(f"{field} is not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _uuid4() -> str:
    """A random (version 4) UUID string; the uuid module would import platform."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _jose_json(obj: Mapping[str, Any]) -> bytes:
    """The one JSON encoding used for JOSE: compact, in the given member order."""
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def _load_json_object(raw: bytes | str, what: str) -> dict[str, Any]:
    """Parse outside JSON that must be one object; any failure is ``ValueError``."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"{what} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JSON object")
    return value


# --------------------------------------------------------------------------
# P-256 and ECDSA (FIPS 186-4 D.1.2.3, RFC 6979)
# --------------------------------------------------------------------------

# Curve P-256: y^2 = x^3 - 3x + b over GF(p), base point G of prime order n.
_P: Final = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_N: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_B: Final = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_GX: Final = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
_GY: Final = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
# Fixed-base tables for G: signed base-2**w digits of k, one row per digit
# position i holding the affine points j * 2**(w*i) * G for j = 1..2**(w-1).
# w=3 (86 rows, 344 points, built in a few ms) serves short-lived processes
# such as the CLI, which sign once or twice; a process that keeps signing
# builds w=8 (33 rows, 4224 points) once and then needs 33 additions per
# signature instead of 86.
_SMALL_WINDOW: Final = 3
_LARGE_WINDOW: Final = 8
_LARGE_AFTER: Final = 16  # multiplications before the large table pays for itself
_G_TABLES: dict[int, list[list[tuple[int, int]]]] = {}
_MULTIPLICATIONS = [0]  # scalar multiplications by G in this process


def _on_curve(x: int, y: int) -> bool:
    return 0 <= x < _P and 0 <= y < _P and (y * y - x * x * x + 3 * x - _B) % _P == 0


def _batch_inverse(values: list[int]) -> list[int]:
    """Inverses mod p of non-zero values with one modular inversion (Montgomery)."""
    prefix = []
    acc = 1
    for v in values:
        prefix.append(acc)
        acc = acc * v % _P
    inv = pow(acc, -1, _P)
    out = [0] * len(values)
    for i in range(len(values) - 1, -1, -1):
        out[i] = prefix[i] * inv % _P
        inv = inv * values[i] % _P
    return out


def _g_table(window: int) -> list[list[tuple[int, int]]]:
    """The fixed-base table for G with ``window``-bit digits, built once."""
    table = _G_TABLES.get(window)
    if table is not None:
        return table
    rows = (256 + window) // window  # one more row for the recoding carry
    # Step 1: B_i = 2**(w*i) * G by repeated Jacobian doubling (a = -3), then
    # all converted to affine with one inversion.
    jacobian = []
    x, y, z = _GX, _GY, 1
    for i in range(rows):
        jacobian.append((x, y, z))
        for _ in range(window if i < rows - 1 else 0):
            delta = z * z % _P
            gamma = y * y % _P
            beta = x * gamma % _P
            alpha = 3 * (x - delta) * (x + delta) % _P
            x3 = (alpha * alpha - 8 * beta) % _P
            z = ((y + z) * (y + z) - gamma - delta) % _P
            y = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % _P
            x = x3
    bases = []
    for (x, y, _), iz in zip(jacobian, _batch_inverse([j[2] for j in jacobian])):
        iz2 = iz * iz % _P
        bases.append((x * iz2 % _P, y * iz2 * iz % _P))
    table = [[b] for b in bases]
    # Step 2: 2*B_i by affine doubling, all rows sharing one inversion.
    for row, (x, y), inv in zip(table, bases, _batch_inverse([2 * y for _, y in bases])):
        lam = 3 * (x * x - 1) * inv % _P
        x3 = (lam * lam - 2 * x) % _P
        row.append((x3, (lam * (x - x3) - y) % _P))
    # Step 3: j*B_i = (j-1)*B_i + B_i by affine addition, one inversion per j.
    for _ in range(3, (1 << (window - 1)) + 1):
        dens = [(row[-1][0] - b[0]) % _P for row, b in zip(table, bases)]
        for row, (x2, y2), inv in zip(table, bases, _batch_inverse(dens)):
            x1, y1 = row[-1]
            lam = (y1 - y2) * inv % _P
            x3 = (lam * lam - x1 - x2) % _P
            row.append((x3, (lam * (x1 - x3) - y1) % _P))
    _G_TABLES[window] = table  # concurrent builders produce equal tables
    return table


def _mul_g(k: int) -> tuple[int, int, int, int]:
    """k*G for 1 <= k < n, as XYZZ coordinates (x = X/ZZ, y = Y/ZZZ).

    Signed base-2**w recoding, one mixed addition (add-2008-s) per non-zero
    digit.  No partial sum can equal +-the point being added, because the
    partial sums stay below 2**(w*i) in absolute value, so the formula never
    meets its exceptional cases.
    """
    _MULTIPLICATIONS[0] += 1
    window = _LARGE_WINDOW if _MULTIPLICATIONS[0] > _LARGE_AFTER else _SMALL_WINDOW
    table = _g_table(window)
    mask = (1 << window) - 1
    half = 1 << (window - 1)
    p = _P
    X = Y = ZZ = ZZZ = 0
    started = False
    for row in table:
        d = k & mask
        k >>= window
        if d > half or (d == half and k & 1):
            d -= mask + 1
            k += 1
        if d == 0:
            continue
        if d > 0:
            x2, y2 = row[d - 1]
        else:
            x2, y2 = row[-d - 1]
            y2 = p - y2
        if not started:
            X, Y, ZZ, ZZZ = x2, y2, 1, 1
            started = True
            continue
        h = x2 * ZZ % p - X
        r = y2 * ZZZ % p - Y
        hh = h * h % p
        hhh = h * hh % p
        q = X * hh % p
        X = (r * r - hhh - 2 * q) % p
        Y = (r * (q - X) - Y * hhh) % p
        ZZ = ZZ * hh % p
        ZZZ = ZZZ * hhh % p
    if not started or ZZ == 0:  # unreachable for 1 <= k < n
        raise InvalidKeyError("scalar is not in [1, n-1]")
    return X, Y, ZZ, ZZZ


def _public_point(d: int) -> tuple[int, int]:
    X, Y, ZZ, ZZZ = _mul_g(d)
    inv = pow(ZZ * ZZZ % _P, -1, _P)  # one inversion gives both 1/ZZ and 1/ZZZ
    return X * ZZZ * inv % _P, Y * ZZ * inv % _P


def _rfc6979_nonces(d: int, h1: bytes) -> Iterator[int]:
    """RFC 6979 §3.2 candidate nonces k for P-256 with HMAC-SHA-256 (qlen = hlen)."""
    import hmac

    x = d.to_bytes(32, "big")
    h = (int.from_bytes(h1, "big") % _N).to_bytes(32, "big")  # bits2octets
    v = b"\x01" * 32  # Step b
    k = b"\x00" * 32  # Step c
    k = hmac.digest(k, v + b"\x00" + x + h, "sha256")  # Step d
    v = hmac.digest(k, v, "sha256")  # Step e
    k = hmac.digest(k, v + b"\x01" + x + h, "sha256")  # Step f
    v = hmac.digest(k, v, "sha256")  # Step g
    while True:  # Step h
        v = hmac.digest(k, v, "sha256")
        candidate = int.from_bytes(v, "big")
        if 1 <= candidate < _N:
            yield candidate
        k = hmac.digest(k, v + b"\x00", "sha256")
        v = hmac.digest(k, v, "sha256")


def _ecdsa_sign(d: int, message: bytes) -> bytes:
    """ES256: deterministic ECDSA over SHA-256(message), raw r || s (64 bytes)."""
    h1 = hashlib.sha256(message).digest()
    e = int.from_bytes(h1, "big")
    for k in _rfc6979_nonces(d, h1):
        X, _, ZZ, _ = _mul_g(k)
        r = X * pow(ZZ, -1, _P) % _P % _N
        if r == 0:
            continue
        s = pow(k, -1, _N) * (e + r * d) % _N
        if s != 0:
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------
# Keys at rest: SEC 1 / RFC 5915 and PKCS #8 DER in PEM, and JWK
# --------------------------------------------------------------------------

_OID_EC_PUBLIC_KEY: Final = bytes.fromhex("2a8648ce3d0201")  # 1.2.840.10045.2.1
_OID_P256: Final = bytes.fromhex("2a8648ce3d030107")  # 1.2.840.10045.3.1.7
# RFC 5915 ECPrivateKey for P-256 with curve and public key: always 121 bytes.
_SEC1_PREFIX: Final = bytes.fromhex("307702010104 20".replace(" ", ""))
_SEC1_MIDDLE: Final = bytes.fromhex("a00a06082a8648ce3d030107a144034200 04".replace(" ", ""))
_PEM_RE: Final = r"-----BEGIN ([A-Z ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----\s*\Z"


def _der_read(data: bytes, pos: int, tag: int, what: str) -> tuple[bytes, int]:
    """One DER TLV with the expected tag at ``pos``: (contents, next position)."""
    if pos + 2 > len(data) or data[pos] != tag:
        raise InvalidKeyError(f"{what}: expected DER tag 0x{tag:02x}")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 2 or pos + count > len(data):
            raise InvalidKeyError(f"{what}: bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise InvalidKeyError(f"{what}: DER value runs past the end")
    return data[pos : pos + length], pos + length


def _parse_sec1(der: bytes, what: str) -> tuple[int, tuple[int, int] | None]:
    """RFC 5915 ECPrivateKey -> (d, public point or None)."""
    body, end = _der_read(der, 0, 0x30, what)
    if end != len(der):
        raise InvalidKeyError(f"{what}: trailing data after the key")
    version, pos = _der_read(body, 0, 0x02, what)
    if version != b"\x01":
        raise InvalidKeyError(f"{what}: ECPrivateKey version must be 1")
    secret, pos = _der_read(body, pos, 0x04, what)
    if not 1 <= len(secret) <= 32:
        raise InvalidKeyError(f"{what}: private key must be 32 bytes")
    public = None
    if pos < len(body) and body[pos] == 0xA0:
        params, pos = _der_read(body, pos, 0xA0, what)
        oid, rest = _der_read(params, 0, 0x06, what)
        if oid != _OID_P256 or rest != len(params):
            raise InvalidKeyError(f"{what}: curve is not P-256")
    if pos < len(body) and body[pos] == 0xA1:
        wrapped, pos = _der_read(body, pos, 0xA1, what)
        bits, rest = _der_read(wrapped, 0, 0x03, what)
        if rest != len(wrapped) or len(bits) != 66 or bits[:2] != b"\x00\x04":
            raise InvalidKeyError(f"{what}: public key must be an uncompressed P-256 point")
        public = (int.from_bytes(bits[2:34], "big"), int.from_bytes(bits[34:], "big"))
    if pos != len(body):
        raise InvalidKeyError(f"{what}: unexpected data in ECPrivateKey")
    return int.from_bytes(secret, "big"), public


def _parse_pkcs8(der: bytes, what: str) -> tuple[int, tuple[int, int] | None]:
    """PKCS #8 PrivateKeyInfo holding an EC P-256 key -> (d, public point or None)."""
    body, end = _der_read(der, 0, 0x30, what)
    if end != len(der):
        raise InvalidKeyError(f"{what}: trailing data after the key")
    version, pos = _der_read(body, 0, 0x02, what)
    if version not in (b"\x00", b"\x01"):
        raise InvalidKeyError(f"{what}: unsupported PKCS #8 version")
    algorithm, pos = _der_read(body, pos, 0x30, what)
    oid, apos = _der_read(algorithm, 0, 0x06, what)
    if oid != _OID_EC_PUBLIC_KEY:
        raise InvalidKeyError(f"{what}: not an EC key")
    curve, apos = _der_read(algorithm, apos, 0x06, what)
    if curve != _OID_P256 or apos != len(algorithm):
        raise InvalidKeyError(f"{what}: curve is not P-256")
    inner, pos = _der_read(body, pos, 0x04, what)
    return _parse_sec1(inner, what)


def _pem_decode(pem: str, what: str) -> tuple[str, bytes]:
    """(label, DER) of a single PEM block; strict base64."""
    match = re.match(_PEM_RE, pem.strip() + "\n")
    if match is None:
        raise InvalidKeyError(f"{what} is not a PEM document")
    try:
        der = base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidKeyError(f"{what}: PEM body is not valid base64") from exc
    return match.group(1), der


def _pem_encode(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def _jwk_ec_point(jwk: Mapping[str, Any]) -> tuple[int, int]:
    """The validated P-256 point of an EC public JWK."""
    _require_type("jwk", jwk, dict)
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise InvalidKeyError("jwk: kty must be EC and crv P-256")
    coords = []
    for name in ("x", "y"):
        raw = _b64url_decode(jwk.get(name, ""), f"jwk.{name}")
        if len(raw) != 32:
            raise InvalidKeyError(f"jwk.{name} must be 32 bytes")
        coords.append(int.from_bytes(raw, "big"))
    if not _on_curve(coords[0], coords[1]):
        raise InvalidKeyError("jwk: point is not on P-256")
    return coords[0], coords[1]


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint (base64url) of a public JWK.

    EC keys must be valid P-256 points; RSA keys (``e``, ``n``) are hashed
    as given.  Raises :class:`InvalidKeyError` for anything else.
    """
    _require_type("jwk", jwk, dict)
    kty = jwk.get("kty")
    if kty == "EC":
        _jwk_ec_point(jwk)
        required: tuple[str, ...] = ("crv", "kty", "x", "y")
    elif kty == "RSA":
        required = ("e", "kty", "n")
        if not all(isinstance(jwk.get(m), str) and jwk[m] for m in required):
            raise InvalidKeyError("jwk: RSA keys need string e and n")
    else:
        raise InvalidKeyError("jwk: kty must be EC or RSA")
    canonical = json.dumps({m: jwk[m] for m in required}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


# --------------------------------------------------------------------------
# PKCE and the authorize URL (RFC 7636, PROTOCOL.md §2)
# --------------------------------------------------------------------------

_UNRESERVED: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_PKCE_METHOD: Final = "SHA-256"  # the service's spelling, not S256


@dataclasses.dataclass(frozen=True)
class PKCEPair:
    """A PKCE verifier (secret, hidden from ``repr``), its challenge and method,
    and the OAuth ``state`` that goes with the same authorization request."""

    code_verifier: str = dataclasses.field(repr=False)
    code_challenge: str
    code_challenge_method: str
    state: str

    def to_dict(self) -> dict[str, str]:
        """``{"code_verifier", "code_challenge", "code_challenge_method", "state"}``."""
        return dataclasses.asdict(self)


def pkce_challenge(code_verifier: str) -> str:
    """base64url(SHA-256(verifier)) without padding; validates the verifier."""
    _check("codeVerifier", code_verifier, "CodeVerifier")
    return _b64url(hashlib.sha256(code_verifier.encode("ascii")).digest())


def generate_pkce() -> PKCEPair:
    """A fresh 64-character verifier from ``secrets``, its challenge, and a uuid4 state."""
    import secrets

    # The first character is alphanumeric, so the verifier never looks like an option.
    verifier = secrets.choice(_UNRESERVED[:62]) + "".join(secrets.choice(_UNRESERVED) for _ in range(63))
    return PKCEPair(verifier, pkce_challenge(verifier), _PKCE_METHOD, _uuid4())


def _quote(value: str) -> str:
    """Percent-encode everything but ``A-Za-z0-9-._~`` (UTF-8)."""
    return "".join(c if c in _UNRESERVED else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in value)


def _origin(endpoint: str) -> str:
    """scheme://host[:port] of an endpoint URL."""
    scheme, _, rest = endpoint.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def authorization_url(
    *,
    code_challenge: str,
    state: str,
    region: str | None = None,
    endpoint_url: str | None = None,
    remote: bool = False,
    redirect_uri: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The ``/v1/authorize`` URL of PROTOCOL.md §2, parameters in its order.

    ``remote`` selects the cross-device client, whose redirect URI defaults
    to the service's confirmation page; the same-device client needs the
    loopback ``redirect_uri`` of the local callback server.
    """
    for name, value in (("code_challenge", code_challenge), ("state", state)):
        _require_type(name, value, str)
        if not value or len(value) > 512:
            raise ParamValidationError(name, "length must be between 1 and 512")
    origin = _origin(resolve_endpoint(region, endpoint_url=endpoint_url, environ=environ))
    if redirect_uri is None:
        if not remote:
            raise ParamValidationError("redirect_uri", "is required for the same-device client")
        redirect_uri = origin + _CONFIRMATION_PATH
    _check("redirectUri", redirect_uri, "RedirectUri")
    query = [
        ("response_type", "code"),
        ("client_id", CROSS_DEVICE_CLIENT_ID if remote else SAME_DEVICE_CLIENT_ID),
        ("state", state),
        ("code_challenge_method", _PKCE_METHOD),
        ("scope", "openid"),
        ("redirect_uri", redirect_uri),
        ("code_challenge", code_challenge),
    ]
    return origin + _AUTHORIZE_PATH + "?" + "&".join(f"{k}={_quote(v)}" for k, v in query)


# --------------------------------------------------------------------------
# DPoP (RFC 9449)
# --------------------------------------------------------------------------


class DPoPKey:
    """A P-256 key that signs DPoP proofs (ES256, RFC 6979 nonces).

    Create with :meth:`generate`, :meth:`from_pem` or :meth:`from_private_value`.
    The private value never appears in ``repr()``.
    """

    __slots__ = ("_d", "_header", "_x", "_y")

    def __init__(self, d: int, *, _public: tuple[int, int] | None = None) -> None:
        _require_type("private value", d, int)
        if not 1 <= d < _N:
            raise InvalidKeyError("private key scalar must be in [1, n-1]")
        x, y = _public_point(d)
        if _public is not None and _public != (x, y):
            raise InvalidKeyError("public key does not match the private key")
        self._d = d
        self._x = x
        self._y = y
        self._header = _b64url(_jose_json({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.public_jwk}))

    @classmethod
    def generate(cls) -> DPoPKey:
        """A new key from ``secrets``."""
        import secrets

        return cls(secrets.randbelow(_N - 1) + 1)

    @classmethod
    def from_private_value(cls, d: int) -> DPoPKey:
        """The key with private scalar ``d`` (1 <= d < n)."""
        return cls(d)

    @classmethod
    def from_pem(cls, pem: str | bytes) -> DPoPKey:
        """Read ``EC PRIVATE KEY`` (SEC 1) or ``PRIVATE KEY`` (PKCS #8) PEM.

        A public key in the file must be on the curve and match the private one.
        """
        _require_type("pem", pem, (str, bytes))
        if isinstance(pem, bytes):
            try:
                pem = pem.decode("ascii")
            except UnicodeDecodeError as exc:
                raise InvalidKeyError("DPoP key PEM is not ASCII") from exc
        label, der = _pem_decode(pem, "DPoP key")
        if label == "EC PRIVATE KEY":
            d, public = _parse_sec1(der, "DPoP key")
        elif label == "PRIVATE KEY":
            d, public = _parse_pkcs8(der, "DPoP key")
        else:
            raise InvalidKeyError(f"DPoP key: unsupported PEM type {label!r}")
        if public is not None and not _on_curve(*public):
            raise InvalidKeyError("DPoP key: public key is not on P-256")
        return cls(d, _public=public)

    def __repr__(self) -> str:
        return f"DPoPKey(thumbprint={self.thumbprint()!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DPoPKey):
            return NotImplemented
        import hmac

        return hmac.compare_digest(self._d.to_bytes(32, "big"), other._d.to_bytes(32, "big"))

    def __hash__(self) -> int:
        return hash((self._x, self._y))

    def to_pem(self) -> str:
        """SEC 1 ``EC PRIVATE KEY`` PEM, byte-exact per PROTOCOL.md §7 (121-byte DER)."""
        der = (
            _SEC1_PREFIX
            + self._d.to_bytes(32, "big")
            + _SEC1_MIDDLE
            + self._x.to_bytes(32, "big")
            + self._y.to_bytes(32, "big")
        )
        return _pem_encode("EC PRIVATE KEY", der)

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public JWK ``{"kty","x","y","crv"}``; coordinates always 32 bytes."""
        return {
            "kty": "EC",
            "x": _b64url(self._x.to_bytes(32, "big")),
            "y": _b64url(self._y.to_bytes(32, "big")),
            "crv": "P-256",
        }

    def thumbprint(self) -> str:
        """RFC 7638 thumbprint of the public key (the refresh token's ``cnf.jkt``)."""
        return jwk_thumbprint(self.public_jwk)

    def sign(self, message: bytes) -> bytes:
        """ES256 signature of ``message``: raw r || s, 64 bytes, RFC 6979 nonce."""
        _require_type("message", message, (bytes, bytearray))
        return _ecdsa_sign(self._d, bytes(message))

    def proof(self, htu: str, htm: str = "POST", *, iat: int | None = None, jti: str | None = None) -> str:
        """A DPoP proof JWT for one HTTP request (fresh uuid4 ``jti``, ``iat`` now).

        ``htu`` is the exact request URL without query or fragment.
        """
        _require_type("htu", htu, str)
        _require_type("htm", htm, str)
        if not htu.startswith(("https://", "http://")) or "?" in htu or "#" in htu:
            raise ParamValidationError("htu", "must be an http(s) URL without query or fragment")
        if not htm or not htm.isalpha() or not htm.isupper():
            raise ParamValidationError("htm", "must be an upper-case HTTP method")
        claims = {
            "htm": htm,
            "htu": htu,
            "iat": int(time.time()) if iat is None else int(iat),
            "jti": _uuid4() if jti is None else jti,
        }
        signing_input = self._header + "." + _b64url(_jose_json(claims))
        return signing_input + "." + _b64url(_ecdsa_sign(self._d, signing_input.encode("ascii")))


# --------------------------------------------------------------------------
# AWS Signature Version 4
# --------------------------------------------------------------------------

# Headers SigV4 never signs (botocore's SIGNED_HEADERS_BLACKLIST): a proxy or
# the HTTP stack may change them on the way.
_SIGV4_UNSIGNED_HEADERS: Final = frozenset(
    (
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    )
)
# The headers the signer sets itself, replaced when the caller's headers hold them.
_SIGV4_OWN_HEADERS: Final = frozenset(("authorization", "x-amz-date", "x-amz-security-token"))


class _SigningKeys:
    """AWS credentials that sign a request; ``repr`` shows only where they came from."""

    __slots__ = ("access_key_id", "expiration", "secret_access_key", "session_token", "source")

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        expiration: float | None = None,
        source: str = "",
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token
        self.expiration = expiration  # epoch seconds; None for long-term keys
        self.source = source  # for people: "environment", "shared credentials file (profile dev)"
        _note_secrets(secret_access_key, session_token)

    def __repr__(self) -> str:
        return f"_SigningKeys(source={self.source!r}, expiration={self.expiration!r})"


def _sigv4_host(url: str) -> str:
    """The Host header botocore signs: lower-case host, its port unless the scheme's default."""
    scheme, _, rest = url.partition("://")
    netloc = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    if netloc.startswith("["):
        host, _, port = netloc[1:].partition("]")
        host, port = f"[{host.lower()}]", port[1:]
    else:
        host, _, port = netloc.partition(":")
        host = host.lower()
    if port and int(port) != {"http": 80, "https": 443}.get(scheme.lower()):
        return f"{host}:{int(port)}"
    return host


def _sigv4_canonical_path(path: str) -> str:
    """RFC 3986 dot segments and repeated slashes removed, then percent-encoded (not ``/~``)."""
    from urllib.parse import quote

    if not path:
        return "/"
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and segments else ""
    return quote(first + "/".join(segments) + last, safe="/~")


def _sigv4_sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: _SigningKeys,
    region: str,
    now: float,
    service: str,
) -> tuple[dict[str, str], str, str]:
    """The headers SigV4 adds, the canonical request and the string to sign.

    The canonical request holds the session token: never log it.
    """
    import hmac

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    added = {"X-Amz-Date": stamp}
    if keys.session_token:
        added["X-Amz-Security-Token"] = keys.session_token
    signed: dict[str, list[str]] = {}
    for name, value in headers.items():
        lname = name.lower()
        if lname not in _SIGV4_UNSIGNED_HEADERS and lname not in _SIGV4_OWN_HEADERS:
            signed.setdefault(lname, []).append(" ".join(value.split()))
    for name, value in added.items():
        signed[name.lower()] = [value]
    if "host" not in signed:
        signed["host"] = [_sigv4_host(url)]
    names = sorted(signed)
    signed_headers = ";".join(names)
    after_scheme = url.partition("://")[2]
    slash = after_scheme.find("/")
    path_query = after_scheme[slash:] if slash >= 0 else ""
    path, _, query = path_query.split("#", 1)[0].partition("?")
    pairs = sorted(pair.partition("=")[::2] for pair in query.split("&")) if query else []
    payload_hash = next(
        (v for k, v in headers.items() if k.lower() == "x-amz-content-sha256"),
        hashlib.sha256(body).hexdigest(),
    )
    canonical_request = "\n".join(
        (
            method.upper(),
            _sigv4_canonical_path(path),
            "&".join(f"{k}={v}" for k, v in pairs),
            "".join(f"{name}:{','.join(signed[name])}\n" for name in names),
            signed_headers,
            payload_hash,
        )
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ("AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest())
    )
    key = ("AWS4" + keys.secret_access_key).encode("utf-8")
    for part in (stamp[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    added["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={keys.access_key_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return added, canonical_request, string_to_sign


def _sigv4_headers(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: _SigningKeys,
    region: str,
    now: float,
    service: str = SIGNING_NAME,
) -> dict[str, str]:
    """The headers SigV4 adds (Authorization, X-Amz-Date, X-Amz-Security-Token when a session token).

    Signs as botocore's ``SigV4Auth`` signs a rest-json request: every header
    given except hop-by-hop ones and User-Agent, plus Host (from ``url`` unless
    given) and the added ones; the query of ``url`` as it is written; the
    SHA-256 of ``body`` (or a given X-Amz-Content-SHA256).  ``now`` is epoch
    seconds.  Any Authorization, X-Amz-Date or X-Amz-Security-Token in
    ``headers`` is replaced: send the returned ones in their place.
    """
    return _sigv4_sign(method, url, headers, body, keys, region, now, service)[0]


# --------------------------------------------------------------------------
# Endpoints (PROTOCOL.md §1)
# --------------------------------------------------------------------------

_HTTPS_URL_RE: Final = r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[^\s?#]*)?"


def _is_loopback(netloc: str) -> bool:
    """True for ``host[:port]`` naming a loopback address (127.0.0.0/8, ::1) or localhost."""
    host, port = netloc, ""
    if netloc.startswith("["):
        host, _, port = netloc[1:].partition("]")
        if port and not port.startswith(":"):
            return False
        port = port[1:]
    elif netloc.count(":") == 1:
        host, port = netloc.split(":")
    if port and not (port.isascii() and port.isdigit() and int(port) <= 65535):
        return False
    if host == "localhost" or (host == "127.0.0.1" and not netloc.startswith("[")):
        return True  # the common cases, without importing ipaddress (3 ms)
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback and (netloc.startswith("[") or ":" not in host)
    except ValueError:
        return False


def _check_endpoint_url(url: str, source: str) -> str:
    """An explicit endpoint: https, or http to loopback only; no query/fragment.

    A non-ASCII https host is sent in its IDNA (``xn--``) form; the rest of the
    URL must be printable ASCII.  ``source`` names the setting in every error.
    """
    _require_type(source, url, str)
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: undecodable bytes in argv or environ
        raise ParamValidationError(source, "is not valid UTF-8 text") from None
    if url.startswith("http://"):
        if not (url.isascii() and url.isprintable()) or any(c in url for c in "?# "):
            raise ParamValidationError(source, "must be printable ASCII without a query, fragment or space")
        if not _is_loopback(url[7:].split("/", 1)[0]):
            raise ParamValidationError(
                source, "http is allowed only to loopback (127.0.0.0/8, ::1, localhost); use https"
            )
        return url.rstrip("/")
    port = ""
    if url.startswith("https://"):
        netloc, slash, path = url[8:].partition("/")
        host, colon, port = netloc.partition(":")
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ParamValidationError(
                source, "host is not a DNS name (an empty label, a label over 63 characters, or not IDNA)"
            ) from None
        url = f"https://{host}{colon}{port}{slash}{path}"
    if not (url.isascii() and url.isprintable()) or re.fullmatch(_HTTPS_URL_RE, url) is None:
        raise ParamValidationError(
            source, "must be an https:// URL of printable ASCII without query or fragment"
        )
    if port and int(port) > 65535:
        raise ParamValidationError(source, "port must be at most 65535")
    return url.rstrip("/")


def _rule_set_endpoint(
    region: str,
    use_fips: bool,
    use_dualstack: bool,
    partitions: Sequence[tuple[str, str, tuple[str, ...], str, str, bool, bool]] = _PARTITIONS,
    *,
    is_control_plane: bool = False,
    is_oauth_endpoint: bool = False,
) -> str:
    """The URL the endpoint rule set gives an operation family in a valid ``region``."""
    name, _, _, dns, dual_dns, has_fips, has_dual = next(
        (p for p in partitions if region in p[2] or re.match(p[1], region)), partitions[0]
    )
    if is_control_plane:
        return f"https://signin.{region}.{_CONTROL_PLANE_SUFFIXES.get(name, dual_dns)}"
    if is_oauth_endpoint and use_fips:
        raise ParamValidationError("use_fips", _OAUTH_FIPS_RULE)
    if is_oauth_endpoint and name == "aws":
        return f"https://{region}.{_OAUTH_HOST}"
    if not use_fips and not use_dualstack:
        return f"https://{region}.{_SIGNIN_HOSTS.get(name, 'signin.' + dns)}"
    if use_fips and not use_dualstack and region in _FIPS_REGION_URLS:
        return _FIPS_REGION_URLS[region]
    if use_fips and not use_dualstack and name in _FIPS_HOSTS:
        return f"https://{region}.{_FIPS_HOSTS[name]}"
    rule = ""
    if use_fips and use_dualstack and not (has_fips and has_dual):
        rule = "FIPS and DualStack are enabled, but this partition does not support one or both"
    elif use_fips and not has_fips:
        rule = "FIPS is enabled but this partition does not support FIPS"
    elif use_dualstack and not has_dual:
        rule = "DualStack is enabled but this partition does not support DualStack"
    if rule:
        field = "use_fips" if use_fips and not has_fips else "use_dualstack"
        raise ParamValidationError(field, f"{rule} ({name}, signin endpoint rule set)")
    return f"https://{'signin-fips' if use_fips else 'signin'}.{region}.{dual_dns if use_dualstack else dns}"


def resolve_endpoint(
    region: str | None = None,
    *,
    endpoint_url: str | None = None,
    use_fips: bool = False,
    use_dualstack: bool = False,
    environ: Mapping[str, str] | None = None,
    is_control_plane: bool | None = None,
    is_oauth_endpoint: bool | None = None,
) -> str:
    """The Sign-In base URL for an operation family.

    ``is_control_plane`` and ``is_oauth_endpoint`` are the operation's static
    context parameters in the model (None: unset; both unset or false is the
    sign-in host family of ``CreateOAuth2Token``).  Order: ``endpoint_url``,
    then ``$AWS_ENDPOINT_URL_SIGNIN``, then ``$AWS_ENDPOINT_URL``, for every
    family (FIPS and dual-stack do not apply to these, as in botocore), then
    the URL the service's endpoint rule set gives the family in ``region``'s
    partition (every partition botocore knows, ISO ones included; a region no
    partition claims is in aws).  Raises :class:`ParamValidationError` for a
    missing or malformed region (checked first, even with an endpoint URL),
    for FIPS with an OAuth operation, for FIPS or dual-stack where the
    partition has none, and for any URL that is not https (http is allowed to
    loopback only) or that cannot be encoded (non-UTF-8 text, a bad DNS name).
    """
    if region is not None and region != "":
        _require_type("region", region, str)
        if re.fullmatch(_REGION_RE, region) is None:
            raise ParamValidationError("region", "must be a region name such as us-east-1")
    for name, flag in (("is_control_plane", is_control_plane), ("is_oauth_endpoint", is_oauth_endpoint)):
        if flag is not None:
            _require_type(name, flag, bool)
    env = os.environ if environ is None else environ
    for source, url in (
        ("endpoint_url", endpoint_url),
        ("AWS_ENDPOINT_URL_SIGNIN", env.get("AWS_ENDPOINT_URL_SIGNIN")),
        ("AWS_ENDPOINT_URL", env.get("AWS_ENDPOINT_URL")),
    ):
        if url:
            return _check_endpoint_url(url, source)
    if not region:
        if is_oauth_endpoint and use_fips and not is_control_plane:
            raise ParamValidationError("use_fips", _OAUTH_FIPS_RULE)
        raise ParamValidationError("region", "Missing Region: set --region, AWS_REGION or a profile region")
    return _rule_set_endpoint(
        region,
        use_fips,
        use_dualstack,
        is_control_plane=bool(is_control_plane),
        is_oauth_endpoint=bool(is_oauth_endpoint),
    )


# --------------------------------------------------------------------------
# HTTP transport (urllib; asyncio through a worker thread) and the one redaction of outside text
# --------------------------------------------------------------------------


class _Response:
    """One HTTP response: status, lower-case header names, body (capped)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


# Outside text (a server's bytes, a library exception's message) reaches an
# exception message, a log line or a traceback only through _redact, which
# removes the secrets of the request in flight and every secret noted here.
_MIN_SECRET: Final = 8  # shorter values are not secrets; "***" for them would mangle text
_MAX_NOTED: Final = 512  # forms kept process-wide; the oldest are dropped
_noted_secrets: Final[dict[str, None]] = {}  # an insertion-ordered set of forms


def _secret_forms(value: str) -> list[str]:
    """The forms ``value`` can take in outside text: verbatim, percent-encoded
    (form bodies, URLs), JSON-escaped (a PEM in JSON has ``\\n``) and, for a
    PEM, each base64 line and the joined body, each in those encodings too."""
    parts = [value]
    if "-----BEGIN " in value:
        lines = [line.strip() for line in value.splitlines()]
        body = [line for line in lines if line and not line.startswith("-----") and ":" not in line]
        parts += [*body, "".join(body)]
    forms: dict[str, None] = {}
    for part in parts:
        if len(part.strip()) < _MIN_SECRET:
            continue
        try:
            quoted = _quote(part)
        except UnicodeEncodeError:  # a lone surrogate: not in any encoded body either
            quoted = part
        escaped = json.dumps(part)[1:-1]
        for form in (
            part,
            quoted,
            quoted.replace("%20", "+"),  # application/x-www-form-urlencoded
            quoted.replace("%2F", "/"),  # a path
            escaped,
            escaped.replace("/", "\\/"),  # encoders that escape the solidus
            json.dumps(part, ensure_ascii=False)[1:-1],
        ):
            forms[form] = None
    return list(forms)


def _note_secrets(*values: str | None) -> None:
    """Remember secrets (a cache entry's refresh token, DPoP key PEM, secret
    key, session token...) so that every later piece of outside text is
    redacted of them, in all their forms.  ``None``, non-strings and values
    under 8 characters are ignored; past 512 forms the oldest are dropped."""
    for value in values:
        if isinstance(value, str) and len(value.strip()) >= _MIN_SECRET:
            for form in _secret_forms(value):
                _noted_secrets.pop(form, None)  # noted again: now the newest
                _noted_secrets[form] = None
    excess = len(_noted_secrets) - _MAX_NOTED
    if excess > 0:
        for form in list(_noted_secrets)[:excess]:
            _noted_secrets.pop(form, None)


def _redact(text: str, secrets_: Iterable[str | None] = ()) -> str:
    """The one redaction: ``text`` with each secret of the request in flight
    (``secrets_``) and each noted secret, in any of its forms, as ``***``."""
    forms = set(list(_noted_secrets))  # list(): a snapshot, even if another thread notes
    for value in secrets_:
        if isinstance(value, str) and len(value.strip()) >= _MIN_SECRET:
            forms.update(_secret_forms(value))
    for form in sorted(forms, key=len, reverse=True):  # a secret before its own parts
        if form in text:
            text = text.replace(form, "***")
    return text


def _one_line(text: str, limit: int = 300) -> str:
    """The one sanitiser: outside text (from a file or the network) made safe
    for a line of human-readable output.  Line breaks and other white space
    become spaces; every other character a terminal could act on or that
    could reorder the line (C0 and C1 controls, DEL, the bidi embeddings,
    overrides, isolates and marks, other format characters, lone surrogates)
    becomes a visible escape such as ``\\x1b`` or ``\\u202e``; the result
    is bounded to ``limit`` characters."""
    text = "".join(c if c.isprintable() else " " if c.isspace() else ascii(c)[1:-1] for c in text).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _RedactedError(Exception):
    """Stands in, as ``__cause__``, for a library exception that outside text
    reached: its message is that exception's, redacted, after its type's name.
    The original is never chained: its message, arguments and own context can
    hold an echoed request or a partial body."""


def _stand_in(exc: BaseException, secrets_: Iterable[str | None]) -> _RedactedError:
    """The redacted stand-in for ``exc`` (see :class:`_RedactedError`)."""
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return _RedactedError(f"{name}: {_one_line(_redact(str(exc), secrets_))}")


def _transport_error(
    url: str, reason: BaseException | str, timed_out: bool, timeout: float, secrets_: Iterable[str | None]
) -> TransportError:
    """The :class:`TransportError` for a failed exchange with ``url``."""
    what = (
        f"timed out after {timeout:g} s"
        if timed_out
        else f"failed: {_one_line(_redact(str(reason), secrets_))}"
    )
    return TransportError(f"request to {_origin(url)} {what}")


def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """A client TLS context: verification and host names always checked."""
    import ssl

    return ssl.create_default_context(cafile=ca_bundle)


def _http_post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    ca_bundle: str | None,
    secrets_: Sequence[str | None] = (),
    abort: threading.Event | None = None,
) -> _Response:
    """POST once; returns any HTTP status.  Never follows a redirect, caps the
    body at 1 MiB, bounds the whole exchange by ``timeout`` and raises
    :class:`TransportError` for network failures, redacted of ``secrets_``
    and of the ``DPoP`` and ``X-Amz-Security-Token`` headers.  Setting
    ``abort`` (from another thread) shuts the connection down at once."""
    import contextlib
    import http.client
    import socket
    import threading
    import urllib.error
    import urllib.request

    # Socket timeouts bound each read; a server trickling bytes could still hold
    # the exchange forever.  A watchdog shuts the socket down at the deadline.
    expired = threading.Event()
    sockets: list[socket.socket] = []

    def watchdog() -> None:
        expired.set()
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def connected(sock: socket.socket) -> None:
        sockets.append(sock)
        if expired.is_set():  # aborted while connecting
            watchdog()

    class _Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            connected(self.sock)

    class _TLSConnection(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            connected(self.sock)

    class _Handler(urllib.request.HTTPHandler):
        def http_open(self, req: Any) -> Any:
            return self.do_open(_Connection, req)

    class _TLSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: Any) -> Any:
            return self.do_open(_TLSConnection, req, context=self._context)  # type: ignore[attr-defined]

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # urllib then raises HTTPError with the 3xx status

    handlers: list[Any] = [_NoRedirect(), _Handler()]
    scheme, _, rest = url.partition("://")
    netloc = rest.split("/", 1)[0]
    if _is_loopback(netloc):
        handlers.append(urllib.request.ProxyHandler({}))  # never proxy loopback
    else:
        _proxy_for(scheme, netloc)  # notes the proxy's credentials: a proxy can echo them
    if url.startswith("https://"):
        handlers.append(_TLSHandler(context=_tls_context(ca_bundle)))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    in_flight = (*secrets_, headers.get("DPoP"), headers.get("X-Amz-Security-Token"))
    failure: BaseException | None = None
    finished = False
    wake = threading.Event() if abort is None else abort

    def guard() -> None:  # the deadline, or the caller's abort, whichever comes first
        wake.wait(timeout)
        if not finished:
            watchdog()

    guard_thread = threading.Thread(target=guard, name="signin-token deadline", daemon=True)
    guard_thread.start()
    try:
        try:
            response = opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            response = exc  # an error status still carries headers and a body
        with response:
            chunks = []
            size = 0
            while True:
                chunk = response.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > _MAX_RESPONSE_BYTES:
                    raise InvalidResponseError(
                        f"response body exceeds {_MAX_RESPONSE_BYTES} bytes", response.status
                    )
                chunks.append(chunk)
            if expired.is_set():
                raise TimeoutError("response not complete within the timeout")
            status = response.status
            names = {k.lower(): v for k, v in response.headers.items()}
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        failure = exc  # raised below, outside this block: never as anyone's __context__
    finally:
        finished = True
        wake.set()
        guard_thread.join()  # at once: no thread outlives the exchange
    if failure is not None:
        reason = getattr(failure, "reason", None) or failure
        timed_out = expired.is_set() or isinstance(reason, (socket.timeout, TimeoutError))
        described = reason if isinstance(reason, BaseException) else failure
        raise _transport_error(url, reason, timed_out, timeout, in_flight) from _stand_in(
            described, in_flight
        )
    return _Response(status if status is not None else 0, names, b"".join(chunks))


async def _http_post_async(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    ca_bundle: str | None,
    secrets_: Sequence[str | None] = (),
) -> _Response:
    """:func:`_http_post` for asyncio: the same exchange in a worker thread, so
    the same limits, results and errors, and the event loop never blocks.
    Cancelling the task shuts the connection down at once (the thread then
    ends by itself)."""
    import asyncio
    import functools
    import threading

    abort = threading.Event()
    post = functools.partial(
        _http_post, url, body, headers, timeout=timeout, ca_bundle=ca_bundle, secrets_=secrets_, abort=abort
    )
    try:
        return await asyncio.get_running_loop().run_in_executor(None, post)
    except asyncio.CancelledError:
        abort.set()
        raise


def _proxy_for(scheme: str, netloc: str) -> tuple[str, int, str | None] | None:
    """The proxy urllib would use for ``scheme://netloc`` (``*_proxy`` and
    ``no_proxy`` from the environment): host, port and the
    ``Proxy-Authorization`` value of its credentials; ``None`` for none."""
    import base64
    import urllib.parse
    import urllib.request

    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(netloc):
        return None
    parts = urllib.parse.urlsplit(proxy if "://" in proxy else "http://" + proxy)
    try:
        port = parts.port
    except ValueError:
        port = None
    authorization = None
    if parts.username and parts.password:
        pair = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password)}"
        credentials = base64.b64encode(pair.encode("utf-8")).decode("ascii")
        authorization = "Basic " + credentials
        _note_secrets(parts.password, urllib.parse.unquote(parts.password), credentials)
    return parts.hostname or "", port or (443 if parts.scheme == "https" else 80), authorization


def _service_error(response: _Response, secrets_: Sequence[str | None]) -> ServiceError:
    """Classify an error response (PROTOCOL.md §11) into a :class:`ServiceError`.

    Every piece of outside text is redacted of the request's secrets, then
    made one bounded printable line.
    """

    def clean(text: str, limit: int) -> str:
        return _one_line(_redact(text, secrets_), limit)

    try:
        data: dict[str, Any] = _load_json_object(response.body, "error body")
    except ValueError:
        data = {}
    header = response.headers.get("x-amzn-errortype", "")
    error_type = header.split(":", 1)[0].strip()
    if not error_type:
        raw = data.get("__type") or data.get("code")
        error_type = raw.rsplit("#", 1)[-1] if isinstance(raw, str) else ""
    cls = (
        _ERROR_TYPES.get(error_type, ServiceError)
        if error_type
        else _STATUS_ERRORS.get(response.status, ServiceError)
    )
    code = data.get("error")
    error: OAuth2ErrorCode | str | None = None
    if isinstance(code, str):
        try:
            error = OAuth2ErrorCode(code)
        except ValueError:
            error = clean(code, 64)
    message = data.get("message") or data.get("Message") or data.get("error_description")
    if not isinstance(message, str):
        message = "" if data else f"HTTP {response.status} with a non-JSON body"
    request_id = response.headers.get("x-amzn-requestid")
    return cls(
        clean(message, 300),
        error=error,
        status=response.status,
        request_id=clean(request_id, 80) if request_id else None,
        error_type=clean(error_type, 100) if error_type and cls is ServiceError else None,
    )


def _retry_after(response: _Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if re.fullmatch(r"[0-9]{1,10}", value):  # not str.isdigit: headers are Latin-1 ("²")
        return float(value)
    if value:
        server = _http_date(value)
        if server is not None:
            return max(0.0, server - time.time())
    return None


def _http_date(value: str) -> float | None:
    """An HTTP-date as a POSIX timestamp, or ``None`` when it is not one."""
    import email.utils

    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed.timestamp()


# --------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------


class _Post:
    """A step of a call: POST ``body`` to ``url``, then send the :class:`_Response`
    into the call, or throw the :class:`TransportError` into it."""

    __slots__ = ("body", "headers", "secrets", "url")

    def __init__(
        self, url: str, body: bytes, headers: dict[str, str], secrets_: tuple[str | None, ...]
    ) -> None:
        self.url = url
        self.body = body
        self.headers = headers
        self.secrets = secrets_


class _Sleep:
    """A step of a call: wait ``seconds`` before going on."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class _Attempt:
    """One HTTP attempt of a call as ``on_event`` hears of it: one line, once
    its outcome and what comes next are known.  Every piece of outside text
    (the request id, the transport failure) and the line itself go through
    :func:`_redact` with the request's secrets; no header, no body."""

    __slots__ = ("_label", "_on_event", "_outcome", "_secrets", "_started")

    def __init__(
        self, on_event: Callable[[str], None] | None, label: str, secrets_: tuple[str | None, ...]
    ) -> None:
        self._on_event = on_event
        self._label = label
        self._secrets = secrets_
        self._outcome = ""
        self._started = time.monotonic()

    def _elapsed(self) -> str:
        return f"{(time.monotonic() - self._started) * 1000:.0f} ms"

    def answered(self, response: _Response) -> None:
        """The attempt got ``response``: its status, standard reason and request id."""
        if self._on_event is None:
            return
        import http

        try:
            reason = " " + http.HTTPStatus(response.status).phrase  # the standard phrase, not the server's
        except ValueError:
            reason = ""
        found = response.headers.get("x-amzn-requestid")
        request_id = _one_line(_redact(found, self._secrets), 80) if found else "(none)"
        self._outcome = f"HTTP {response.status}{reason}, request id {request_id}, {self._elapsed()}"

    def failed(self, exc: TransportError) -> None:
        """The attempt failed in transport (its message is already redacted, and is again)."""
        if self._on_event is not None:
            text = _one_line(_redact(str(exc), self._secrets))
            self._outcome = f"transport failure: {text}, {self._elapsed()}"

    def done(self, decision: str | None) -> None:
        """Report the attempt, with what comes next (``None``: nothing to say)."""
        if self._on_event is not None:
            line = f"POST {self._label}: {self._outcome}" + (f"; {decision}" if decision else "")
            self._on_event(_one_line(_redact(line, self._secrets), 2000))


# The public name of the credentials that sign a request (SigV4).
SigningCredentials = _SigningKeys


class SigninClient:
    """A client of the whole Sign-In API: one method per operation (botocore's
    snake_case names), each taking the operation's input class and returning
    its output class, and paginators for the two listing operations.

    Every operation goes through one pipeline: validate (the input class
    checks every rule of the model when built), serialize (rest-json: the
    body by wire names, the query of the model's ``requestUri``, each
    ``idempotencyToken`` member filled with a new UUID4 when absent and kept
    across the retries of that call), resolve the endpoint of the
    operation's family (:func:`resolve_endpoint`), sign (SigV4, service
    ``signin``, in ``region``, for all but the two ``noAuth`` token
    operations; ``CreateOAuth2Token`` carries its DPoP proof instead), send,
    parse, retry.

    ``region`` / ``endpoint_url`` are resolved by :func:`resolve_endpoint`.
    Every request has a ``timeout`` (seconds, for the whole exchange), TLS
    verification on (``ca_bundle``, else ``$AWS_CA_BUNDLE``, else the system
    store) and proxies from the standard environment variables.

    ``credentials`` sign the SigV4 operations: a :class:`SigningCredentials`,
    a callable returning one (asked once per call), or ``None`` to resolve
    them on first use from ``profile`` and the environment as botocore
    does.  They are never needed for ``CreateOAuth2Token``.

    Every call is retried up to ``max_attempts`` times on 429, 500, 502,
    503, 504 and transport errors (exponential backoff, full jitter,
    ``Retry-After`` up to 20 s; waits through ``sleep``), each attempt
    signed anew; a code redemption is never retried, nor is any other 4xx.
    When the server refuses a request as expired and its ``Date`` is more
    than 60 s from our clock, the call is retried once with the clock
    corrected; the offset stays in :attr:`clock_offset` and is reported
    through ``on_clock_skew``.

    ``on_event``, when given, is called with one line per HTTP attempt:
    method, URL, attempt number, status and request id (or the transport
    failure), elapsed time, and whether and why the call goes on.  The line
    is redacted of every secret and never holds a header or a body.

    The methods block; :meth:`call_async` and
    :meth:`create_oauth2_token_async` do the same on asyncio (the exchange
    in a worker thread, cancellable at once, never blocking the loop).
    """

    def __init__(
        self,
        region: str | None = None,
        *,
        endpoint_url: str | None = None,
        timeout: float = _DEFAULT_TIMEOUT,
        ca_bundle: str | None = None,
        max_attempts: int = _DEFAULT_MAX_ATTEMPTS,
        use_fips: bool = False,
        use_dualstack: bool = False,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_clock_skew: Callable[[float], None] | None = None,
        on_event: Callable[[str], None] | None = None,
        credentials: SigningCredentials | Callable[[], SigningCredentials] | None = None,
        profile: str | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        _require_type("timeout", timeout, (int, float))
        if not 0 < timeout <= 3600:
            raise ParamValidationError("timeout", "must be between 0 and 3600 seconds")
        _require_type("max_attempts", max_attempts, int)
        if not 1 <= max_attempts <= 10:
            raise ParamValidationError("max_attempts", "must be between 1 and 10")
        if credentials is not None and not callable(credentials):
            _require_type("credentials", credentials, SigningCredentials)
        self.endpoint = resolve_endpoint(
            region,
            endpoint_url=endpoint_url,
            use_fips=use_fips,
            use_dualstack=use_dualstack,
            environ=env,
        )
        self.token_url = self.endpoint + _TOKEN_PATH
        self.region = region or None
        self.timeout = float(timeout)
        self.ca_bundle = ca_bundle or env.get("AWS_CA_BUNDLE") or None
        self.max_attempts = max_attempts
        self.clock_offset = 0.0
        self._clock = clock
        self._sleep = sleep
        self._on_clock_skew = on_clock_skew
        self._on_event = on_event
        self._credentials = credentials
        self._profile = profile
        self._environ = env
        self._endpoint_args: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "use_fips": use_fips,
            "use_dualstack": use_dualstack,
            "environ": env,
        }
        self._endpoints: dict[tuple[bool, bool], str] = {(False, False): self.endpoint}

    def __repr__(self) -> str:
        return f"SigninClient(endpoint={self.endpoint!r})"

    def now(self) -> float:
        """The current time, corrected by any measured server clock offset."""
        return self._clock() + self.clock_offset

    # -- the operations -----------------------------------------------------

    def create_oauth2_token(
        self,
        request: CreateOAuth2TokenRequest,
        dpop_key: DPoPKey,
        *,
        body_format: str = "json",
    ) -> CreateOAuth2TokenResponse:
        """Call ``CreateOAuth2Token``: redeem a code or refresh a session.

        ``body_format`` is ``"json"`` (as the AWS tools send) or ``"form"``.
        Raises a :class:`ServiceError` subclass for an error status,
        :class:`TransportError`, or :class:`InvalidResponseError`.
        """
        out: CreateOAuth2TokenResponse = self._run(
            self._call(_OPERATIONS["CreateOAuth2Token"], request, dpop_key, body_format)
        )
        return out

    async def create_oauth2_token_async(
        self,
        request: CreateOAuth2TokenRequest,
        dpop_key: DPoPKey,
        *,
        body_format: str = "json",
    ) -> CreateOAuth2TokenResponse:
        """:meth:`create_oauth2_token` for asyncio: the same arguments, results,
        retries and errors, and the event loop is never blocked.  Cancelling
        the task (or a timeout around it) closes the connection in flight at
        once.  Retry waits use ``asyncio.sleep`` (or the client's ``sleep``, when
        one was given).
        """
        out: CreateOAuth2TokenResponse = await self._run_async(
            self._call(_OPERATIONS["CreateOAuth2Token"], request, dpop_key, body_format)
        )
        return out

    def batch_revoke_sessions(self, request: BatchRevokeSessionsInput) -> BatchRevokeSessionsOutput:
        """``BatchRevokeSessions``: end up to five sign-in sessions (control plane, SigV4)."""
        out: BatchRevokeSessionsOutput = self.call("BatchRevokeSessions", request)
        return out

    def create_bearer_token(self, request: CreateBearerTokenRequest) -> CreateBearerTokenResponse:
        """``CreateBearerToken``: a bearer token for the caller's IAM identity (OAuth host, SigV4)."""
        out: CreateBearerTokenResponse = self.call("CreateBearerToken", request)
        return out

    def create_oauth2_token_with_iam(
        self, request: CreateOAuth2TokenWithIAMRequest
    ) -> CreateOAuth2TokenWithIAMResponse:
        """``CreateOAuth2TokenWithIAM``: an OAuth access token for the caller (OAuth host, SigV4)."""
        out: CreateOAuth2TokenWithIAMResponse = self.call("CreateOAuth2TokenWithIAM", request)
        return out

    def create_oauth2_token_with_token_exchange(
        self, request: CreateOAuth2TokenWithTokenExchangeRequest
    ) -> CreateOAuth2TokenWithTokenExchangeResponse:
        """``CreateOAuth2TokenWithTokenExchange``: trade a token or assertion (OAuth host, unsigned)."""
        out: CreateOAuth2TokenWithTokenExchangeResponse = self.call(
            "CreateOAuth2TokenWithTokenExchange", request
        )
        return out

    create_o_auth2_token_with_token_exchange = create_oauth2_token_with_token_exchange  # botocore's spelling

    def delete_console_authorization_configuration(
        self, request: DeleteConsoleAuthorizationConfigurationInput
    ) -> DeleteConsoleAuthorizationConfigurationOutput:
        """``DeleteConsoleAuthorizationConfiguration`` (control plane, SigV4)."""
        out: DeleteConsoleAuthorizationConfigurationOutput = self.call(
            "DeleteConsoleAuthorizationConfiguration", request
        )
        return out

    def delete_resource_permission_statement(
        self, request: DeleteResourcePermissionStatementInput
    ) -> DeleteResourcePermissionStatementOutput:
        """``DeleteResourcePermissionStatement`` (control plane, SigV4, idempotent by client token)."""
        out: DeleteResourcePermissionStatementOutput = self.call("DeleteResourcePermissionStatement", request)
        return out

    def get_console_authorization_configuration(
        self, request: GetConsoleAuthorizationConfigurationInput
    ) -> GetConsoleAuthorizationConfigurationOutput:
        """``GetConsoleAuthorizationConfiguration`` (control plane, SigV4)."""
        out: GetConsoleAuthorizationConfigurationOutput = self.call(
            "GetConsoleAuthorizationConfiguration", request
        )
        return out

    def get_resource_policy(self, request: GetResourcePolicyInput) -> GetResourcePolicyOutput:
        """``GetResourcePolicy``: the sign-in resource-based policy (control plane, SigV4)."""
        out: GetResourcePolicyOutput = self.call("GetResourcePolicy", request)
        return out

    def get_session(self, request: GetSessionInput) -> GetSessionOutput:
        """``GetSession``: one sign-in session in full (control plane, SigV4)."""
        out: GetSessionOutput = self.call("GetSession", request)
        return out

    def introspect_oauth2_token_with_iam(
        self, request: IntrospectOAuth2TokenWithIAMRequest
    ) -> IntrospectOAuth2TokenWithIAMResponse:
        """``IntrospectOAuth2TokenWithIAM``: what a token is and whether it is active (OAuth host, SigV4)."""
        out: IntrospectOAuth2TokenWithIAMResponse = self.call("IntrospectOAuth2TokenWithIAM", request)
        return out

    def list_resource_permission_statements(
        self, request: ListResourcePermissionStatementsInput
    ) -> ListResourcePermissionStatementsOutput:
        """``ListResourcePermissionStatements``: one page (control plane, SigV4); see :meth:`pages`."""
        out: ListResourcePermissionStatementsOutput = self.call("ListResourcePermissionStatements", request)
        return out

    def list_sessions(self, request: ListSessionsInput) -> ListSessionsOutput:
        """``ListSessions``: one page of sign-in sessions (control plane, SigV4); see :meth:`pages`."""
        out: ListSessionsOutput = self.call("ListSessions", request)
        return out

    def put_console_authorization_configuration(
        self, request: PutConsoleAuthorizationConfigurationInput
    ) -> PutConsoleAuthorizationConfigurationOutput:
        """``PutConsoleAuthorizationConfiguration`` (control plane, SigV4)."""
        out: PutConsoleAuthorizationConfigurationOutput = self.call(
            "PutConsoleAuthorizationConfiguration", request
        )
        return out

    def put_resource_permission_statement(
        self, request: PutResourcePermissionStatementInput
    ) -> PutResourcePermissionStatementOutput:
        """``PutResourcePermissionStatement`` (control plane, SigV4, idempotent by client token)."""
        out: PutResourcePermissionStatementOutput = self.call("PutResourcePermissionStatement", request)
        return out

    def revoke_oauth2_token_with_iam(
        self, request: RevokeOAuth2TokenWithIAMRequest
    ) -> RevokeOAuth2TokenWithIAMResponse:
        """``RevokeOAuth2TokenWithIAM``: revoke a refresh token (OAuth host, SigV4)."""
        out: RevokeOAuth2TokenWithIAMResponse = self.call("RevokeOAuth2TokenWithIAM", request)
        return out

    # -- paginators ---------------------------------------------------------

    def list_sessions_pages(self, request: ListSessionsInput | None = None) -> Iterator[ListSessionsOutput]:
        """Every page of ``ListSessions``, from ``request`` (default: no filter) on."""
        return self.pages("ListSessions", ListSessionsInput() if request is None else request)

    def list_sessions_items(self, request: ListSessionsInput | None = None) -> Iterator[Session]:
        """Every session ``ListSessions`` lists, page after page."""
        for page in self.list_sessions_pages(request):
            yield from page.items

    def list_resource_permission_statements_pages(
        self, request: ListResourcePermissionStatementsInput | None = None
    ) -> Iterator[ListResourcePermissionStatementsOutput]:
        """Every page of ``ListResourcePermissionStatements``, from ``request`` on."""
        empty = ListResourcePermissionStatementsInput()
        return self.pages("ListResourcePermissionStatements", empty if request is None else request)

    def list_resource_permission_statements_items(
        self, request: ListResourcePermissionStatementsInput | None = None
    ) -> Iterator[PermissionStatementSummary]:
        """Every statement ``ListResourcePermissionStatements`` lists, page after page."""
        for page in self.list_resource_permission_statements_pages(request):
            yield from page.permission_statements

    def pages(self, operation: str, request: Any) -> Iterator[Any]:
        """Every page of a paginated ``operation`` (paginators-1.json), lazily:
        each page's ``nextToken`` goes into the next request until a page has
        none.  A token the service sends twice in a row raises
        :class:`InvalidResponseError` (as botocore), not an endless loop."""
        op = self._operation(operation)
        if op.paginator is None:
            raise ParamValidationError("operation", f"{op.name} is not paginated")
        input_token, output_token, _, _ = op.paginator
        _require_type("request", request, _model_class(op.input))
        return self._pages(op, request, input_token, output_token)

    def _pages(self, op: _Operation, request: Any, input_token: str, output_token: str) -> Iterator[Any]:
        seen = getattr(request, input_token)
        while True:
            page = self.call(op.name, request)
            yield page
            token = getattr(page, output_token)
            if not token:
                return
            if token == seen:
                raise InvalidResponseError(f"{op.name} sent the same next token twice in a row")
            seen = token
            request = dataclasses.replace(request, **{input_token: token})

    # -- the pipeline -------------------------------------------------------

    def call(self, operation: str, request: Any) -> Any:
        """Call ``operation`` (the model's name, botocore's snake_case name or
        the AWS CLI's kebab-case name) with ``request``, an instance of its
        input class; returns its output class.  ``CreateOAuth2Token`` needs
        :meth:`create_oauth2_token` (it takes a DPoP key)."""
        return self._run(self._call(self._operation(operation), request, None, "json"))

    async def call_async(self, operation: str, request: Any) -> Any:
        """:meth:`call` for asyncio (cancellable at once, never blocking the loop)."""
        return await self._run_async(self._call(self._operation(operation), request, None, "json"))

    def _first_request(self, operation: str, request: Any, dpop_key: DPoPKey | None = None) -> _Post:
        """The first HTTP request of a call, serialized and signed, without sending
        it (for ``--dry-run``): its ``url``, ``headers``, ``body`` and ``secrets``.
        ``CreateOAuth2Token`` takes its ``dpop_key``."""
        call = self._call(self._operation(operation), request, dpop_key, "json")
        try:
            step = next(call)
        finally:
            call.close()
        assert isinstance(step, _Post)
        return step

    @staticmethod
    def _operation(name: str) -> _Operation:
        _require_type("operation", name, str)
        op = _OPERATIONS.get(name) or next(
            (o for o in _OPERATIONS.values() if name in (o.python_name, o.cli_name)), None
        )
        if op is None:
            raise ParamValidationError("operation", f"{name!r} is not an operation of {SERVICE_ID}")
        return op

    def _url(self, op: _Operation) -> str:
        """The operation's URL: its family's endpoint, then the model's path and query."""
        family = (bool(op.context.get("IsControlPlane")), bool(op.context.get("IsOAuthEndpoint")))
        base = self._endpoints.get(family)
        if base is None:
            base = self._endpoints[family] = resolve_endpoint(
                self.region, **self._endpoint_args, is_control_plane=family[0], is_oauth_endpoint=family[1]
            )
        return base + op.path + (f"?{op.query}" if op.query else "")

    def _signing(self, op: _Operation) -> SigningCredentials:
        """The credentials and region that sign ``op``; errors before any I/O."""
        if not self.region:
            raise ParamValidationError(
                "region",
                f"is required to sign {op.name} (SigV4): set --region, AWS_REGION or a profile region",
            )
        given = self._credentials
        if given is None:
            keys = _signing_keys(
                self._profile,
                self._environ,
                clock=self._clock,
                region=self.region,
                endpoint_url=self._endpoint_args["endpoint_url"],
                timeout=self.timeout,
            )
        else:
            keys = given() if callable(given) else given
        _require_type("credentials", keys, SigningCredentials)
        return keys

    def _run(self, call: Generator[_Post | _Sleep, _Response | None, Any]) -> Any:
        """The blocking driver of :meth:`_call`."""
        response: _Response | None = None
        error: TransportError | None = None
        while True:
            try:
                step = call.send(response) if error is None else call.throw(error)
            except StopIteration as done:
                return done.value
            response = error = None
            if isinstance(step, _Sleep):
                self._sleep(step.seconds)
                continue
            try:
                response = _http_post(
                    step.url,
                    step.body,
                    step.headers,
                    timeout=self.timeout,
                    ca_bundle=self.ca_bundle,
                    secrets_=step.secrets,
                )
            except TransportError as exc:
                error = exc  # thrown in above, outside this block

    async def _run_async(self, call: Generator[_Post | _Sleep, _Response | None, Any]) -> Any:
        """The asyncio driver of :meth:`_call`: each exchange in a worker thread
        (:func:`_http_post_async`), waits through ``asyncio.sleep``."""
        import asyncio

        try:
            response: _Response | None = None
            error: TransportError | None = None
            while True:
                try:
                    step = call.send(response) if error is None else call.throw(error)
                except StopIteration as done:
                    return done.value
                response = error = None
                if isinstance(step, _Sleep):
                    if self._sleep is time.sleep:
                        await asyncio.sleep(step.seconds)
                    else:  # a sleep given to the client (one that records, in tests) is used as given
                        self._sleep(step.seconds)
                    continue
                try:
                    response = await _http_post_async(
                        step.url,
                        step.body,
                        step.headers,
                        timeout=self.timeout,
                        ca_bundle=self.ca_bundle,
                        secrets_=step.secrets,
                    )
                except TransportError as exc:
                    error = exc
        finally:
            call.close()

    def _call(
        self, op: _Operation, request: Any, dpop_key: DPoPKey | None, body_format: str
    ) -> Generator[_Post | _Sleep, _Response | None, Any]:
        """The call without I/O, run by both drivers: yields each :class:`_Post`
        (receiving its response, or its :class:`TransportError` thrown in) and
        each :class:`_Sleep`; returns the parsed response or raises.  Every
        check runs before the first yield.  Each attempt is signed anew (a
        new DPoP proof, a new SigV4 signature); retries on 429, 5xx and
        transport errors (never a code redemption); one clock-skew retry;
        redirects refused; outside text redacted."""
        _require_type(
            "request",
            request,
            _model_class(op.input) if op.name != "CreateOAuth2Token" else CreateOAuth2TokenRequest,
        )
        url = self._url(op)
        retryable = True
        if op.name == "CreateOAuth2Token":
            _require_type("dpop_key", dpop_key, DPoPKey)
            body = request.token_input
            if body_format == "json":
                payload = json.dumps(body.to_dict()).encode("utf-8")
                content_type = "application/json"
            elif body_format == "form":
                payload = "&".join(f"{k}={_quote(v)}" for k, v in body.to_form().items()).encode("ascii")
                content_type = "application/x-www-form-urlencoded"
            else:
                raise ParamValidationError("body_format", "must be json or form")
            request_secrets: tuple[str | None, ...] = (body.refresh_token, body.code, body.code_verifier)
            retryable = body.grant_type == "refresh_token"
        else:
            filled = {attr: _uuid4() for attr in op.idempotency if getattr(request, attr) is None}
            if filled:  # one token for every attempt of this call, as botocore
                request = dataclasses.replace(request, **filled)
            payload = json.dumps(request.to_dict()).encode("utf-8")
            content_type = "application/json"
            request_secrets = tuple(_sensitive_values(request))
        keys = self._signing(op) if op.auth == "sigv4" else None
        _note_secrets(*request_secrets)
        attempts = self.max_attempts if retryable else 1
        last_words = "code redemptions are never retried" if not retryable else "last attempt"
        attempt = 0
        skew_retried = False
        while True:
            attempt += 1
            headers = {"Content-Type": content_type, "Accept": "application/json", "User-Agent": _USER_AGENT}
            secrets_ = request_secrets
            if dpop_key is not None:
                proof = dpop_key.proof(url, iat=int(self.now()))
                headers["DPoP"] = proof
                secrets_ = (*secrets_, proof)
            if keys is not None:
                assert self.region is not None  # checked by _signing
                headers.update(_sigv4_headers("POST", url, headers, payload, keys, self.region, self.now()))
                secrets_ = (*secrets_, keys.secret_access_key, keys.session_token)
            label = f"{url} attempt {attempt}/{attempts}"
            if skew_retried:
                label += " (clock corrected)"
            report = _Attempt(self._on_event, label, secrets_)
            try:
                response = yield _Post(url, payload, headers, secrets_)
            except TransportError as exc:
                report.failed(exc)
                if attempt >= attempts:
                    report.done(f"not retried: {last_words}")
                    exc.attempts = attempt
                    raise
                response = None
            if response is None:  # a transport error: back off, then a new attempt
                wait = self._backoff(attempt)
                report.done(f"retrying in {wait:.3f} s (backoff with jitter)")
                yield _Sleep(wait)
                continue
            report.answered(response)
            if response.status == 200:
                report.done(None)
                if op.name == "CreateOAuth2Token":
                    return self._parse(response, secrets_)
                return _parse_output(op, response, secrets_)
            if 300 <= response.status < 400:
                report.done("not retried: redirects are never followed")
                raise InvalidResponseError(
                    f"the {'token ' if op.name == 'CreateOAuth2Token' else op.name + ' '}endpoint answered "
                    f"HTTP {response.status} (a redirect); redirects are never followed",
                    response.status,
                )
            error = _service_error(response, secrets_)
            error.attempts = attempt
            if not skew_retried and self._measure_skew(response, error):
                report.done(
                    f"clock-skew retry: the server's Date is {self.clock_offset:+.0f} s from this "
                    f"clock; retrying at once with {'iat' if dpop_key else 'the time'} corrected "
                    "by that offset"
                )
                skew_retried = True
                attempt -= 1  # a corrected request, not a repeat of the same one
                continue
            transient = response.status in _RETRYABLE_STATUSES
            if not transient:
                report.done(f"not retried: HTTP {response.status} is not a retryable status")
                raise error
            if attempt >= attempts:
                report.done(f"not retried: {last_words}")
                raise error
            after = _retry_after(response)
            wait = self._backoff(attempt) if after is None else after
            if wait > _BACKOFF_CAP:  # the server asks for longer than we will block
                report.done(
                    f"not retried: Retry-After asks for {wait:.0f} s, over the {_BACKOFF_CAP:g} s cap, "
                    "so not waiting"
                )
                raise error
            why = "Retry-After honoured" if after is not None else "retryable status; backoff with jitter"
            report.done(f"retrying in {wait:.3f} s ({why})")
            yield _Sleep(wait)

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]."""
        import secrets

        return secrets.SystemRandom().uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (attempt - 1)))

    def _measure_skew(self, response: _Response, error: ServiceError) -> bool:
        """True when the refusal looks like an expiry caused by our clock being off."""
        if not isinstance(error, (AccessDeniedException, ValidationException)):
            return False
        text = f"{error.error} {error.message}".lower()
        if "expired" not in text and "iat" not in text and "time" not in text:
            return False
        server = _http_date(response.headers.get("date", ""))
        if server is None:
            return False
        offset = server - self._clock()
        if abs(offset) <= _CLOCK_SKEW_TOLERANCE:
            return False
        self.clock_offset = offset
        if self._on_clock_skew is not None:
            self._on_clock_skew(offset)
        return True

    @staticmethod
    def _parse(response: _Response, secrets_: Sequence[str | None] = ()) -> CreateOAuth2TokenResponse:
        """The token response; its secrets are noted.  :class:`InvalidResponseError`
        (redacted, and of the response's own secrets too) when it is malformed."""
        data: dict[str, Any] = {}
        failure: ValueError | TypeError
        try:
            data = _load_json_object(response.body, "token response")
            out = CreateOAuth2TokenResponse(CreateOAuth2TokenResponseBody.from_dict(data))
        except (ValueError, TypeError) as exc:  # ParamValidationError is a ValueError
            failure = exc  # raised below, outside this block: never as anyone's __context__
        else:
            got = out.token_output
            _note_secrets(
                got.refresh_token,
                got.id_token,
                got.access_token.secret_access_key,
                got.access_token.session_token,
            )
            return out
        known = (*secrets_, *_response_secrets(data))
        raise InvalidResponseError(
            f"malformed token response: {_one_line(_redact(str(failure), known))}", response.status
        ) from _stand_in(failure, known)


def _sensitive_values(model: _Model) -> list[str]:
    """The values of a structure's sensitive members (to redact from outside text)."""
    return [
        value
        for attr, _, _, _, _, sensitive in _MEMBERS[_shape_of(type(model))]
        if sensitive and isinstance(value := getattr(model, attr), str)
    ]


def _parse_output(op: _Operation, response: _Response, secrets_: Sequence[str | None]) -> Any:
    """The output class of ``op`` from a 200 response (an empty body is ``{}``);
    its sensitive values are noted.  :class:`InvalidResponseError` (redacted)
    when it is malformed.  Liberal as botocore: unknown members are ignored."""
    data: dict[str, Any] = {}
    failure: ValueError | TypeError
    try:
        if response.body.strip():
            data = _load_json_object(response.body, f"{op.name} response")
        out = _model_class(op.output).from_dict(data)
    except (ValueError, TypeError) as exc:  # ParamValidationError is a ValueError
        failure = exc  # raised below, outside this block: never as anyone's __context__
    else:
        _note_secrets(*_sensitive_values(out))
        return out
    wire = {w for _, _, w, _, _, sensitive in _MEMBERS[op.output] if sensitive}
    known = (*secrets_, *(v for k, v in data.items() if k in wire and isinstance(v, str)))
    raise InvalidResponseError(
        f"malformed {op.name} response: {_one_line(_redact(str(failure), known))}", response.status
    ) from _stand_in(failure, known)


def _response_secrets(data: Mapping[str, Any]) -> list[str]:
    """The secret-looking strings of a token response, well formed or not."""
    found = [data.get(name) for name in ("refreshToken", "refresh_token", "idToken", "id_token")]
    token = data.get("accessToken", data.get("access_token"))
    if isinstance(token, dict):
        found += [token.get(name) for name in ("secretAccessKey", "secret_access_key")]
        found += [token.get(name) for name in ("sessionToken", "session_token")]
    return [value for value in found if isinstance(value, str)]


_USER_AGENT: Final = (
    f"signin-token/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"
    f".{sys.version_info[2]} {sys.platform}"
)


# --------------------------------------------------------------------------
# Login flows (PROTOCOL.md §3-4, §8)
# --------------------------------------------------------------------------

_ARN_RE: Final = r"arn:aws[a-z-]*:(?:iam|sts)::\d{12}:[\x21-\x7e]{1,1900}"
_CALLBACK_WAIT: Final = 600.0  # seconds the AWS CLI waits for the browser
_PASTE_TRIES: Final = 3  # pasted codes read before the cross-device sign-in gives up
_PAGE: Final = (
    "<!doctype html><html><head><meta charset=utf-8><title>AWS sign-in</title></head>"
    "<body style='font-family:sans-serif;margin:3em'><h1>{title}</h1><p>{text}</p></body></html>"
)


def _id_token_claims(id_token: str) -> dict[str, Any]:
    """The payload of a JWT, decoded without verifying it (PROTOCOL.md §8)."""
    _require_type("idToken", id_token, str)
    parts = id_token.split(".")
    if len(parts) != 3:
        raise InvalidResponseError("idToken is not a JWT (header.payload.signature)")
    try:
        return _load_json_object(_b64url_decode(parts[1], "idToken payload"), "idToken payload")
    except (ValueError, InvalidKeyError) as exc:
        raise InvalidResponseError(f"idToken payload is unreadable: {exc}") from exc


def _session_from_id_token(id_token: str) -> tuple[str, str]:
    """(login_session, account id) from the idToken's ``sub`` claim."""
    sub = _id_token_claims(id_token).get("sub")
    if not isinstance(sub, str) or re.fullmatch(_ARN_RE, sub) is None:
        raise InvalidResponseError("idToken sub claim is not an IAM or STS ARN")
    return sub, sub.split(":")[4]


def _decode_remote_code(pasted: str, state: str) -> str:
    """The authorization code from the text the confirmation page shows (§4).

    It is standard base64 of ``state=...&code=...``; the state must match.
    """
    import urllib.parse

    text = "".join(pasted.split())
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode("utf-8")
        query = urllib.parse.parse_qs(raw, strict_parsing=True, max_num_fields=10)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ParamValidationError("code", "the pasted text is not a sign-in code") from exc
    codes, states = query.get("code", []), query.get("state", [])
    if len(codes) != 1 or len(states) != 1:
        raise ParamValidationError("code", "the pasted text is not a sign-in code")
    import hmac

    if not hmac.compare_digest(states[0].encode("utf-8"), state.encode("utf-8")):
        raise ParamValidationError("state", "does not match this login; paste the code of this login")
    return codes[0]


def _read_pasted_code(inp: TextIO, err: TextIO, state: str) -> str:
    """Prompt for the pasted code; a typo gets another try (three in all), end of
    input (Ctrl-D) cancels like Ctrl-C.  Messages start on a line of their own."""
    for tries_left in range(_PASTE_TRIES - 1, -1, -1):
        err.write("Code: ")
        err.flush()
        line = inp.readline()
        if not _is_terminal(inp) or not line:
            err.write("\n")  # no echoed newline to end the prompt's line
        if not line:
            raise KeyboardInterrupt
        try:
            return _decode_remote_code(line, state)
        except ParamValidationError as exc:
            if not tries_left:
                raise
            plural = "ies" if tries_left > 1 else "y"
            err.write(f"That is not the code of this sign-in ({exc.rule}); {tries_left} more tr{plural}.\n")
    raise AssertionError("unreachable")  # pragma: no cover


def _host_check(host: str, port: int) -> Callable[[Sequence[str]], bool]:
    """Whether a request's ``Host`` fields name the listener on ``host``:``port``.

    A page on another name that was rebound to this address (DNS rebinding)
    sends that name, and is refused.  Accepted: exactly one field holding
    ``host:port`` (IPv6 in brackets), ``localhost:port`` too when ``host`` is
    loopback or a wildcard, and any IP address with the port when ``host`` is a
    wildcard (``0.0.0.0``, ``::``: the user allowed every address); the bare name too
    when the port is 80 (RFC 9110 §7.2).  Case and surrounding blanks do not matter.
    """
    import ipaddress

    bare = host.strip("[]").lower()
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(bare)
    except ValueError:
        address = None
    names = {bare}
    if address is not None:
        names.add(address.compressed)
    names = {f"[{name}]" if ":" in name else name for name in names}
    wildcard = address is not None and address.is_unspecified
    if bare == "localhost" or wildcard or (address is not None and address.is_loopback):
        names.add("localhost")
    allowed = frozenset([f"{name}:{port}" for name in names] + (sorted(names) if port == 80 else []))

    def check(fields: Sequence[str]) -> bool:
        if len(fields) != 1:
            return False
        value = fields[0].strip(" \t").lower()
        if value in allowed:
            return True
        if not wildcard:
            return False
        bracketed = value.startswith("[")
        name, _, rest = value[1:].partition("]") if bracketed else value.partition(":")
        if rest != (f":{port}" if bracketed else str(port)) and not (rest == "" and port == 80):
            return False
        try:
            return ipaddress.ip_address(name).version == (6 if bracketed else 4)
        except ValueError:
            return False

    return check


class _CallbackServer:
    """The loopback listener for the same-device redirect (127.0.0.1 only).

    Threaded, so slow or junk connections cannot hold up the real callback.
    Only requests whose ``Host`` is this listener (``127.0.0.1:PORT`` or
    ``localhost:PORT``) are answered, so a page on another name that was
    rebound to 127.0.0.1 gets nothing; anything else is a 400 that does not
    end the wait.  ``GET /oauth/callback`` with the expected state and a code
    ends it, and so does an ``error`` without a state or with the expected
    one (as in the AWS CLI): the error is shown, but only a code with the
    right state is ever redeemed.
    """

    def __init__(self, state: str, port: int = 0) -> None:
        import hmac
        import http.server
        import threading
        import urllib.parse

        self.result: dict[str, str] | None = None
        self._done = threading.Event()
        self._host_ok: Callable[[Sequence[str]], bool] = lambda fields: False
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 10  # per connection: a silent client is dropped

            def do_GET(self) -> None:
                if not outer._host_ok(self.headers.get_all("Host") or []):
                    self._answer(400, "Bad request", "This is the AWS sign-in callback.")
                    return
                path, _, query = self.path.partition("?")
                if path != _CALLBACK_PATH or outer._done.is_set():
                    self._answer(404, "Not found", "This is the AWS sign-in callback.")
                    return
                try:
                    params = urllib.parse.parse_qs(query, strict_parsing=True, max_num_fields=20)
                except ValueError:
                    params = {}
                states = params.get("state", [])
                matches = len(states) == 1 and hmac.compare_digest(
                    states[0].encode("utf-8"), state.encode("utf-8")
                )
                if "error" in params and (matches or not any(states)):
                    # The text is the network's: never a code or the state, one bounded line.
                    hide = [state, *params.get("code", [])]
                    error = _one_line(_redact(params["error"][0], hide), 100)
                    text = _one_line(_redact(params.get("error_description", [""])[0], hide), 300)
                    outer.result = {"error": error, "error_description": text}
                    self._answer(400, "Sign-in failed", f"{error}: {text}")
                elif not matches:
                    self._answer(400, "Sign-in failed", "This response does not belong to this login.")
                    return
                elif len(params.get("code", [])) == 1 and params["code"][0]:
                    outer.result = {"code": params["code"][0]}
                    self._answer(200, "Signed in", "You can close this tab and return to the terminal.")
                else:
                    self._answer(400, "Sign-in failed", "The response carried no code.")
                    return
                outer._done.set()

            def _answer(self, status: int, title: str, text: str) -> None:
                import html

                page = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # the query holds the code: never log requests

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            # POSIX SO_REUSEADDR only skips TIME_WAIT (a fixed --redirect-port can be
            # reused at once); on Windows it would let another process steal the port.
            allow_reuse_address = sys.platform != "win32"
            request_queue_size = 128  # browsers preconnect; a burst must not be reset

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a tab closed mid-answer is not worth a traceback on the terminal

        try:
            self._server = Server(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise ConfigError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
        self.port: int = self._server.server_address[1]
        self._host_ok = _host_check("127.0.0.1", self.port)  # what a browser sends for the redirect URI
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        """The exact redirect URI, sent again in the token request."""
        return f"http://127.0.0.1:{self.port}{_CALLBACK_PATH}"

    def wait(self, timeout: float) -> dict[str, str] | None:
        """The callback's parameters, or ``None`` when ``timeout`` passes first."""
        deadline = time.monotonic() + timeout
        # Short waits keep Ctrl-C responsive; none goes past the deadline.
        while not self._done.wait(min(0.2, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                return None
        return self.result

    def close(self) -> None:
        """Stop listening; safe to call more than once."""
        self._server.shutdown()
        self._server.server_close()


# --------------------------------------------------------------------------
# Cache and config files shared with the AWS CLI and SDKs (PROTOCOL.md §9-10)
# --------------------------------------------------------------------------

_REFRESH_WINDOW: Final = 300  # refresh when this many seconds or fewer remain
_LOCK_WAIT: Final = 120.0  # seconds to wait for another process's refresh
# The AWS CLI v2 and the JS SDK rewrite an entry in place: a reader can catch
# it half-written, so an entry that does not parse is re-read for this long.
_TORN_READ_WAIT: Final = 1.0
_CACHE_REQUIRED: Final = ("accessToken", "refreshToken", "dpopKey", "clientId")
# Settings that give a profile another style of credentials, in the order the
# AWS CLI checks them, with the name it gives that style.
_OTHER_CREDENTIALS: Final = (
    ("web_identity_token_file", "Web Identity"),
    ("sso_role_name", "SSO"),
    ("sso_account_id", "SSO"),
    ("aws_access_key_id", "Access Key"),
    ("role_arn", "Assume Role"),
    ("credential_process", "Credential Process"),
)
_TIMESTAMP_RE: Final = (
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d\d):?(\d\d))?"
)
_SECTION_RE: Final = r"\[\s*([^\]]*?)\s*\]\s*(?:[#;].*)?"
_KEY_RE: Final = r"([^\s=:#;\[][^=:]*?)\s*[=:]\s*(.*)"  # configparser's delimiters: = and :
# A profile name the config file holds unambiguously and every AWS tool reads
# back: no white space, brackets, quotes or backslash (botocore splits section
# names with shlex), nothing unprintable.
_PROFILE_RE: Final = r"[^\s\[\]'\"\\]+"
_O_NOFOLLOW: Final[int] = getattr(os, "O_NOFOLLOW", 0)
_O_EXTRA: Final[int] = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
_TEMP_RE: Final = r"\.[0-9a-f]{12}\.tmp"  # what follows a file's name in its temp files' names
_MAX_CONFIG_BYTES: Final = 4 << 20  # config and shared credentials files; generated ones stay far below
_MAX_LINKS: Final = 40  # links in a chain followed at most (Linux's own limit)


def _parse_timestamp(value: object, field: str) -> datetime.datetime:
    """An ISO 8601 timestamp as written by any SDK (Z, offsets, fractions) in UTC."""
    if not isinstance(value, str):
        raise ValueError(f"{field} is not a timestamp string")
    m = re.fullmatch(_TIMESTAMP_RE, value.strip())
    if m is None:
        raise ValueError(f"{field} is not an ISO 8601 timestamp")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micro = int((m.group(7) or "0").ljust(6, "0")[:6])
    try:
        tz = datetime.timezone.utc
        if m.group(9):
            delta = datetime.timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
            tz = datetime.timezone(-delta if m.group(9) == "-" else delta)
        stamp = datetime.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
        return stamp.astimezone(datetime.timezone.utc)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{field} is not a valid date and time") from exc


def _format_timestamp(stamp: datetime.datetime) -> str:
    """The AWS CLI's cache format: UTC, whole seconds, ``Z``."""
    return stamp.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _expand(path: str) -> str:
    return os.path.expanduser(os.path.expandvars(path))


# In a child of ``exec``, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name the
# child's own files (no credentials); these name the user's, for this program.
_EXEC_CONFIG_FILE: Final = "SIGNIN_TOKEN_CONFIG_FILE"
_EXEC_CREDENTIALS_FILE: Final = "SIGNIN_TOKEN_SHARED_CREDENTIALS_FILE"


def _config_path(environ: Mapping[str, str]) -> str:
    configured = environ.get(_EXEC_CONFIG_FILE) or environ.get("AWS_CONFIG_FILE")
    return _expand(configured or os.path.join("~", ".aws", "config"))


def _credentials_path(environ: Mapping[str, str]) -> str:
    default = os.path.join("~", ".aws", "credentials")
    configured = environ.get(_EXEC_CREDENTIALS_FILE)
    return _expand(configured or environ.get("AWS_SHARED_CREDENTIALS_FILE") or default)


def _cache_dir(environ: Mapping[str, str]) -> str:
    configured = environ.get("AWS_LOGIN_CACHE_DIRECTORY")
    return _expand(configured) if configured else _expand(os.path.join("~", ".aws", "login", "cache"))


def _cache_path(cache_dir: str, login_session: str) -> str:
    name = hashlib.sha256(login_session.encode("utf-8")).hexdigest()
    return os.path.join(cache_dir, name + ".json")


def _check_profile_name(name: object, field: str) -> str:
    """A profile name the config file can hold unambiguously, else exit 2."""
    if not isinstance(name, str):
        raise TypeError(f"{field} must be str, not {type(name).__name__}")
    if not name:
        raise ParamValidationError(field, "must not be empty")
    if any("\ud800" <= c <= "\udfff" for c in name):
        raise ParamValidationError(field, "is not valid UTF-8")
    if re.fullmatch(_PROFILE_RE, name) is None or not name.isprintable():
        raise ParamValidationError(
            field,
            "must be a profile name without white space, brackets, quotes, backslashes or control "
            "characters (the AWS config file cannot hold it unambiguously)",
        )
    return name


class _ConfigFile:
    """The AWS config (or shared credentials) file as lines, each kept with its
    own line ending, edited in place so that every other byte stays exactly as
    it was.  A new key goes where the AWS CLI puts it: after the section's last
    option line; a new section is appended at the end."""

    def __init__(self, path: str, what: str = "config file") -> None:
        self.path = path
        try:
            raw = _read_checked(path, what, limit=_MAX_CONFIG_BYTES)
        except FileNotFoundError:
            raw = b""
        except OSError as exc:
            raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
        self.bom = raw.startswith(b"\xef\xbb\xbf")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{what} {path} is not UTF-8") from exc
        self.newline = "\r\n" if "\r\n" in text else "\n"
        # Split where configparser (and so every AWS tool) does: \r\n, \r, \n only.
        self.lines: list[str] = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)
        self._index()

    @staticmethod
    def _match(pattern: str, line: str) -> re.Match[str] | None:
        """The match of a top-level (not indented) line, its ending and spaces stripped."""
        return None if line[:1] in (" ", "\t") else re.fullmatch(pattern, line.strip())

    def _index(self) -> None:
        """One pass over the lines: each section name (white space collapsed)
        to the (header index, end index) of its first section, in file order.
        Every lookup reads this index, so that a config with thousands of
        profiles is parsed once, not once per profile; :meth:`set` rebuilds it."""
        self._spans: dict[str, tuple[int, int]] = {}
        start, name = -1, ""
        for i, line in enumerate(self.lines):
            m = self._match(_SECTION_RE, line) if "[" in line else None  # most lines hold none
            if m is None:
                continue
            if start >= 0:
                self._spans.setdefault(name, (start, i))
            start, name = i, " ".join(m.group(1).split())
        if start >= 0:
            self._spans.setdefault(name, (start, len(self.lines)))

    def _find(self, names: tuple[str, ...]) -> tuple[int, int] | None:
        """(header index, end index) of the first section named one of ``names``."""
        spans = [self._spans[n] for n in names if n in self._spans]
        return min(spans) if spans else None

    @staticmethod
    def _names(profile: str) -> tuple[str, ...]:
        return ("default", "profile default") if profile == "default" else (f"profile {profile}",)

    def section(self, *names: str) -> dict[str, Any] | None:
        """A section's options (a nested block, such as ``signin =`` followed by
        indented ``key = value`` lines, as a dict), or ``None`` when absent."""
        span = self._find(names)
        if span is None:
            return None
        values: dict[str, Any] = {}
        nested: dict[str, str] | None = None
        for line in self.lines[span[0] + 1 : span[1]]:
            m = self._match(_KEY_RE, line)
            if m is not None:
                key, value = m.group(1).strip(), m.group(2).strip()
                nested = {} if not value else None
                values[key] = value if nested is None else nested
            elif nested is not None and line.strip() and not line.lstrip().startswith(("#", ";")):
                sub = re.fullmatch(_KEY_RE, line.strip())
                if sub is not None:
                    nested[sub.group(1).strip()] = sub.group(2).strip()
        return {k: ("" if isinstance(v, dict) and not v else v) for k, v in values.items()}

    def profile(self, profile: str) -> dict[str, str] | None:
        """The profile's top-level string options, or ``None`` when there is no such section."""
        values = self.section(*self._names(profile))
        return None if values is None else {k: v for k, v in values.items() if isinstance(v, str)}

    def profiles(self) -> dict[str, dict[str, str]]:
        """Every profile section by profile name (``[default]`` and ``[profile NAME]``)."""
        found: dict[str, dict[str, str]] = {}
        for header in self._spans:  # in file order
            name = "default" if header == "default" else header[8:] if header.startswith("profile ") else None
            if name and name not in found:
                found[name] = self.profile(name) or {}
        return found

    def set(self, profile: str, key: str, value: str) -> None:
        """Set ``key = value`` in the profile's section, creating it if needed."""
        line = f"{key} = {value}{self.newline}"
        span = self._find(self._names(profile))
        if span is None:  # appended as the AWS CLI does: no blank line added
            self._end_last_line()
            header = "default" if profile == "default" else f"profile {profile}"
            self.lines += [f"[{header}]{self.newline}", line]
            self._index()
            return
        start, end = span
        found = False
        last_option = start
        in_option = False
        for i in range(start + 1, end):  # every occurrence: readers differ on which one wins
            text = self.lines[i]
            m = self._match(_KEY_RE, text)
            if m is not None:
                last_option, in_option = i, True
                if m.group(1).strip() == key:
                    ending = text[len(text.rstrip("\r\n")) :]
                    self.lines[i] = f"{key} = {value}{ending or self.newline}"
                    found = True
            elif in_option and text[:1] in (" ", "\t") and text.strip():
                last_option = i  # a nested or continued value belongs to its option
            elif text.strip():
                in_option = False  # a comment
        if found:
            return  # lines replaced in place: the index still holds
        if last_option == len(self.lines) - 1:
            self._end_last_line()
        self.lines.insert(last_option + 1, line)
        self._index()

    def _end_last_line(self) -> None:
        if self.lines and not self.lines[-1].endswith(("\n", "\r")):
            self.lines[-1] += self.newline

    def check_writable(self) -> None:
        """Refuse, before anything is done, a config file that cannot be replaced."""
        target = os.path.realpath(self.path)
        try:
            st = os.stat(target)
        except FileNotFoundError:
            parent = os.path.dirname(target)
            while parent and not os.path.isdir(parent):
                parent = os.path.dirname(parent)
            if parent and not os.access(parent, os.W_OK):
                raise ConfigError(
                    f"cannot create config file {self.path}: {parent} is not writable"
                ) from None
            return
        import stat

        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"config file {self.path} is not a regular file; set AWS_CONFIG_FILE to a file")
        if not st.st_mode & stat.S_IWUSR:
            raise ConfigError(
                f"config file {self.path} is read-only (mode {st.st_mode & 0o777:04o}); "
                f"make it writable (chmod u+w {_sh_quote(target)}) or set AWS_CONFIG_FILE to another file"
            )
        if not os.access(os.path.dirname(target) or ".", os.W_OK):
            raise ConfigError(f"cannot update config file {self.path}: its directory is not writable")

    def save(self) -> None:
        """Write the file atomically, keeping its mode (new files: 0600) and BOM."""
        data = ("\ufeff" if self.bom else "") + "".join(self.lines)
        target = os.path.realpath(self.path)
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o600
            _make_private_dir(os.path.dirname(target))
        _atomic_write(target, data.encode("utf-8"), mode)


def _owner_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def _check_ownership(path: str, st: os.stat_result, what: str, *, root_ok: bool, link: bool = False) -> None:
    """StrictModes: refuse what another user owns or can write (POSIX only).
    A symbolic link (``link``, its ``lstat``) is judged by its owner alone:
    only the owner of a link (or of its directory) can change it."""
    if os.name != "posix":
        return
    uid = os.geteuid()
    if st.st_uid != uid and not (root_ok and st.st_uid == 0):
        what = f"{what} (a symbolic link)" if link else what
        raise UnsafeFileError(
            f"{what} {path} is owned by {_owner_name(st.st_uid)}, not by you: refusing to use it "
            f"(fix: chown {'-h ' if link else ''}{_owner_name(uid)} {_sh_quote(path)})"
        )
    if st.st_mode & 0o022 and not link:
        mode = "700" if os.path.isdir(path) else "600"
        raise UnsafeFileError(
            f"{what} {path} can be written by other users (mode {st.st_mode & 0o777:04o}): refusing "
            f"to use it (fix: chmod {mode} {_sh_quote(path)})"
        )


def _check_private_dir(path: str) -> None:
    """The cache directory (a link to it is fine) must be ours and not writable by others."""
    import stat

    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeFileError(f"cache directory {path} is not a directory")
    _check_ownership(path, st, "cache directory", root_ok=True)


def _make_private_dir(path: str) -> None:
    """Create a directory (and parents) as 0700 when it does not exist."""
    if path and not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)


def _open_no_follow(path: str, flags: int, what: str, mode: int = 0o600) -> int:
    """``os.open`` that never follows a link at ``path`` itself."""
    try:
        return os.open(path, flags | _O_NOFOLLOW | _O_EXTRA, mode)
    except OSError:
        if os.path.islink(path):
            raise UnsafeFileError(
                f"{what} {path} is a symbolic link: refusing to follow it (remove it: rm {_sh_quote(path)})"
            ) from None
        raise


def _file_kind(mode: int) -> str:
    """What a file that is not a regular one is, for an error message."""
    import stat

    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return kind
    return "a special file"


def _size_text(size: int) -> str:
    """A byte count as people say it: 4 MiB, 64 KiB, 4096 bytes."""
    for shift, unit in ((20, "MiB"), (10, "KiB")):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} bytes"


class _TooLargeError(UnsafeFileError):
    """A file past the size bound of what it is (see :func:`_read_checked`)."""


def _user_link_target(path: str, what: str) -> str:
    """Where the links at ``path`` lead (``path`` itself when it is none),
    followed only while each one is the user's (or root's) choice: a link
    another user made is refused, as is a chain longer than 40 links."""
    import stat

    current = path
    for _ in range(_MAX_LINKS):
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return current
        if not stat.S_ISLNK(info.st_mode):
            return current
        _check_ownership(current, info, what, root_ok=True, link=True)
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    raise UnsafeFileError(f"{what} {path} is a chain of more than {_MAX_LINKS} symbolic links")


def _read_checked(
    path: str,
    what: str,
    *,
    limit: int,
    links: bool = True,
    root_ok: bool = True,
    private: bool = False,
    warn: Callable[[str], None] | None = None,
    check: Callable[[os.stat_result], None] | None = None,
) -> bytes:
    """The bytes of a file the program reads (config, shared credentials,
    cache entry, token file, ``--input-json`` file), checked on the open
    descriptor before a byte is read.

    1. Open without blocking (a FIFO or device never hangs) and without
       following a link at ``path`` itself; with ``links``, a link (or chain)
       the user or root made is followed to its target, itself opened without
       following one, as the user chose it; without, any link is refused.
    2. ``fstat`` the descriptor: a regular file (else :class:`UnsafeFileError`
       naming what it is), owned by the user (or root, with ``root_ok``) and
       not writable by others (StrictModes, the fix in the message), at most
       ``limit`` bytes (else :class:`_TooLargeError`: no unbounded read).
    3. ``check``, when given, judges the ``fstat`` result too (and raises).
       With ``private`` (a file that holds secrets), a file only its owner
       writes but others can read is tightened to 0600, with a warning.
    4. Read at most ``limit`` bytes (a file that grows meanwhile is refused).

    ``FileNotFoundError`` and other ``OSError`` pass through for the caller
    to word.
    """
    import stat

    target = _user_link_target(path, what) if links else path
    try:
        fd = _open_no_follow(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0), what)
    except (FileNotFoundError, UnsafeFileError):
        raise
    except OSError:  # a socket cannot be opened at all (ENXIO): say what it is
        try:
            mode = os.lstat(target).st_mode
        except OSError:
            mode = stat.S_IFREG
        if not stat.S_ISREG(mode):
            raise UnsafeFileError(
                f"{what} {path} is {_file_kind(mode)}, not a regular file: refusing to read it"
            ) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(
                f"{what} {path} is {_file_kind(info.st_mode)}, not a regular file: refusing to read it"
            )
        _check_ownership(path, info, what, root_ok=root_ok)
        too_large = _TooLargeError(f"{what} {path} is larger than {_size_text(limit)}: refusing to read it")
        if info.st_size > limit:
            raise too_large
        if check is not None:
            check(info)
        if private and os.name == "posix" and info.st_mode & 0o077:
            os.fchmod(fd, 0o600)
            if warn is not None:
                warn(f"{what} {path} was readable by other users (mode {info.st_mode & 0o777:04o}); now 0600")
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise too_large
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read_private(path: str, what: str, warn: Callable[[str], None] | None = None) -> bytes:
    """The bytes of a file that holds secrets (a cache entry), read by
    :func:`_read_checked`: never through a link, owned by the user (not
    root), at most 1 MiB, tightened to 0600 when others can read it (the JS
    SDK creates entries 0644 under umask 022)."""
    return _read_checked(
        path, what, limit=_MAX_RESPONSE_BYTES, links=False, root_ok=False, private=True, warn=warn
    )


def _atomic_write(path: str, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``: temp file beside it, fsync, os.replace.

    Readers see the old file or the new one, never a torn one.  The temp
    file has an unpredictable name and is created exclusively, never through
    a link, with mode 0600 from the start; a process killed mid-write leaves
    it behind for :func:`_sweep_temps`.
    """
    tmp = f"{path}.{os.urandom(6).hex()}.tmp"
    fd = _open_no_follow(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, "temporary file")
    try:
        if mode != 0o600 and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except OSError:
        _unlink_quietly(tmp)
        raise
    if os.name == "posix":  # make the rename itself durable
        dir_fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _sweep_temps(path: str) -> None:
    """Remove temp files a killed writer of ``path`` left; call under its lock."""
    directory, name = os.path.split(path)
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return
    for other in names:
        if other.startswith(name) and re.fullmatch(_TEMP_RE, other[len(name) :]):
            _unlink_quietly(os.path.join(directory, other))  # unlink never follows a link


def _unlink_quietly(path: str) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


class _FileLock:
    """An exclusive advisory lock on ``path`` (fcntl on POSIX, msvcrt on Windows).

    The lock file is opened without following a link.  A holder may remove
    it (:meth:`unlink`): a waiter that then gets the lock on the removed file
    notices and locks the new one, so two processes never hold it at once.
    """

    def __init__(self, path: str, timeout: float = _LOCK_WAIT) -> None:
        self.path = path
        self.timeout = timeout
        self._fd = -1

    def _try(self) -> bool:
        """One attempt to take the lock without waiting."""
        if self._fd < 0:
            self._fd = _open_no_follow(self.path, os.O_RDWR | os.O_CREAT, "lock file")
        try:
            if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
                import msvcrt

                msvcrt.locking(self._fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        if os.name == "posix":
            try:
                on_disk = os.lstat(self.path)
            except FileNotFoundError:
                on_disk = None
            mine = os.fstat(self._fd)
            if on_disk is None or (on_disk.st_ino, on_disk.st_dev) != (mine.st_ino, mine.st_dev):
                os.close(self._fd)  # locked a file its holder has removed: start again
                self._fd = -1
                return False
        return True

    def _give_up(self) -> SigninTokenError:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        return SigninTokenError(f"another process has held {self.path} for {self.timeout:.0f} s")

    def __enter__(self) -> _FileLock:
        deadline = time.monotonic() + self.timeout
        while not self._try():
            if time.monotonic() > deadline:
                raise self._give_up()
            time.sleep(0.01 + os.urandom(1)[0] % 20 / 1000)
        return self

    def unlink(self) -> None:
        """Remove the lock file while holding it."""
        _unlink_quietly(self.path)

    def __exit__(self, *exc: object) -> None:
        try:
            if sys.platform == "win32":  # pragma: no cover
                import msvcrt

                os.lseek(self._fd, 0, 0)
                msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = -1


def _parse_entry(raw: bytes, path: str, login_command: str) -> dict[str, Any]:
    """A cache entry's bytes, checked; :class:`LoginRequiredError` when unusable."""
    try:
        if len(raw) > _MAX_RESPONSE_BYTES:
            raise ValueError("it is larger than 1 MiB")
        entry = _load_json_object(raw, "it")
        missing = [k for k in _CACHE_REQUIRED if k not in entry]
        if missing:
            raise ValueError(f"it lacks {', '.join(missing)}")
        access = entry["accessToken"]
        if not isinstance(access, dict):
            raise ValueError("its accessToken is not an object")
        for name in ("accessKeyId", "secretAccessKey", "sessionToken"):
            if not isinstance(access.get(name), str) or not access[name]:
                raise ValueError(f"its accessToken.{name} is missing or empty")
        _parse_timestamp(access.get("expiresAt"), "its accessToken.expiresAt")
        for name in ("refreshToken", "dpopKey", "clientId"):
            if not isinstance(entry[name], str) or not entry[name]:
                raise ValueError(f"its {name} is not a non-empty string")
    except ValueError as exc:
        raise LoginRequiredError(f"unusable cache entry {path}: {exc}", login_command) from exc
    _note_secrets(entry["refreshToken"], entry["dpopKey"], access["secretAccessKey"], access["sessionToken"])
    return entry


def _read_entry(
    path: str,
    login_command: str,
    warn: Callable[[str], None] | None = None,
    *,
    wait: float = _TORN_READ_WAIT,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """A cache entry, read safely and checked; :class:`LoginRequiredError` when
    there is none or it is unusable.  One that does not parse is re-read for
    up to ``wait`` seconds (of ``sleep``): another tool may be rewriting it in place."""
    return _read_entry_raw(path, login_command, warn, wait=wait, sleep=sleep)[1]


def _read_entry_raw(
    path: str,
    login_command: str,
    warn: Callable[[str], None] | None = None,
    *,
    wait: float = _TORN_READ_WAIT,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bytes, dict[str, Any]]:
    """:func:`_read_entry`, also returning the bytes it parsed."""
    _check_private_dir(os.path.dirname(path))
    waited = 0.0
    while True:
        try:
            raw = _read_private(path, "cache file", warn)
        except _TooLargeError as exc:  # unusable, as one that does not parse
            raise LoginRequiredError(
                f"unusable cache entry {path}: it is larger than 1 MiB", login_command
            ) from exc
        except FileNotFoundError:
            raise LoginRequiredError(
                f"no cached login session ({path} does not exist)", login_command
            ) from None
        except OSError as exc:
            raise LoginRequiredError(
                f"cannot read cache file {path}: {exc.strerror or exc}", login_command
            ) from exc
        try:
            return raw, _parse_entry(raw, path, login_command)
        except LoginRequiredError:
            if waited >= wait:
                raise
        sleep(0.05)
        waited += 0.05


# --------------------------------------------------------------------------
# Sessions: credentials, refresh, status, logout, login
# --------------------------------------------------------------------------

_SESSION_LIFETIME: Final = 12 * 3600  # seconds a sign-in lasts at most (PROTOCOL.md §15)
_DEFAULT_REGION_PROMPT: Final = "us-east-1"  # what Enter at the region prompt keeps, as in the AWS CLI
_ENDED_SUFFIX: Final = ".ended"  # beside an entry: the digest of the refresh token the service refused
# What each error code of the model (OAuth2ErrorCode, in its order) means at login
# and at refresh, and what to do (PROTOCOL.md §11, §13, §16).  "ended": the grant
# (the code, or the session's refresh token) is definitively refused: sign in
# again, and a refused refresh ends the session; "transient": try again later,
# still-valid credentials keep serving; "fault": the request or its setup is
# wrong, so retrying the same request cannot help.  A 429 or 5xx is transient
# and a 400 that names the grant or the refresh token ends it, whatever the code.
_REFUSALS: Final[dict[str, tuple[str, str]]] = {
    "TOKEN_EXPIRED": (
        "ended",
        "the login session has ended (a session lasts at most 12 hours): sign in again",
    ),
    "USER_CREDENTIALS_CHANGED": ("ended", "the password of the signed-in user changed: sign in again"),
    "INSUFFICIENT_PERMISSIONS": (
        "fault",
        "the signed-in identity is not allowed to create login sessions: it needs "
        "signin:CreateOAuth2Token, for example through the AWS managed policy SignInLocalDevelopmentAccess",
    ),
    "AUTHCODE_EXPIRED": ("ended", "the sign-in took too long and its code expired: sign in again"),
    "server_error": ("transient", "the service failed: try again later, or use another region"),
    "INVALID_REQUEST": (
        "fault",
        "the service found the request malformed: check the endpoint and region settings, and that "
        "this tool is up to date",
    ),
    "RESOURCE_NOT_FOUND": (
        "fault",
        "the service does not know what was asked for: check the endpoint and region settings",
    ),
    "CONFLICT": ("transient", "another request changed the session at the same time: try again"),
    "SERVICE_QUOTA_EXCEEDED": (
        "transient",
        "a service quota is exhausted: try again later, or ask for a higher quota",
    ),
    "unsupported_grant_type": (
        "fault",
        "the endpoint does not take this kind of grant: check that the endpoint settings name the "
        "AWS Sign-In service",
    ),
    "invalid_request": (
        "fault",
        "the service found the request malformed: check the endpoint and region settings, and that "
        "this tool is up to date",
    ),
    "invalid_grant": ("ended", "the grant is invalid, expired or revoked: sign in again"),
    "invalid_scope": (
        "fault",
        "the service refused the requested scope: check that the endpoint settings name the AWS "
        "Sign-In service",
    ),
    "invalid_target": (
        "fault",
        "the service refused the requested target: check that the endpoint settings name the AWS "
        "Sign-In service",
    ),
    "invalid_client": (
        "fault",
        "the service does not accept the client id: check that the endpoint settings name the AWS "
        "Sign-In service",
    ),
    "rate_exceeded": ("transient", "the service is limiting requests: try again in a moment"),
    "service_unavailable": (
        "transient",
        "the service is unavailable: try again later, or use another region",
    ),
}
# A 400 about the grant itself (real text: "The provided authorization grant is
# invalid, expired, revoked, or malformed"; "The refresh token has expired.").
_GRANT_REFUSED_RE: Final = r"(?i)\bgrant\b|\brefresh[ _-]?token\b"


@dataclasses.dataclass(frozen=True)
class Credentials:
    """Temporary AWS credentials of a login session; secrets hidden from ``repr``."""

    access_key_id: str = dataclasses.field(repr=False)
    secret_access_key: str = dataclasses.field(repr=False)
    session_token: str = dataclasses.field(repr=False)
    expiration: datetime.datetime
    account_id: str | None = None
    login_session: str | None = None

    @classmethod
    def _from_entry(cls, entry: Mapping[str, Any], login_session: str) -> Credentials:
        access = entry["accessToken"]
        return cls(
            access["accessKeyId"],
            access["secretAccessKey"],
            access["sessionToken"],
            _parse_timestamp(access["expiresAt"], "expiresAt"),
            _account_of(access, login_session),
            login_session,
        )

    def seconds_left(self, now: float | None = None) -> float:
        """Seconds until the credentials expire (negative once they have)."""
        return self.expiration.timestamp() - (time.time() if now is None else now)


def _account_of(access: Mapping[str, Any], login_session: str) -> str | None:
    """The entry's ``accountId`` when it is one (12 digits), else the one in
    the session ARN (the JS SDK needs it), else ``None``."""
    account = access.get("accountId")
    if isinstance(account, str) and re.fullmatch(r"[0-9]{12}", account):
        return account
    parts = login_session.split(":")
    return parts[4] if len(parts) > 5 and re.fullmatch(r"\d{12}", parts[4]) else None


def _session_end(entry: Mapping[str, Any]) -> float | None:
    """When the session ends at the latest: its ``idToken``'s ``iat`` (the
    sign-in) plus 12 hours (PROTOCOL.md §15); ``None`` when unknown."""
    token = entry.get("idToken", entry.get("identityToken"))
    try:
        iat = _id_token_claims(token).get("iat") if isinstance(token, str) else None
    except InvalidResponseError:
        return None
    if isinstance(iat, bool) or not isinstance(iat, (int, float)) or not 0 < iat < 1e11:
        return None
    return float(iat) + _SESSION_LIFETIME


def _sign_in_region(entry: Mapping[str, Any], path: str, warn: Callable[[str], None] | None) -> str | None:
    """The entry's ``signInRegion`` (the region of its sign-in, which botocore
    >= 1.44 and the JS SDK refresh in first, PROTOCOL.md §16), or ``None``
    when absent or empty.  A value that is not a region name is ignored with
    a warning (it never reaches a URL); the entry stays usable."""
    value = entry.get("signInRegion")
    if value is None or value == "":
        return None
    if isinstance(value, str) and re.fullmatch(_REGION_RE, value):
        return value
    if warn is not None:
        warn(f"cache file {path} has a signInRegion that is not a region name; ignoring it")
    return None


def _ended_path(path: str) -> str:
    """The marker beside a cache entry that says the service refused its refresh token."""
    return path + _ENDED_SUFFIX


def _token_digest(entry: Mapping[str, Any]) -> bytes:
    """What an ended marker holds: SHA-256 of the entry's refresh token (not the token)."""
    token = entry.get("refreshToken")
    text = token if isinstance(token, str) else ""
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest().encode("ascii")


def _refused(path: str, entry: Mapping[str, Any]) -> bool:
    """Whether the service has refused the refresh token ``entry`` holds now:
    its marker holds that token's digest.  A marker for another token (a new
    login, by any tool, brought a new one) is stale and means nothing; an
    unsafe one (a link, another user's file) is not trusted."""
    try:
        held = _read_private(_ended_path(path), "session-ended marker")
    except (OSError, SigninTokenError):
        return False  # the usual case: no marker (and no import on the fast path)
    import hmac

    return hmac.compare_digest(held.strip(), _token_digest(entry))


def _mark_refused(path: str, entry: Mapping[str, Any]) -> None:
    """Record, under the entry's lock, that the service refused the refresh
    token of ``entry``; the entry itself is left byte for byte as it was."""
    marker = _ended_path(path)
    _sweep_temps(marker)
    _atomic_write(marker, _token_digest(entry) + b"\n")


def _ended_error(session: str, login_command: str) -> SessionEndedError:
    return SessionEndedError(
        f"the login session {session} has ended: the service refused to refresh it, so it cannot "
        "be used again; sign in again",
        login_command,
    )


def _truthy(value: str | None) -> bool:
    """botocore's reading of a boolean setting: "true" in any case."""
    return value is not None and value.strip().lower() == "true"


def _profile_name(profile: str | None, environ: Mapping[str, str]) -> str:
    """The profile asked for, else ``$AWS_PROFILE``, ``$AWS_DEFAULT_PROFILE``, ``default``."""
    if profile is not None:
        return _check_profile_name(profile, "profile")
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        value = environ.get(var)
        if value:
            return _check_profile_name(value, var)
    return "default"


class _Profile:
    """A profile's settings, resolved once, as the AWS CLI v2 resolves them."""

    def __init__(self, profile: str | None, environ: Mapping[str, str] | None) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.name = _profile_name(profile, self.environ)
        self.config = _ConfigFile(_config_path(self.environ))
        self.settings = self.config.profile(self.name) or {}
        self.cache_dir = _cache_dir(self.environ)
        self.login_command = _command("login", "--profile", self.name)
        self.via: str | None = None  # the credential_process profile that led here, if one did

    def _setting(self, env_var: str, key: str) -> tuple[str, str] | None:
        """(source, value) of a setting: the environment first, then the profile."""
        if self.environ.get(env_var):
            return env_var, self.environ[env_var]
        if self.settings.get(key):
            return f"{key} (profile {self.name})", self.settings[key]
        return None

    def region(self, explicit: str | None = None) -> str | None:
        """``--region``, ``$AWS_REGION``, ``$AWS_DEFAULT_REGION``, the profile's
        ``region``: checked against the region pattern wherever it came from."""
        for source, value in (
            ("region", explicit),
            ("AWS_REGION", self.environ.get("AWS_REGION")),
            ("AWS_DEFAULT_REGION", self.environ.get("AWS_DEFAULT_REGION")),
            (f"region (profile {self.name})", self.settings.get("region")),
        ):
            if value:
                if re.fullmatch(_REGION_RE, value) is None:
                    raise ParamValidationError(source, "must be a region name such as us-east-1")
                return value
        return None

    def endpoint_url(self, explicit: str | None = None) -> str | None:
        """The endpoint override, in botocore's order: the argument, then (unless
        ``ignore_configured_endpoint_urls``) ``$AWS_ENDPOINT_URL_SIGNIN``,
        ``$AWS_ENDPOINT_URL``, the profile's ``[services]`` section, the
        profile's ``endpoint_url``."""
        if explicit:
            return _check_endpoint_url(explicit, "endpoint_url")
        ignore = self._setting("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "ignore_configured_endpoint_urls")
        if ignore is not None and _truthy(ignore[1]):
            return None
        for var in ("AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL"):
            if self.environ.get(var):
                return _check_endpoint_url(self.environ[var], var)
        services = self.settings.get("services")
        if services:
            section = self.config.section(f"services {services}")
            if section is None:
                raise ConfigError(
                    f"profile {self.name!r} uses the services section {services!r}, which does not exist"
                )
            block = section.get("signin")
            if isinstance(block, dict) and block.get("endpoint_url"):
                return _check_endpoint_url(
                    block["endpoint_url"], f"[services {services}] signin endpoint_url"
                )
        if self.settings.get("endpoint_url"):
            return _check_endpoint_url(self.settings["endpoint_url"], f"endpoint_url (profile {self.name})")
        return None

    def client(
        self,
        region: str | None,
        endpoint_url: str | None,
        timeout: float,
        on_clock_skew: Callable[[float], None] | None,
        on_event: Callable[[str], None] | None = None,
        credentials: Callable[[], SigningCredentials] | SigningCredentials | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> SigninClient:
        """A client for this profile: its endpoint, FIPS, dual-stack, CA bundle
        and attempts settings (environment first, as in botocore); ``credentials``
        sign its SigV4 operations (see :class:`SigninClient`)."""
        settings: dict[str, Any] = {}
        for env_var, key in (
            ("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint"),
            ("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint"),
        ):
            found = self._setting(env_var, key)
            settings["use_fips" if "FIPS" in env_var else "use_dualstack"] = found is not None and _truthy(
                found[1]
            )
        bundle = self._setting("AWS_CA_BUNDLE", "ca_bundle")
        ca_bundle = None
        if bundle is not None:
            ca_bundle = _expand(bundle[1])
            if not os.path.isfile(ca_bundle):  # ssl's error would not name the file
                raise ConfigError(f"{bundle[0]} names {ca_bundle}, which is not a file")
        attempts = self._setting("AWS_MAX_ATTEMPTS", "max_attempts")
        max_attempts = _DEFAULT_MAX_ATTEMPTS
        if attempts is not None:
            if re.fullmatch(r"\s*[0-9]{1,9}\s*", attempts[1]) is None or int(attempts[1]) < 1:
                raise ParamValidationError(attempts[0], "must be a whole number of at least 1")
            max_attempts = min(int(attempts[1]), 10)  # more than 10 tries of one refresh help nobody
        environ = {k: v for k, v in self.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        return SigninClient(
            region,
            endpoint_url=self.endpoint_url(endpoint_url),
            timeout=timeout,
            ca_bundle=ca_bundle,
            max_attempts=max_attempts,
            environ=environ,
            clock=clock,
            sleep=sleep,
            on_clock_skew=on_clock_skew,
            on_event=on_event,
            credentials=credentials,
            **settings,
        )

    def other_credentials(self) -> str | None:
        """The other style of credentials the profile has, in the config file or
        the shared credentials file (the AWS CLI refuses to log such a profile in)."""
        keys = dict(self.settings)
        shared = _ConfigFile(_credentials_path(self.environ), "shared credentials file")
        keys.update({k: v for k, v in (shared.section(self.name) or {}).items() if isinstance(v, str)})
        found = [f"{style} credentials ({key})" for key, style in _OTHER_CREDENTIALS if key in keys]
        return found[0] if found else None

    def advise(self, region: str | None, endpoint_url: str | None) -> None:
        """Make the login command carry the ``--region`` and ``--endpoint-url``
        this command was given, so that it works as printed."""
        extra = [
            *(("--region", region) if region else ()),
            *(("--endpoint-url", endpoint_url) if endpoint_url else ()),
        ]
        self.login_command = _command("login", "--profile", self.name, *extra)

    def session(self) -> str:
        session = self.settings.get("login_session")
        if not session:
            other = [(key, style) for key, style in _OTHER_CREDENTIALS if key in self.settings]
            if other:  # login would refuse it: never suggest it
                raise ConfigError(
                    f"profile {self.name!r} has no login session: it is configured with {other[0][1]} "
                    f"credentials ({other[0][0]}), which this tool does not manage"
                )
            raise LoginRequiredError(_no_session_message(self), self.login_command)
        if re.fullmatch(r"[\x21-\x7e]{1,2048}", session) is None:  # an ARN, as every tool writes it
            raise ConfigError(
                f"profile {self.name!r} has a login_session ({_one_line(session, 80)}) that is not a "
                "session ARN: printable ASCII without spaces is required; log in again to replace it"
            )
        return session

    def cache_path(self) -> str:
        return _cache_path(self.cache_dir, self.session())


def _no_session_message(prof: _Profile) -> str:
    """Why ``prof`` has no session.  A profile in neither the config file nor
    the shared credentials file may be a typo: then the message names the
    config file, the closest profile name and the profiles that have a
    login session."""
    if prof.config.profile(prof.name) is not None:
        return f"profile {prof.name!r} has no login session"
    try:
        shared = _ConfigFile(_credentials_path(prof.environ), "shared credentials file").section(prof.name)
    except SigninTokenError:  # an unreadable or unsafe file holds no profile we may use
        shared = None
    if shared is not None:
        return f"profile {prof.name!r} has no login session"
    import difflib

    profiles = prof.config.profiles()
    where = prof.config.path + ("" if os.path.exists(prof.config.path) else " (which does not exist)")
    text = f"profile {prof.name!r} is in neither the config file {where} nor the shared credentials file"
    close = difflib.get_close_matches(prof.name, list(profiles), n=1)
    text += f"; did you mean {close[0]!r}?" if close else "."
    sessions = [name for name, settings in profiles.items() if settings.get("login_session")]
    if sessions:
        more = f" and {len(sessions) - 10} more" if len(sessions) > 10 else ""
        text += f" Profiles with a login session: {', '.join(sessions[:10])}{more}."
    else:
        text += " No profile has a login session yet."
    return _one_line(text, 2000)


def _login_profile_of(settings: Mapping[str, str]) -> str | None:
    """The profile a ``credential_process`` line reads, when the line runs this
    tool's ``credentials`` (or ``export-credentials``) with ``--profile X``:
    ``X``; else ``None``."""
    import shlex

    try:
        words = shlex.split(settings.get("credential_process", ""))
    except ValueError:
        return None
    for i, word in enumerate(words):
        base = os.path.basename(word)
        if base.startswith("signin-token") or base == "signin_token.py":
            rest = words[i + 1 :]
            break
        if word == "-m" and words[i + 1 : i + 2] == ["signin_token"]:
            rest = words[i + 2 :]
            break
    else:
        return None
    command: str | None = None  # the first word that is not an option
    found: str | None = None  # the last --profile, as argparse takes it
    after = iter(rest)
    for word in after:
        if word == "--profile":
            found = next(after, None)
        elif word.startswith("--profile="):
            found = word[len("--profile=") :]
        elif command is None and not word.startswith("-"):
            command = word
    if command not in ("credentials", "export-credentials") or not found:
        return None
    try:
        return _check_profile_name(found, "credential_process --profile")
    except ParamValidationError:
        return None


def _session_profile(profile: str | None, environ: Mapping[str, str] | None) -> _Profile:
    """The profile whose session a command acts on: ``profile`` itself, or,
    when it has no ``login_session`` and its ``credential_process`` runs this
    tool for another profile, that profile (one step, never a chain)."""
    prof = _Profile(profile, environ)
    target = None if prof.settings.get("login_session") else _login_profile_of(prof.settings)
    if target is None or target == prof.name:
        return prof
    other = _Profile(target, environ)
    other.via = prof.name
    return other


def _how_run() -> tuple[str, str]:
    """How this process runs us: ``("script", path)`` for the console script,
    ``("module", "")`` for ``python -m signin_token``, ``("file", path)`` for
    ``python path/signin_token.py``, ``("library", "")`` otherwise."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if __name__ == "__main__":  # this very file is the program
        spec = globals().get("__spec__")
        return ("module", "") if spec is not None else ("file", argv0)
    if os.path.basename(argv0).startswith("signin-token"):
        return "script", argv0
    return "library", ""


def _program() -> str:
    """The program as the user invoked it, for usage lines and examples:
    ``signin-token``, ``python3 -m signin_token``, ``python3 signin_token.py``."""
    kind, path = _how_run()
    orig = getattr(sys, "orig_argv", None)  # Python 3.10+: the interpreter as typed
    python = os.path.basename(orig[0] if orig else sys.executable) or "python3"
    if kind == "script":
        return os.path.basename(path)
    if kind == "module":
        return f"{python} -m signin_token"
    if kind == "file":
        return f"{python} {path}"
    return "signin-token"


def _runnable() -> str:
    """The program as a command that works as printed, in any shell of this
    user: the console script's name when ``PATH`` finds that very file, else
    its absolute path; otherwise this interpreter, by its absolute path."""
    kind, path = _how_run()
    if kind == "script":
        name = os.path.basename(path)
        target = os.path.realpath(path)
        for folder in os.environ.get("PATH", "").split(os.pathsep):
            candidate = os.path.join(folder or ".", name)
            if os.path.isfile(candidate) and os.path.realpath(candidate) == target:
                return name
        return _sh_quote(os.path.abspath(path))
    if kind == "file":
        return f"{_sh_quote(sys.executable)} {_sh_quote(os.path.abspath(path))}"
    return f"{_sh_quote(sys.executable)} -m signin_token"


def _command(*args: str) -> str:
    """A command line of ours to suggest, that works as printed: the program
    (see :func:`_runnable`), then each argument quoted for the shell."""
    return " ".join([_runnable(), *(_sh_quote(a) for a in args)])


def _default_warning(text: str) -> None:
    sys.stderr.write(f"warning: {text}\n")


def _refusal(exc: ServiceError) -> tuple[str, str | None]:
    """What a refusal of the service means (see ``_REFUSALS``): its kind,
    ``ended``, ``transient`` or ``fault``, and what to do (``None``: the
    code has no advice of its own)."""
    code = exc.error.value if isinstance(exc.error, OAuth2ErrorCode) else exc.error
    kind, advice = _REFUSALS.get(code, ("", "")) if isinstance(code, str) else ("", "")
    if kind == "ended":
        return kind, advice
    if exc.status == 400 and re.search(_GRANT_REFUSED_RE, exc.message):
        return "ended", "the service refused the grant as invalid, expired or revoked: sign in again"
    if (
        exc.status == 429
        or (exc.status or 0) >= 500
        or isinstance(exc, (TooManyRequestsError, InternalServerException))
    ):
        return (
            "transient",
            advice if kind == "transient" else "the service is busy or failing: try again later",
        )
    return kind or "fault", advice or None


def _failure_advice(exc: SigninTokenError) -> tuple[str, str | None]:
    """The kind of a failed refresh (see ``_REFUSALS``) and what to do, when
    its message does not say it already: a transport failure is transient."""
    if isinstance(exc, TransportError):
        return "transient", "check the network connection and the proxy and endpoint settings, then try again"
    if isinstance(exc, ServiceError):
        return _refusal(exc)
    return "fault", None


def _after_attempts(exc: SigninTokenError) -> str:
    """`` after N attempts`` for a call that made more than one, else ``""``."""
    attempts = exc.attempts if isinstance(exc, (TransportError, ServiceError)) else 1
    return f" after {attempts} attempts" if attempts > 1 else ""


def _refresh_error(exc: ServiceError, profile: _Profile) -> SigninTokenError:
    """What a refused refresh means for the user (PROTOCOL.md §11, ``_REFUSALS``):
    a :class:`SessionEndedError` for a definitive refusal; a fault with advice
    as a :class:`SigninTokenError` saying what to do; else ``exc`` itself."""
    kind, advice = _refusal(exc)
    if kind == "ended":
        return SessionEndedError(
            f"the login session can no longer be refreshed: {advice} ({exc})", profile.login_command
        )
    if kind == "fault" and advice:
        return SigninTokenError(f"{exc}. {advice}")
    return exc


def _refreshed_entry(
    entry: Mapping[str, Any], out: CreateOAuth2TokenResponseBody, session: str, now: float
) -> dict[str, Any]:
    """The entry after a refresh: new credentials and refresh token, every other
    member (unknown ones too, at both levels) kept, ``accountId`` never null."""
    updated = dict(entry)
    access = dict(entry["accessToken"])
    access.update(
        {
            "accessKeyId": out.access_token.access_key_id,
            "secretAccessKey": out.access_token.secret_access_key,
            "sessionToken": out.access_token.session_token,
            "expiresAt": _format_timestamp(out.expires_at(now)),
        }
    )
    account = _account_of(access, session)
    if account is not None:
        access["accountId"] = account
    updated["accessToken"] = access
    if out.refresh_token is not None:  # absent: keep the old one (§5)
        updated["refreshToken"] = out.refresh_token
    return updated


def _refresh_request(
    entry: Mapping[str, Any], path: str, login_command: str
) -> tuple[CreateOAuth2TokenRequest, DPoPKey]:
    """The refresh request an entry makes and the key that signs it;
    :class:`LoginRequiredError` when the entry cannot make one."""
    try:
        key = DPoPKey.from_pem(entry["dpopKey"])
        request = CreateOAuth2TokenRequest(
            CreateOAuth2TokenRequestBody(
                client_id=entry["clientId"],
                grant_type="refresh_token",
                refresh_token=entry["refreshToken"],
            )
        )
    except (InvalidKeyError, ParamValidationError) as exc:
        raise LoginRequiredError(f"unusable cache entry {path}: {exc}", login_command) from exc
    return request, key


def _store_refreshed(
    path: str, raw: bytes, updated: dict[str, Any], profile: _Profile, session: str
) -> dict[str, Any]:
    """Write a refreshed entry (under its lock) unless it changed meanwhile.

    An in-place writer (the AWS CLI, the JS SDK) or a lockless logout may
    have rewritten or removed the entry while the service was answering:
    theirs wins, and a removed entry is never re-created.
    """
    try:
        now_raw = _read_private(path, "cache file")
    except FileNotFoundError:
        raise LoginRequiredError(
            f"the login session was removed (logout) while it was being refreshed; {path} stays removed",
            profile.login_command,
        ) from None
    if now_raw != raw:
        return _parse_entry(now_raw, path, profile.login_command)
    _sweep_temps(path)
    _atomic_write(path, json.dumps(updated).encode("utf-8"))
    _unlink_quietly(_ended_path(path))  # a marker for the token just replaced: stale
    return updated


class _RefreshPlan:
    """A refresh decided under the entry's lock: the entry and its bytes as
    read, and the request to send with the key that signs it.  (A plain
    class: a dataclass costs start-up time at every import.)"""

    __slots__ = ("entry", "key", "raw", "request")

    def __init__(
        self, raw: bytes, entry: dict[str, Any], request: CreateOAuth2TokenRequest, key: DPoPKey
    ) -> None:
        self.raw = raw
        self.entry = entry
        self.request = request
        self.key = key

    def __repr__(self) -> str:
        return "_RefreshPlan(<sensitive>)"


def _refresh_plan(
    raw: bytes,
    entry: dict[str, Any],
    path: str,
    session: str,
    client: SigninClient,
    profile: _Profile,
    force: bool,
) -> _RefreshPlan | None:
    """Step 1 of a refresh, on the entry just re-read under its lock: ``None``
    when it no longer needs one (another process has refreshed it), else
    the request to send."""
    if _refused(path, entry):  # another process has just been refused
        raise _ended_error(session, profile.login_command)
    current = Credentials._from_entry(entry, session)
    if not force and current.seconds_left(client.now()) > _REFRESH_WINDOW:
        return None
    request, key = _refresh_request(entry, path, profile.login_command)
    return _RefreshPlan(raw, entry, request, key)


def _refresh_failed(exc: ServiceError, plan: _RefreshPlan, path: str, profile: _Profile) -> SigninTokenError:
    """Step 2 on a refusal, still under the lock: what it means for the user;
    a definitive one is recorded beside the entry, which stays as it was."""
    error = _refresh_error(exc, profile)
    if isinstance(error, SessionEndedError):
        _mark_refused(path, plan.entry)
    return error


def _refresh_store(
    plan: _RefreshPlan,
    out: CreateOAuth2TokenResponseBody,
    path: str,
    session: str,
    client: SigninClient,
    profile: _Profile,
) -> dict[str, Any]:
    """Step 2, still under the lock: the service's answer stored (unless
    another writer changed the entry meanwhile); returns the entry now on disk."""
    updated = _refreshed_entry(plan.entry, out, session, client.now())
    return _store_refreshed(path, plan.raw, updated, profile, session)


def _refresh_locked(
    path: str,
    session: str,
    client: SigninClient,
    profile: _Profile,
    force: bool,
    warn: Callable[[str], None] | None = None,
    *,
    wait: float = _TORN_READ_WAIT,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Refresh one cache entry under its lock; returns the entry now on disk.

    The entry is re-read after the lock is taken and the service is called
    only when that entry still needs it, so concurrent processes cause one
    refresh.  Any failure leaves the file exactly as it was.
    """
    with _FileLock(path + ".lock"):
        raw, entry = _read_entry_raw(path, profile.login_command, warn, wait=wait, sleep=sleep)
        plan = _refresh_plan(raw, entry, path, session, client, profile, force)
        if plan is None:
            return entry
        try:
            out = client.create_oauth2_token(plan.request, plan.key).token_output
        except ServiceError as exc:
            raise _refresh_failed(exc, plan, path, profile) from exc
        return _refresh_store(plan, out, path, session, client, profile)


async def _lock_async(lock: _FileLock) -> None:
    """Take ``lock`` as ``with lock`` does, but wait between its non-blocking
    attempts with ``asyncio.sleep``; a cancelled wait leaves nothing open."""
    import asyncio

    deadline = time.monotonic() + lock.timeout
    try:
        while not lock._try():
            if time.monotonic() > deadline:
                raise lock._give_up()
            await asyncio.sleep(0.01 + os.urandom(1)[0] % 20 / 1000)
    except BaseException:
        if lock._fd >= 0:
            os.close(lock._fd)
            lock._fd = -1
        raise


async def _read_entry_async(
    path: str, login_command: str, warn: Callable[[str], None] | None, wait: float = _TORN_READ_WAIT
) -> tuple[bytes, dict[str, Any]]:
    """:func:`_read_entry_raw` for asyncio: an entry caught half-written is
    re-read after ``asyncio.sleep``, never after a blocking sleep."""
    import asyncio

    deadline = time.monotonic() + wait
    while True:
        try:
            return _read_entry_raw(path, login_command, warn, wait=0)
        except LoginRequiredError as exc:
            if not isinstance(exc.__cause__, ValueError) or time.monotonic() >= deadline:
                raise  # no entry, one that cannot be read, or still torn: waiting more will not help
        await asyncio.sleep(0.05)


async def _refresh_locked_async(
    path: str,
    session: str,
    client: SigninClient,
    profile: _Profile,
    force: bool,
    warn: Callable[[str], None] | None = None,
    wait: float = _TORN_READ_WAIT,
) -> dict[str, Any]:
    """:func:`_refresh_locked` for asyncio: the lock awaited, the request sent
    with :meth:`SigninClient.create_oauth2_token_async`.  Cancelled, the
    request in flight is aborted and the lock released at once, the entry
    left as it was (the store step has no ``await``: it is never cut short)."""
    lock = _FileLock(path + ".lock")
    await _lock_async(lock)
    try:
        raw, entry = await _read_entry_async(path, profile.login_command, warn, wait)
        plan = _refresh_plan(raw, entry, path, session, client, profile, force)
        if plan is None:
            return entry
        try:
            out = (await client.create_oauth2_token_async(plan.request, plan.key)).token_output
        except ServiceError as exc:
            raise _refresh_failed(exc, plan, path, profile) from exc
        return _refresh_store(plan, out, path, session, client, profile)
    finally:
        lock.__exit__(None, None, None)


class _CredentialsCall:
    """What :func:`get_credentials` and :func:`get_credentials_async` share
    around the refresh: the settings, checked before any I/O; the fast path
    (no refresh needed); what a failed refresh leaves."""

    def __init__(
        self,
        profile: str | None,
        region: str | None,
        endpoint_url: str | None,
        timeout: float,
        force_refresh: bool,
        environ: Mapping[str, str] | None,
        on_clock_skew: Callable[[float], None] | None,
        on_warning: Callable[[str], None] | None,
        *,
        use_cached_on_failure: bool,
        on_event: Callable[[str], None] | None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        torn_read_wait: float = _TORN_READ_WAIT,
    ) -> None:
        self.warn = on_warning or _default_warning
        self.use_cached = use_cached_on_failure
        self.prof = _session_profile(profile, environ)
        self.region = self.prof.region(region)
        self.prof.endpoint_url(endpoint_url)  # bad settings are errors before any I/O, even unused ones
        self.prof.advise(region, endpoint_url)
        self.session = self.prof.session()
        self.path = _cache_path(self.prof.cache_dir, self.session)
        self.force = force_refresh
        self.current: Credentials | None = None
        self.sign_in_region: str | None = None
        self._client_options = (endpoint_url, timeout, on_clock_skew, on_event)
        self.clock, self.sleep, self.wait = clock, sleep, torn_read_wait

    def cached(self, entry: Mapping[str, Any]) -> Credentials | None:
        """The credentials of the entry read before the lock, when they need no
        refresh; :class:`SessionEndedError` once the service has refused it."""
        if _refused(self.path, entry):
            raise _ended_error(self.session, self.prof.login_command)
        self.sign_in_region = _sign_in_region(entry, self.path, self.warn)
        self.current = Credentials._from_entry(entry, self.session)
        if not self.force and self.current.seconds_left(self.clock()) > _REFRESH_WINDOW:
            return self.current
        return None

    def client(self) -> SigninClient:
        """A client in the session's ``signInRegion``, else the region resolved
        from the argument, the environment and the profile."""
        region = self.sign_in_region or self.region
        return self.prof.client(region, *self._client_options, clock=self.clock, sleep=self.sleep)

    def result(self, entry: Mapping[str, Any]) -> Credentials:
        return Credentials._from_entry(entry, self.session)

    def after_failure(self, exc: SigninTokenError) -> Credentials | None:
        """The cached credentials, with a warning, when a failed refresh leaves
        them usable (not forced, still valid, no unsafe file); else ``None``."""
        current = self.current
        if current is None or self.force or not self.use_cached or isinstance(exc, UnsafeFileError):
            return None
        if isinstance(exc, SessionEndedError):  # as botocore and the JS SDK: the refusal is the answer
            return None
        if not os.path.lexists(self.path):  # logged out meanwhile: as if before the call
            return None
        left = current.seconds_left(self.clock())
        if left <= 0:
            return None
        kind, advice = _failure_advice(exc)
        text = (
            f"could not refresh the credentials of profile {self.prof.name!r}{_after_attempts(exc)} "
            f"({exc}); using the cached ones, which expire in {int(left) // 60} min {int(left) % 60} s"
        )
        if advice:
            text += f"; {advice}"
        if kind != "transient":  # a new session may help; waiting will not
            text += f". If this persists, run: {self.prof.login_command}"
        self.warn(_one_line(text, 2000))
        return current


def get_credentials(
    profile: str | None = None,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
    force_refresh: bool = False,
    environ: Mapping[str, str] | None = None,
    on_clock_skew: Callable[[float], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    use_cached_on_failure: bool = True,
    on_event: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    torn_read_wait: float = _TORN_READ_WAIT,
) -> Credentials:
    """The profile's credentials, refreshed first when 5 minutes or less remain.

    Reads the config and cache files the AWS CLI uses.  A valid entry costs
    no network and no TLS import.  When a refresh fails while the cached
    credentials are still valid, they are returned and ``on_warning`` (by
    default: a line on stderr) says what failed, unless the session was
    logged out (its entry removed) meanwhile or ``use_cached_on_failure``
    is false (the credential server, which promises 5 minutes).  A refresh
    goes to the entry's ``signInRegion`` first, then to ``region``, the
    environment's and the profile's.  Raises :class:`LoginRequiredError`
    when a new login is needed: :class:`SessionEndedError` once the service
    has definitively refused the session's refresh token (no fallback to
    still-valid credentials, and the service is not asked again until a new
    login), and :class:`UnsafeFileError` for a cache another user could
    tamper with.  A profile whose ``credential_process`` runs this tool for
    another profile uses that profile's session.  ``on_event`` hears of
    each HTTP attempt (see :class:`SigninClient`).  ``clock`` and ``sleep``
    are the client's (see :class:`SigninClient`); an entry that does not
    parse (another tool rewriting it in place) is re-read for
    ``torn_read_wait`` seconds of ``sleep``.
    """
    call = _CredentialsCall(
        profile,
        region,
        endpoint_url,
        timeout,
        force_refresh,
        environ,
        on_clock_skew,
        on_warning,
        use_cached_on_failure=use_cached_on_failure,
        on_event=on_event,
        clock=clock,
        sleep=sleep,
        torn_read_wait=torn_read_wait,
    )
    cached = call.cached(
        _read_entry(call.path, call.prof.login_command, call.warn, wait=call.wait, sleep=sleep)
    )
    if cached is not None:
        return cached
    try:
        entry = _refresh_locked(
            call.path,
            call.session,
            call.client(),
            call.prof,
            call.force,
            call.warn,
            wait=call.wait,
            sleep=sleep,
        )
    except SigninTokenError as exc:
        fallback = call.after_failure(exc)
        if fallback is None:
            raise
        return fallback
    return call.result(entry)


async def get_credentials_async(
    profile: str | None = None,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
    force_refresh: bool = False,
    environ: Mapping[str, str] | None = None,
    on_clock_skew: Callable[[float], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    use_cached_on_failure: bool = True,
    on_event: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    torn_read_wait: float = _TORN_READ_WAIT,
) -> Credentials:
    """:func:`get_credentials` for asyncio: the same arguments, results,
    warnings and errors, and the event loop is never blocked.

    The cache lock is awaited (non-blocking attempts between
    ``asyncio.sleep``), the refresh goes through
    :meth:`SigninClient.create_oauth2_token_async` (the HTTP exchange in a
    worker thread).  Cancelling the task (or a timeout around it, such as
    ``asyncio.wait_for``) aborts the request in flight and releases the
    lock at once; the cache entry is left as it was, or completely written.
    ``clock`` and ``torn_read_wait`` as for :func:`get_credentials`; ``sleep`` is
    accepted for the same signature, but every wait here is ``asyncio.sleep``.
    """
    call = _CredentialsCall(
        profile,
        region,
        endpoint_url,
        timeout,
        force_refresh,
        environ,
        on_clock_skew,
        on_warning,
        use_cached_on_failure=use_cached_on_failure,
        on_event=on_event,
        clock=clock,
        torn_read_wait=torn_read_wait,
    )
    cached = call.cached(
        (await _read_entry_async(call.path, call.prof.login_command, call.warn, call.wait))[1]
    )
    if cached is not None:
        return cached
    try:
        entry = await _refresh_locked_async(
            call.path, call.session, call.client(), call.prof, call.force, call.warn, call.wait
        )
    except SigninTokenError as exc:
        fallback = call.after_failure(exc)
        if fallback is None:
            raise
        return fallback
    return call.result(entry)


def _status_of(
    entry: Mapping[str, Any], session: str, path: str, login_command: str, now: float | None = None
) -> dict[str, Any]:
    """What :func:`session_status` says of a usable entry (all but ``profile``).

    ``valid``: more than 5 minutes of credentials left; ``refreshable``:
    fewer, but the session is within its estimated end (or its end is
    unknown), so the next use refreshes them; ``ended``: past its end, or
    the service refused its refresh token (``refused``).
    :class:`LoginRequiredError` when the entry would be refreshed but cannot
    make the request (an unusable key or client id).
    """
    now = time.time() if now is None else now
    creds = Credentials._from_entry(entry, session)
    left = int(creds.seconds_left(now))
    end = _session_end(entry)
    refused = _refused(path, entry)
    if refused:
        state = "ended"
    elif left > _REFRESH_WINDOW:
        state = "valid"
    elif end is not None and end <= now:
        state = "ended"
    else:
        _refresh_request(entry, path, login_command)  # what the next use would send can be made
        state = "refreshable"
    return {
        "login_session": session,
        "account_id": creds.account_id,
        "expiration": _format_timestamp(creds.expiration),
        "seconds_left": left,
        "valid": state == "valid",
        "state": state,
        "session_end": (
            None
            if end is None
            else _format_timestamp(datetime.datetime.fromtimestamp(end, datetime.timezone.utc))
        ),
        "cache_file": path,
        "refused": refused,
    }


def session_status(
    profile: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    on_warning: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    torn_read_wait: float = _TORN_READ_WAIT,
) -> dict[str, Any]:
    """The profile's session as a dict, from local files only (no network).

    Keys: ``profile``, ``login_session``, ``account_id``, ``expiration``,
    ``seconds_left``, ``valid`` (more than 5 minutes left), ``state``
    (``valid``; ``refreshable``: 5 minutes or less left, but the session is
    within its estimated end, so the next use refreshes them; ``ended``:
    past that end, a new login is needed), ``session_end`` (the estimated
    end, sign-in + 12 hours, ISO 8601; ``None`` when unknown) and
    ``cache_file``, ``refused`` (the service refused the session's
    refresh token: ended until a new login) and ``login_profile`` (the
    profile whose session it is: ``profile`` itself, or the one its
    ``credential_process`` runs this tool for).  Raises
    :class:`LoginRequiredError` when there is no session or its entry is
    unusable.  ``clock`` tells the time; an entry that does not parse is
    re-read for ``torn_read_wait`` seconds of ``sleep``.
    """
    prof = _session_profile(profile, environ)
    session = prof.session()
    path = _cache_path(prof.cache_dir, session)
    warn = on_warning or _default_warning
    entry = _read_entry(path, prof.login_command, warn, wait=torn_read_wait, sleep=sleep)
    status = _status_of(entry, session, path, prof.login_command, clock())
    return {"profile": prof.via or prof.name, "login_profile": prof.name, **status}


def _profile_argument(command: str) -> str | None:
    """The ``--profile`` a command line passes (the last one, as argparse takes it)."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    found = None
    for i, word in enumerate(words):
        if word == "--profile" and i + 1 < len(words):
            found = words[i + 1]
        elif word.startswith("--profile="):
            found = word[len("--profile=") :]
    return found


def _list_sessions(
    environ: Mapping[str, str] | None = None,
    warn: Callable[[str], None] | None = None,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    torn_read_wait: float = _TORN_READ_WAIT,
) -> list[dict[str, Any]]:
    """Every profile with a ``login_session`` and every profile whose
    ``credential_process`` runs this tool, in config file order, with the
    state of the session it uses (the ``sessions`` command).  Local files
    only; nothing is written but a 0644 entry tightened to 0600.

    Keys: ``profile``, ``source`` (``login_session`` or
    ``credential_process``), ``login_profile`` (the profile whose session
    is used: the profile itself, or the credential process's ``--profile``,
    else the one ``$AWS_PROFILE`` names or ``default``), ``login_session``,
    ``account_id``, ``expiration``, ``session_end``, ``state`` (``valid``,
    ``refreshable``, ``ended``, ``logged-out``: no cache entry,
    ``unusable``: an entry that cannot be read or used, or an unsafe one)
    and ``cache_file``; unknown values are ``None``.
    """
    env = os.environ if environ is None else environ
    profiles = _ConfigFile(_config_path(env)).profiles()
    cache_dir = _cache_dir(env)
    rows: list[dict[str, Any]] = []
    for name, settings in profiles.items():
        process = settings.get("credential_process", "")
        if settings.get("login_session"):
            source, login_profile = "login_session", name
        elif "signin-token" in process or "signin_token" in process:
            source = "credential_process"
            login_profile = _profile_argument(process) or _profile_name(None, env)
        else:
            continue
        session = (profiles.get(login_profile) or {}).get("login_session") or None
        path = _cache_path(cache_dir, session) if session else None
        row: dict[str, Any] = {
            "profile": name,
            "source": source,
            "login_profile": login_profile,
            "login_session": session,
            "account_id": _account_of({}, session) if session else None,
            "expiration": None,
            "session_end": None,
            "state": "logged-out",
            "cache_file": path,
        }
        if session and path and os.path.lexists(path):
            try:
                entry = _read_entry(path, "", warn, wait=torn_read_wait, sleep=sleep)
                status = _status_of(entry, session, path, "", clock())
            except SigninTokenError:  # unparsable, unreadable, unsafe, or no usable key
                row["state"] = "unusable"
            else:
                row.update({k: status[k] for k in ("account_id", "expiration", "session_end", "state")})
        rows.append(row)
    return rows


def _login_entries(cache_dir: str) -> list[str]:
    """Every file in the cache directory that holds a login session, judged by
    content as ``aws logout --all`` does (an ``accessToken.accessKeyId``)."""
    try:
        names = sorted(os.listdir(cache_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    paths = []
    for name in names:
        path = os.path.join(cache_dir, name)
        if name.endswith((".lock", ".tmp")):
            continue
        try:
            entry = _load_json_object(_read_private(path, "cache file"), name)
        except (OSError, ValueError, SigninTokenError):
            continue  # a link, a directory, someone else's file, not JSON: not ours to remove
        access = entry.get("accessToken")
        if isinstance(access, dict) and "accessKeyId" in access:
            paths.append(path)
    return paths


def _remove_entry(path: str, first: Callable[[], None] | None = None) -> bool:
    """Delete an entry, its temp files, its ended marker and its lock file,
    holding its lock; ``first`` runs under the lock before that (if it
    raises, nothing is deleted)."""
    if not any(os.path.lexists(p) for p in (path, path + ".lock", _ended_path(path))):
        return False
    with _FileLock(path + ".lock") as lock:
        if first is not None:
            first()
        removed = _unlink_quietly(path)
        _sweep_temps(path)
        _unlink_quietly(_ended_path(path))
        _sweep_temps(_ended_path(path))
        lock.unlink()
    return removed


def logout(
    profile: str | None = None,
    *,
    all_sessions: bool = False,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """Delete the profile's cache file (``all_sessions``: every file in the
    cache directory that holds a login session), under its lock, so that a
    refresh in flight cannot bring it back.

    The config file is left alone.  Returns the removed paths (none when
    there was no session: logging out twice is not an error).  Credentials
    already issued stay valid until they expire.
    """
    prof = _session_profile(profile, environ)
    if all_sessions:
        paths = _login_entries(prof.cache_dir)
        with_locks = {p[: -len(".lock")] for p in _glob_suffix(prof.cache_dir, ".json.lock")}
        with_locks |= {
            p[: -len(_ENDED_SUFFIX)] for p in _glob_suffix(prof.cache_dir, ".json" + _ENDED_SUFFIX)
        }
        for orphan in sorted(with_locks - set(paths)):
            if not os.path.lexists(orphan):
                _remove_entry(orphan)  # our own lock file of an entry already gone
    else:
        session = prof.settings.get("login_session")
        paths = [_cache_path(prof.cache_dir, session)] if session else []
    return [path for path in paths if _remove_entry(path)]


def _glob_suffix(directory: str, suffix: str) -> list[str]:
    try:
        return [os.path.join(directory, n) for n in os.listdir(directory) if n.endswith(suffix)]
    except OSError:
        return []


def _profiles_using(config: _ConfigFile, cache_dir: str) -> dict[str, list[str]]:
    """Cache file path -> the profiles whose ``login_session`` it holds."""
    using: dict[str, list[str]] = {}
    for name, settings in config.profiles().items():
        session = settings.get("login_session")
        if session:
            using.setdefault(_cache_path(cache_dir, session), []).append(name)
    return using


def _prompt_region(prof: _Profile, inp: TextIO, err: TextIO) -> str:
    """Ask for a region as the AWS CLI does; without a terminal, say what to run."""
    if not _is_terminal(inp):
        raise ParamValidationError(
            "region",
            f"no region is configured for profile {prof.name!r}; run: "
            f"{_command('login', '--profile', prof.name, '--region', _DEFAULT_REGION_PROMPT)} "
            "(with your region), or set AWS_REGION",
        )
    err.write(f"No AWS region is configured for profile {prof.name!r}.\n")
    err.write(f"AWS Region [{_DEFAULT_REGION_PROMPT}]: ")
    err.flush()
    line = inp.readline()
    if not line:
        raise SigninTokenError("login cancelled: no region was entered")
    value = line.strip() or _DEFAULT_REGION_PROMPT
    if re.fullmatch(_REGION_RE, value) is None:
        raise ParamValidationError("region", "must be a region name such as us-east-1")
    return value


def _update_config(path: str, profile: str, session: str, region: str | None) -> None:
    """Point the profile at its session (and region), under the config's lock,
    re-reading the file first so that concurrent logins lose nothing."""
    _make_private_dir(os.path.dirname(os.path.realpath(path)))  # where the lock file goes
    with _FileLock(os.path.realpath(path) + ".lock"):
        config = _ConfigFile(path)
        settings = config.profile(profile) or {}
        if settings.get("login_session") == session and region is None:
            return
        config.check_writable()
        config.set(profile, "login_session", session)
        if region is not None:
            config.set(profile, "region", region)
        _sweep_temps(os.path.realpath(path))
        config.save()


def _browser_problem() -> str | None:
    """Why no browser can be launched here, or ``None`` when one may be.

    Where browsers need a display (not macOS or Windows): ``$BROWSER`` set
    but naming no program that exists, or no ``$BROWSER`` and neither
    ``$DISPLAY`` nor ``$WAYLAND_DISPLAY``.  A text-mode browser is not tried
    for lack of a display: the sign-in page needs a graphical one, and it
    would take over the terminal that shows what to do.
    """
    if os.name != "posix" or sys.platform == "darwin":
        return None
    chosen = os.environ.get("BROWSER", "")
    if chosen:
        import shlex
        import shutil

        for command in chosen.split(os.pathsep):  # as webbrowser reads it
            try:
                program = shlex.split(command)[0] if "%s" in command else command
            except (ValueError, IndexError):
                continue
            if program and shutil.which(program):
                return None
        return f"BROWSER is {_one_line(chosen, 100)!r}, which names no program that exists"
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set) and BROWSER is not set"
    return None


def _open_browser(url: str) -> bool:
    """Open ``url`` in the user's browser: whether a browser command worked.

    Whatever the browser command prints goes to stderr: stdout may carry
    credentials (``credentials --login``) and must hold nothing else.
    """
    import contextlib
    import webbrowser

    with contextlib.suppress(Exception):
        sys.stdout.flush()
    saved = -1
    with contextlib.suppress(OSError):
        saved = os.dup(1)
        os.dup2(2, 1)  # the browser inherits file descriptor 1: point it at stderr meanwhile
    opened = False
    try:
        with contextlib.suppress(Exception):  # a browser that cannot be run is reported, not raised
            opened = webbrowser.open(url)
    finally:
        if saved >= 0:
            os.dup2(saved, 1)
            os.close(saved)
    return opened


def _browser_notice(url: str, problem: str | None, launch: bool, other_device: str, wait: float) -> str:
    """What the same-device login says before it waits: whether a browser is
    opening (or why none can be), the URL, the command for another device
    (``--remote``) and how to cancel."""
    if launch:
        text = "Opening your browser to sign in. If it does not open, open this URL in a browser:"
    elif problem:
        text = f"Cannot open a browser here: {problem}. Open this URL in a browser to sign in:"
    else:
        text = "Open this URL in a browser to sign in:"
    return (
        f"{text}\n{url}\n"
        f"If you cannot open it on this device, sign in from another device with: {other_device}\n"
        f"Waiting up to {wait:g} s for the sign-in; press Ctrl-C to cancel.\n"
    )


def login(
    profile: str | None = None,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    remote: bool = False,
    open_browser: bool = True,
    redirect_port: int = 0,
    callback_timeout: float = _CALLBACK_WAIT,
    timeout: float = _DEFAULT_TIMEOUT,
    replace: bool | None = None,
    environ: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
    on_clock_skew: Callable[[float], None] | None = None,
    on_event: Callable[[str], None] | None = None,
) -> Credentials:
    """Sign in through a browser and store the session like ``aws login``.

    Same-device (default): a loopback callback on 127.0.0.1; ``remote``: the
    cross-device flow, the code pasted on ``stdin``.  The authorize URL is
    written to ``stderr``.  Everything that could make the login fail is
    checked before the browser opens: the arguments, a profile with other
    credentials, the region (the argument, the environment, the profile,
    the current session's ``signInRegion``; else asked for on a terminal,
    then written to the profile) and a config file that cannot be updated.
    After the sign-in, as the AWS CLI does, replacing the profile's current
    ``login_session`` with a different session needs ``replace=True`` or a
    "y" on a terminal; otherwise nothing is stored (:class:`ConfigError`
    without a terminal, :class:`SigninTokenError` for a "n").  Then writes
    the cache entry (with ``signInRegion``, the region used) and
    ``login_session`` to the config, under their locks.
    ``on_event`` hears of each HTTP attempt (see :class:`SigninClient`).

    Before the same-device login waits, ``stderr`` also says what to do if
    no browser opens (the ``--remote`` command) and how to cancel; when no
    browser can be launched, it says so at once, and the login keeps waiting.
    """
    err = sys.stderr if stderr is None else stderr
    inp = sys.stdin if stdin is None else stdin
    prof = _Profile(profile, environ)
    if type(redirect_port) is not int or not 0 <= redirect_port <= 65535:
        raise ParamValidationError("redirect_port", "must be a port number 0-65535")
    _require_type("callback_timeout", callback_timeout, (int, float))
    if not 0 < callback_timeout <= 86400:  # also refuses nan
        raise ParamValidationError("callback_timeout", "must be a number of seconds from 0 to 86400")
    style = prof.other_credentials()
    if style:
        raise ConfigError(
            f"profile {prof.name!r} is already configured with {style}; log in to a new "
            f"profile instead (choose a name for --profile) or first remove those credentials "
            f"from {prof.name!r}"
        )
    chosen_region = prof.region(region)
    prof.endpoint_url(endpoint_url)
    prof.config.check_writable()
    _check_private_dir(prof.cache_dir)
    previous = prof.settings.get("login_session")
    prompted = chosen_region is None
    if chosen_region is None and previous:  # the region the current session signed in to, if recorded
        import contextlib

        path = _cache_path(prof.cache_dir, previous)
        with contextlib.suppress(SigninTokenError, OSError):  # no usable entry: no region from it
            chosen_region = _sign_in_region(_read_entry(path, "", wait=0), path, None)
        prompted = chosen_region is None
    if chosen_region is None:
        chosen_region = _prompt_region(prof, inp, err)
    client = prof.client(chosen_region, endpoint_url, timeout, on_clock_skew, on_event)
    pkce = generate_pkce()
    key = DPoPKey.generate()
    if remote:
        redirect_uri = _origin(client.endpoint) + _CONFIRMATION_PATH
        url = authorization_url(
            code_challenge=pkce.code_challenge,
            state=pkce.state,
            remote=True,
            endpoint_url=client.endpoint,
            redirect_uri=redirect_uri,
        )
        err.write(f"Open this URL on any device, sign in, then paste the code it shows:\n{url}\n")
        code = _read_pasted_code(inp, err, pkce.state)
        client_id = CROSS_DEVICE_CLIENT_ID
    else:
        server = _CallbackServer(pkce.state, redirect_port)
        try:
            redirect_uri = server.redirect_uri
            url = authorization_url(
                code_challenge=pkce.code_challenge,
                state=pkce.state,
                endpoint_url=client.endpoint,
                redirect_uri=redirect_uri,
            )
            problem = _browser_problem() if open_browser else None
            launch = open_browser and problem is None
            options = ["--region", chosen_region] if region or prompted else []
            options += ["--endpoint-url", endpoint_url] if endpoint_url else []
            other_device = _command("login", "--profile", prof.name, *options, "--remote")
            err.write(_browser_notice(url, problem, launch, other_device, callback_timeout))
            err.flush()
            if launch and not _open_browser(url):
                err.write(
                    "The browser did not open (no browser command worked). Open the URL above in "
                    "a browser; still waiting, press Ctrl-C to cancel.\n"
                )
                err.flush()
            result = server.wait(callback_timeout)
        finally:
            server.close()
        if result is None:
            raise SigninTokenError(f"no sign-in arrived within {callback_timeout:.0f} s")
        if "error" in result:
            raise SigninTokenError(f"sign-in failed: {result['error']}: {result['error_description']}")
        code = result["code"]
        client_id = SAME_DEVICE_CLIENT_ID
    request = CreateOAuth2TokenRequest(
        CreateOAuth2TokenRequestBody(
            client_id=client_id,
            grant_type="authorization_code",
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=pkce.code_verifier,
        )
    )
    try:
        out = client.create_oauth2_token(request, key).token_output
    except ServiceError as exc:
        kind, advice = _refusal(exc)
        if advice is None:
            raise
        then = f": {prof.login_command}" if kind == "ended" else ""
        raise SigninTokenError(f"{exc}. {advice}{then}") from exc
    if out.id_token is None or out.refresh_token is None:
        raise InvalidResponseError("the code redemption returned no idToken or refreshToken")
    session, account = _session_from_id_token(out.id_token)
    # As the AWS CLI asks: after the sign-in, only when the session differs.  Declined
    # (or no terminal to ask on), nothing is stored: the new session is dropped.
    if previous and previous != session:
        yes_command = _command("login", "--profile", prof.name, "--yes")
        if replace is None and not _is_terminal(inp):
            raise ConfigError(
                f"profile {prof.name!r} is configured to use session {_one_line(previous, 2000)}; the new "
                f"session {_one_line(session, 2000)} was not stored (no terminal to ask whether to "
                f"replace it). To sign in again and replace it, run: {yes_command}"
            )
        question = (
            f"Profile {prof.name} is configured to use session {_one_line(previous, 2000)}. "
            f"Use the new session {_one_line(session, 2000)} instead?"
        )
        if not _confirm(replace, question, inp, err, yes_command):
            raise SigninTokenError(
                f"login cancelled: profile {prof.name!r} keeps its session {_one_line(previous, 2000)}; "
                f"the new session {_one_line(session, 2000)} was not stored"
            )
    entry = {
        "accessToken": {
            "accessKeyId": out.access_token.access_key_id,
            "secretAccessKey": out.access_token.secret_access_key,
            "sessionToken": out.access_token.session_token,
            "accountId": account,
            "expiresAt": _format_timestamp(out.expires_at(client.now())),
        },
        "tokenType": out.token_type,
        "clientId": client_id,
        "refreshToken": out.refresh_token,
        "idToken": out.id_token,
        "dpopKey": key.to_pem(),
        "signInRegion": chosen_region,  # where the refreshes go, whatever the caller's region (§16)
    }
    _make_private_dir(prof.cache_dir)
    _check_private_dir(prof.cache_dir)
    path = _cache_path(prof.cache_dir, session)
    with _FileLock(path + ".lock"):
        _sweep_temps(path)
        _atomic_write(path, json.dumps(entry).encode("utf-8"))
        _unlink_quietly(_ended_path(path))  # a new refresh token: the session is usable again
    _update_config(prof.config.path, prof.name, session, chosen_region if prompted else None)
    return Credentials._from_entry(entry, session)


def _login_lock_path(prof: _Profile) -> str:
    """The lock that lets one process at a time sign a profile in: in the
    cache directory, named from the config file and the profile name."""
    key = f"{os.path.realpath(prof.config.path)}\n{prof.name}".encode("utf-8", "surrogateescape")
    return os.path.join(prof.cache_dir, f".login-{hashlib.sha256(key).hexdigest()}.lock")


def _credentials_or_login(
    profile: str | None,
    *,
    region: str | None,
    endpoint_url: str | None,
    timeout: float,
    stdin: TextIO,
    stderr: TextIO,
    on_clock_skew: Callable[[float], None] | None,
    on_warning: Callable[[str], None] | None,
    on_event: Callable[[str], None] | None = None,
) -> Credentials:
    """:func:`get_credentials`, or a same-device login (browser, URL on
    ``stderr``) when the session can no longer be refreshed, for
    ``credentials --login``.

    One login per profile at a time: concurrent callers queue on a lock in
    the cache directory and, once they hold it, look at the session again,
    so those that waited use the session the first one signed in.  The
    login replaces the profile's dead session without asking.
    """
    options: dict[str, Any] = {
        "region": region,
        "endpoint_url": endpoint_url,
        "timeout": timeout,
        "on_clock_skew": on_clock_skew,
        "on_event": on_event,
    }
    try:
        return get_credentials(profile, on_warning=on_warning, **options)
    except LoginRequiredError:
        pass  # a new login is needed: take the profile's login lock
    prof = _session_profile(profile, None)  # a credential_process profile signs in the one it reads
    _make_private_dir(prof.cache_dir)
    _check_private_dir(prof.cache_dir)
    lock = _FileLock(_login_lock_path(prof), timeout=_CALLBACK_WAIT + _LOCK_WAIT)
    if not lock._try():
        stderr.write(f"another process is signing in profile {prof.name!r}; waiting for it\n")
        stderr.flush()
    with lock:
        try:  # the session another caller has just signed in, if one did
            return get_credentials(profile, on_warning=on_warning, **options)
        except LoginRequiredError as exc:
            reason = str(exc)
        stderr.write(f"{_one_line(reason, 2000)}; signing in again\n")
        return login(prof.name, replace=True, stdin=stdin, stderr=stderr, **options)


def _is_terminal(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def _confirm(answer: bool | None, question: str, inp: TextIO, err: TextIO, yes_command: str) -> bool:
    """``answer`` if given, else ask on a terminal; without one, refuse, saying
    the command (``yes_command``) that answers yes."""
    if answer is not None:
        return answer
    if not _is_terminal(inp):
        raise ConfigError(f"{question} There is no terminal to ask on; to answer yes, run: {yes_command}")
    err.write(f"{question} (y/n): ")
    err.flush()
    return inp.readline().strip().lower() in ("y", "yes")


# Credentials for SigV4-signed calls, in botocore's order (create_credential_resolver).
_CREDENTIAL_PROCESS_TIMEOUT: Final = 60.0  # seconds a credential_process may take
_CONTAINER_HOSTS: Final = ("169.254.170.2", "169.254.170.23", "fd00:ec2::23")  # ECS and EKS
# Profile settings for sources botocore would use and we do not: setting -> the source.
_UNSUPPORTED_SOURCES: Final = (
    ("role_arn", "assume role"),
    ("web_identity_token_file", "web identity"),
    ("sso_session", "IAM Identity Center (SSO)"),
    ("sso_start_url", "IAM Identity Center (SSO)"),
    ("sso_region", "IAM Identity Center (SSO)"),
    ("sso_account_id", "IAM Identity Center (SSO)"),
    ("sso_role_name", "IAM Identity Center (SSO)"),
)


def _static_keys(
    values: Mapping[str, str], names: tuple[str, str, tuple[str, ...]], where: str, source: str
) -> _SigningKeys | None:
    """Keys from ``values`` (access key, secret key, session token names), or None
    without an access key id; an access key id without its secret is an error."""
    access_name, secret_name, token_names = names
    access = values.get(access_name, "")
    if not access:
        return None
    secret = values.get(secret_name, "")
    if not secret:
        raise ConfigError(f"{where} sets {access_name} but not {secret_name}")
    token = next((values[n] for n in token_names if values.get(n)), None)
    return _SigningKeys(access, secret, token, None, source)


def _expiration_of(doc: Mapping[str, Any], said: str) -> float | None:
    """The epoch seconds of ``doc``'s optional ISO 8601 ``Expiration``."""
    stamp = doc.get("Expiration")
    try:
        return None if stamp is None else _parse_timestamp(stamp, "Expiration").timestamp()
    except ValueError:
        pass  # raised below, without the parser's exception as its context
    raise InvalidResponseError(f"{said} an Expiration that is not an ISO 8601 time")


def _process_keys(command: str, source: str, environ: Mapping[str, str], timeout: float) -> _SigningKeys:
    """Run a ``credential_process`` (split as a shell would, run without one; its
    stdin and stderr are ours, as in botocore) and read its Version 1 JSON
    (PROTOCOL.md §12)."""
    import shlex
    import subprocess

    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(f"{source} cannot be split into arguments: {exc}") from None
    if not argv:
        raise ConfigError(f"{source} is empty")
    failure = ""  # raised outside the handlers: its output is never anyone's __context__
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, env=dict(environ), timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        failure = f"did not finish within {timeout:g} s"
    except OSError as exc:
        failure = f"could not be run: {exc.strerror or type(exc).__name__}"
    if failure:
        raise SigninTokenError(f"{source} {failure}")
    if done.returncode != 0:
        raise SigninTokenError(f"{source} exited with status {done.returncode}")
    try:
        out = json.loads(done.stdout.decode("utf-8")) if len(done.stdout) <= _MAX_RESPONSE_BYTES else None
    except ValueError:
        out = None
    if not isinstance(out, dict):
        raise SigninTokenError(f"{source} did not print a JSON object on stdout")
    if type(out.get("Version")) is not int or out["Version"] != 1:
        raise SigninTokenError(f"{source} printed an unsupported Version (supported: 1)")
    for name in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
        if name in out and not (isinstance(out[name], str) and out[name]):
            raise SigninTokenError(f"{source} printed {name} that is not a non-empty string")
    for name in ("AccessKeyId", "SecretAccessKey"):
        if name not in out:
            raise SigninTokenError(f"{source} printed no {name}")
    expiration = _expiration_of(out, f"{source} printed")
    return _SigningKeys(
        out["AccessKeyId"], out["SecretAccessKey"], out.get("SessionToken"), expiration, source
    )


def _container_keys(environ: Mapping[str, str], timeout: float) -> _SigningKeys:
    """GET the container endpoint (PROTOCOL.md §14): https, or http to loopback
    or the ECS/EKS link-local hosts only; never a proxy, never a redirect."""
    import http.client
    import socket
    from urllib.parse import urlsplit

    relative = environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    if relative:
        var, url = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", f"http://169.254.170.2{relative}"
    else:
        var, url = "AWS_CONTAINER_CREDENTIALS_FULL_URI", environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
    parts = urlsplit(url)
    try:
        ok = url.isascii() and url.isprintable() and " " not in url and parts.port != 0
    except ValueError:  # a port that is not a number from 0 to 65535
        ok = False
    if not ok or parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise ConfigError(f"{var} must be an http or https URL of printable ASCII")
    if parts.scheme == "http" and not (_is_loopback(parts.netloc) or parts.hostname in _CONTAINER_HOSTS):
        raise ConfigError(
            f"{var}: http is allowed only to loopback or the ECS/EKS hosts"
            f" ({', '.join(_CONTAINER_HOSTS)}); use https"
        )
    headers = {"Accept": "application/json"}
    token = None
    token_file = environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    if token_file:
        try:
            with open(token_file, encoding="utf-8") as f:
                token = f.read()
        except (OSError, UnicodeError) as exc:
            what = getattr(exc, "strerror", None) or type(exc).__name__
            raise ConfigError(
                f"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {token_file} cannot be read: {what}"
            ) from None
        token_var = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
    elif environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN") is not None:
        token, token_var = environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"], "AWS_CONTAINER_AUTHORIZATION_TOKEN"
    if token is not None:
        if not token.isprintable():
            raise ConfigError(f"{token_var} is not a legal header value (a line break or control character)")
        _note_secrets(token)
        headers["Authorization"] = token
    source = f"container endpoint ({var})"
    failure: BaseException | None = None  # raised outside the handler: never anyone's __context__
    try:
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname,
                parts.port,
                timeout=timeout,
                context=_tls_context(environ.get("AWS_CA_BUNDLE") or None),
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request(
                "GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), headers=headers
            )
            response = conn.getresponse()
            with response:  # closed even when the body breaks off
                body = response.read(_MAX_RESPONSE_BYTES + 1)
        finally:
            conn.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        failure = exc
    if failure is not None:
        timed_out = isinstance(failure, socket.timeout)
        raise _transport_error(url, failure, timed_out, timeout, [token]) from _stand_in(failure, [token])
    if response.status != 200:
        raise SigninTokenError(f"{source} answered HTTP {response.status}")
    try:
        out = json.loads(body.decode("utf-8")) if len(body) <= _MAX_RESPONSE_BYTES else None
    except ValueError:
        out = None
    if not isinstance(out, dict) or not all(
        isinstance(out.get(k), str) and out[k] for k in ("AccessKeyId", "SecretAccessKey", "Token")
    ):
        raise InvalidResponseError(
            f"{source} did not answer a JSON object with AccessKeyId, SecretAccessKey, Token"
        )
    expiration = _expiration_of(out, f"{source} answered")
    return _SigningKeys(out["AccessKeyId"], out["SecretAccessKey"], out["Token"], expiration, source)


def _signing_keys(
    profile: str | None,
    environ: Mapping[str, str] | None = None,
    *,
    clock: Callable[[], float] = time.time,
    region: str | None = None,
    endpoint_url: str | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
    process_timeout: float = _CREDENTIAL_PROCESS_TIMEOUT,
    on_warning: Callable[[str], None] | None = None,
) -> _SigningKeys:
    """The credentials that sign a call, from the first source that has them,
    in botocore's order: the environment's keys (skipped when ``profile`` is
    given, as in botocore); the profile's (config and shared credentials file
    merged) assume-role, web identity or SSO settings, which are refused naming
    the setting; the shared credentials file's keys; the profile's
    ``login_session`` (refreshed when due, as :func:`get_credentials`); its
    ``credential_process``; the config file's keys; the container endpoint.
    Raises :class:`LoginRequiredError` when there is none (a login is the fix).
    Credentials that expired by ``clock()`` are refused."""
    env = os.environ if environ is None else environ
    explicit = profile is not None
    if not explicit:
        keys = _static_keys(
            env,
            ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")),
            "the environment",
            "environment",
        )
        if keys is not None:
            stamp = env.get("AWS_CREDENTIAL_EXPIRATION")
            if stamp:
                try:
                    keys.expiration = _parse_timestamp(stamp, "AWS_CREDENTIAL_EXPIRATION").timestamp()
                except ValueError:
                    raise ConfigError("AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time") from None
            return _fresh_keys(keys, clock)
    prof = _Profile(profile, env)
    shared = _ConfigFile(_credentials_path(env), "shared credentials file")
    from_shared = {k: v for k, v in (shared.section(prof.name) or {}).items() if isinstance(v, str)}
    if prof.config.profile(prof.name) is None and not from_shared and (explicit or prof.name != "default"):
        raise ConfigError(
            f"profile {prof.name!r} is in neither the config file nor the shared credentials file"
        )
    merged = {**prof.settings, **from_shared}
    for key, style in _UNSUPPORTED_SOURCES:
        if merged.get(key) and not (key == "role_arn" and merged.get("web_identity_token_file")):
            raise ConfigError(
                f"profile {prof.name!r} uses {style} credentials ({key}),"
                " which signin-token does not implement"
            )
    if not explicit and env.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        raise ConfigError(
            "AWS_WEB_IDENTITY_TOKEN_FILE asks for web identity credentials,"
            " which signin-token does not implement"
        )
    token_names = ("aws_session_token", "aws_security_token")
    names = ("aws_access_key_id", "aws_secret_access_key", token_names)
    keys = _static_keys(
        from_shared,
        names,
        f"profile {prof.name!r} in the shared credentials file",
        f"shared credentials file (profile {prof.name})",
    )
    if keys is None and merged.get("login_session"):
        creds = get_credentials(
            prof.name,
            region=region,
            endpoint_url=endpoint_url,
            timeout=timeout,
            environ=env,
            on_warning=on_warning,
        )
        keys = _SigningKeys(
            creds.access_key_id,
            creds.secret_access_key,
            creds.session_token,
            creds.expiration.timestamp(),
            f"login session (profile {prof.name})",
        )
    if keys is None and "credential_process" in merged:  # set but empty: an error, as in botocore
        keys = _process_keys(
            merged["credential_process"], f"credential_process (profile {prof.name})", env, process_timeout
        )
    if keys is None:
        keys = _static_keys(merged, names, f"profile {prof.name!r}", f"config file (profile {prof.name})")
    if keys is None and (
        env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    ):
        keys = _container_keys(env, timeout)
    if keys is None:
        raise LoginRequiredError(
            f"no AWS credentials for profile {prof.name!r}: no keys in the environment or the profile, no"
            " login_session, credential_process or container endpoint (instance metadata is not used)",
            prof.login_command,
        )
    return _fresh_keys(keys, clock)


def _fresh_keys(keys: _SigningKeys, clock: Callable[[], float]) -> _SigningKeys:
    """``keys``, unless they have expired."""
    if keys.expiration is not None and keys.expiration <= clock():
        stamp = _format_timestamp(datetime.datetime.fromtimestamp(keys.expiration, datetime.timezone.utc))
        raise SigninTokenError(f"the credentials from the {keys.source} expired at {stamp}")
    return keys


# --------------------------------------------------------------------------
# Local credential server: container credentials on loopback (PROTOCOL.md §14)
# --------------------------------------------------------------------------

_SERVE_PATH: Final = "/credentials"
_SERVE_RETRY: Final = 1.0  # seconds a failed refresh is answered from memory before another try
_SERVE_BODIES: Final = {
    400: b'{"code": "BadRequest", "message": "the Host header is not this server\'s address"}',
    401: b'{"code": "Unauthorized", "message": "the Authorization header is missing"}',
    403: b'{"code": "Forbidden", "message": "the Authorization header is not this server\'s token"}',
    404: b'{"code": "NotFound", "message": "no such path"}',
    405: b'{"code": "MethodNotAllowed", "message": "only GET is served"}',
}


def _file_stamp(path: str | None) -> tuple[int, ...] | None:
    """What changes when a file is rewritten, in place or by rename; ``None``: no file."""
    if path is None:
        return None
    try:
        s = os.stat(path)
    except OSError:
        return None
    return (s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns)


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"code": code, "message": message}).encode("utf-8")


class _ServedCredentials:
    """A profile's credentials as the credential server answers them.

    The last credentials stay in memory together with the ``stat`` of the
    config and cache files taken before they were read: while both files are
    unchanged and more than 5 minutes remain, an answer costs two ``stat``
    calls and no parsing.  Otherwise :func:`get_credentials` runs (re-reading
    the files, refreshing under the cache file's lock when 5 minutes or less
    remain), one caller at a time, so concurrent requests cause at most one
    refresh; a new login or a logout is seen at the next request.  A session
    that needs a new login is answered 503 from memory until the files change.
    ``clock`` (seconds since the epoch) decides what "5 minutes left" means
    (credentials that have no more by it are refreshed, never served) and
    when a failure answered from memory is tried again.
    """

    def __init__(
        self,
        profile: str | None,
        *,
        region: str | None,
        endpoint_url: str | None,
        timeout: float,
        on_clock_skew: Callable[[float], None] | None,
        on_event: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        import threading

        self._lock = threading.Lock()
        self._clock = clock
        self._profile = profile
        self._options: dict[str, Any] = {
            "region": region,
            "endpoint_url": endpoint_url,
            "timeout": timeout,
            "on_clock_skew": on_clock_skew,
            "on_event": on_event,
        }
        self._config_path = _config_path(os.environ)
        self._config_stamp: object = object()  # never equal to a stat: look at the first call
        self._cache_file: str | None = None
        self._stamp: tuple[object, ...] | None = None  # the files when _creds was read
        self._creds: Credentials | None = None
        self._body = b""
        # (the files, when, for how long, status, body) of the last failure
        self._failure: tuple[tuple[object, ...] | None, float, float, int, bytes] | None = None

    def _files(self) -> tuple[object, ...]:
        """The stat of the config file and of the session's cache file, now."""
        config = _file_stamp(self._config_path)
        if config != self._config_stamp:  # a login may have named another session
            try:
                cache_file: str | None = _Profile(self._profile, None).cache_path()
            except LoginRequiredError:
                cache_file = None
            self._cache_file, self._config_stamp = cache_file, config
        return config, _file_stamp(self._cache_file)

    def _current(self, stamp: tuple[object, ...]) -> Credentials:
        creds = self._creds
        if creds is not None and stamp == self._stamp and creds.seconds_left(self._clock()) > _REFRESH_WINDOW:
            return creds
        creds = get_credentials(self._profile, use_cached_on_failure=False, **self._options)
        if creds.seconds_left(self._clock()) <= _REFRESH_WINDOW:  # the promise holds by our clock too
            creds = get_credentials(
                self._profile, use_cached_on_failure=False, force_refresh=True, **self._options
            )
        doc = {
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key,
            "Token": creds.session_token,
            "Expiration": _format_timestamp(creds.expiration),
        }
        if creds.account_id is not None:
            doc["AccountId"] = creds.account_id
        self._creds, self._stamp, self._body = creds, stamp, json.dumps(doc).encode("utf-8")
        self._failure = None
        return creds

    def credentials(self) -> Credentials:
        """The credentials to serve now (more than 5 minutes left); raises like
        :func:`get_credentials`."""
        with self._lock:
            return self._current(self._files())

    def _clean(self, text: str) -> str:
        """Error text for a client: one bounded line, without the last credentials."""
        last = self._creds
        hide = [last.secret_access_key, last.session_token] if last is not None else []
        return _one_line(_redact(text, hide), 400)

    def cached(self) -> tuple[int, bytes] | None:
        """The answer when it needs no network and no cache file parsing (the
        credentials or the failure in memory still stand), else ``None``;
        never waits for another caller."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            stamp = self._files()
            creds, failure, now = self._creds, self._failure, self._clock()
            if creds is not None and stamp == self._stamp and creds.seconds_left(now) > _REFRESH_WINDOW:
                return 200, self._body
            return self._standing(failure, stamp, now)
        except (SigninTokenError, OSError, ValueError):
            return None
        finally:
            self._lock.release()

    @staticmethod
    def _standing(
        failure: tuple[Any, float, float, int, bytes] | None, stamp: object, now: float
    ) -> tuple[int, bytes] | None:
        """The failure's answer while it stands: the same files, and its time
        not over (a clock set back ends it too)."""
        if failure is None or failure[0] != stamp or not failure[1] <= now < failure[1] + failure[2]:
            return None
        return failure[3], failure[4]

    def answer(self) -> tuple[int, bytes]:
        """(HTTP status, JSON body) for an authorized request: 200 with the
        credentials, 503 when a new login is needed, 502 when the service or
        the network failed, 500 for anything else."""
        with self._lock:
            stamp: tuple[object, ...] | None = None
            try:
                stamp = self._files()
                standing = self._standing(self._failure, stamp, self._clock())
                if standing is not None:
                    return standing
                self._current(stamp)
                return 200, self._body
            except LoginRequiredError as exc:
                status, retry = 503, float("inf")  # until the files change: a new login
                reason = f"{self._clean(str(exc))}; to sign in again, run: {exc.command}"
                body = _error_body("LoginRequired", reason)
            except (ServiceError, TransportError, InvalidResponseError) as exc:
                status, retry = 502, _SERVE_RETRY
                body = _error_body("RefreshFailed", self._clean(str(exc)))
            except (SigninTokenError, OSError, ValueError, TypeError) as exc:
                status, retry = 500, _SERVE_RETRY
                text = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) else str(exc)
                body = _error_body("InternalError", self._clean(f"{type(exc).__name__}: {text}"))
            self._failure = (stamp, self._clock(), retry, status, body)
            return status, body


def _connection_cap() -> int:
    """How many connections the credential server holds at most: 512, or fewer
    when the descriptor limit (``RLIMIT_NOFILE``) leaves less than that after
    64 for the rest of the process (files, a refresh's socket, a handed-off answer)."""
    try:
        import resource
    except ImportError:  # Windows: no descriptor limit to follow
        return 512
    try:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (OSError, ValueError):
        return 512
    if soft == resource.RLIM_INFINITY or soft < 0:
        return 512
    return max(8, min(512, soft - 64))


class _CredentialServer:
    """The container-credentials endpoint (PROTOCOL.md §14) of one profile.

    ``GET`` on :attr:`url` with ``Authorization: <token>`` answers
    ``{"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId"}``;
    a ``Host`` that is not this listener (DNS rebinding, see :func:`_host_check`)
    is 400, no token 401, a wrong one 403 (constant-time comparison), another
    path 404, another method 405.  Nothing else is ever served, and every
    answer is ``Cache-Control: no-store``.  ``log`` gets one line per request
    (method, path, status: never the token or a credential).

    One thread runs a ``selectors`` loop over non-blocking sockets, so slow or
    idle clients hold nothing up and a request costs no thread: it answers
    from :class:`_ServedCredentials`'s memory when that needs no network, and
    hands a request that does (a refresh) to a thread of its own.  HTTP/1.1
    keep-alive, bounded heads (16 KiB).  Against other local users:

    - a request head must be complete ``timeout`` seconds after the connection
      was accepted (or its previous answer sent); bytes trickled in do not
      extend that, so a slow client is dropped at the deadline;
    - at most ``max_connections`` (default :func:`_connection_cap`, which
      follows the descriptor limit); a new connection when all are taken, or
      ``accept`` failing for want of descriptors, drops the oldest connection
      that waits for its request head, so a new client is heard; with nothing
      to drop, the new connection is closed unread, or the listener rests a
      moment (no busy loop);
    - each wrong token delays its 403 on the loop's timers (never blocking it):
      0.1 s doubling to 5 s per server, forgiven after a minute without one;
      the connection keeps its slot meanwhile, so guesses cannot outrun
      ``max_connections`` per 5 s however many connections are opened.

    ``clock`` (monotonic seconds) times the deadlines and delays.
    """

    _MAX_HEAD: Final = 16384
    _FIRST_DELAY: Final = 0.1  # seconds the first wrong token's 403 waits
    _MAX_DELAY: Final = 5.0
    _FORGIVE: Final = 60.0  # seconds without a wrong token that reset the delay
    _REST: Final = 0.25  # seconds the listener rests when out of descriptors
    _REASONS: Final = {
        200: "OK",
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        431: "Request Header Fields Too Large",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
    }

    def __init__(
        self,
        source: _ServedCredentials,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log: Callable[[str], None] | None = None,
        timeout: float = 10.0,
        max_connections: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import selectors
        import socket
        import threading

        self._timeout = timeout
        self._clock = clock
        self._max = _connection_cap() if max_connections is None else max_connections
        self._source = source
        self._token = token.encode("utf-8")
        self._log = log
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            if sys.platform != "win32":  # as for the callback server: skip TIME_WAIT only
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(256)  # a burst of new connections must not wait for SYN retries
        except OSError as exc:
            listener.close()
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        listener.setblocking(False)
        self._listener = listener
        self.port: int = listener.getsockname()[1]
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{self.port}{_SERVE_PATH}"
        self._host_ok = _host_check(host, self.port)
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._stopping = False
        # socket -> [input, output, deadline, close, held until]; oldest first
        self._conns: dict[Any, list[Any]] = {}
        self._resting_until: float | None = None  # the listener rests (out of descriptors)
        self._delay, self._last_wrong = 0.0, 0.0
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        """Answer requests on a background thread."""
        self._thread.start()

    def close(self) -> None:
        """Stop listening and drop every connection; safe to call more than once."""
        import contextlib

        self._stopping = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        if self._thread.is_alive():
            self._thread.join()
        for sock in [*self._conns, self._listener, self._wake_r, self._wake_w]:
            sock.close()
        self._conns.clear()
        with contextlib.suppress(ValueError, OSError):  # already closed
            self._selector.close()

    # -- the loop ------------------------------------------------------------

    def _loop(self) -> None:
        import contextlib
        import selectors

        sel = self._selector
        sel.register(self._listener, selectors.EVENT_READ)
        sel.register(self._wake_r, selectors.EVENT_READ)
        while not self._stopping:
            events = sel.select(self._timers())
            self._timers()  # what came due while waiting goes first
            accept = False
            for key, mask in events:
                sock = key.fileobj
                if sock is self._listener:
                    accept = True  # after the requests that arrived: a flood evicts no one unheard
                elif sock is self._wake_r:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(64)
                elif sock in self._conns:
                    try:
                        if mask & selectors.EVENT_WRITE:
                            self._flush(sock)
                        elif mask & selectors.EVENT_READ:
                            self._read(sock)
                    except OSError:  # reset, or gone
                        self._drop(sock)
            if accept:
                self._accept()

    def _timers(self) -> float:
        """Send the held answers that came due, drop connections past their
        deadline, let a resting listener listen again; seconds until the next
        of these (at most 1)."""
        import selectors

        now = self._clock()
        wait = 1.0
        for sock, conn in list(self._conns.items()):
            if conn[4] is not None and conn[4] <= now:
                conn[4] = None
                self._selector.register(sock, selectors.EVENT_WRITE)
                try:
                    self._flush(sock)
                except OSError:
                    self._drop(sock)
            elif conn[2] <= now and conn[4] is None:
                self._drop(sock)  # silent, or a head trickled in past the deadline
            else:
                wait = min(wait, (conn[2] if conn[4] is None else conn[4]) - now)
        if self._resting_until is not None:
            if self._resting_until <= now:
                self._resting_until = None
                self._selector.register(self._listener, selectors.EVENT_READ)
            else:
                wait = min(wait, self._resting_until - now)
        return max(wait, 0.0)

    def _accept(self) -> None:
        """Accept a quarter of the cap at most; more at the next turn of the loop."""
        import errno
        import selectors

        for _ in range(max(1, self._max // 4)):
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    return  # aborted before it was accepted: the next one at the next event
                if self._evict():  # out of descriptors: the oldest waiting client makes room
                    continue
                self._selector.unregister(self._listener)  # nothing to free: rest, do not spin
                self._resting_until = self._clock() + self._REST
                return
            if len(self._conns) >= self._max and not self._evict():
                sock.close()
                continue
            sock.setblocking(False)
            self._conns[sock] = [bytearray(), b"", self._clock() + self._timeout, False, None]
            self._selector.register(sock, selectors.EVENT_READ)
            try:  # the request is often there already: answer it without another select
                self._read(sock)
            except OSError:
                self._drop(sock)

    def _evict(self) -> bool:
        """Drop the oldest connection still waiting for its request head; False
        when there is none.  A held 403 keeps its slot: dropping it would tell
        a guesser "wrong" at once, and free the slot for the next guess."""
        for sock, conn in self._conns.items():
            if not conn[1]:
                self._drop(sock)
                return True
        return False

    def _drop(self, sock: Any) -> None:
        import contextlib

        conn = self._conns.pop(sock, None)
        if conn is not None:
            with contextlib.suppress(KeyError):  # a held answer is not registered
                self._selector.unregister(sock)
            sock.close()

    def _read(self, sock: Any) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        if not data:
            self._drop(sock)
            return
        self._conns[sock][0] += data  # the deadline stays: trickling buys no time
        self._process(sock)

    def _process(self, sock: Any) -> None:
        """Answer every complete request head in the input, in order (pipelining)."""
        conn = self._conns[sock]
        buf = conn[0]
        while True:
            while buf[:2] == b"\r\n":  # RFC 9112 §2.2: ignore empty lines before a request
                del buf[:2]
            end = buf.find(b"\r\n\r\n", 0, self._MAX_HEAD + 4)
            if end < 0:
                if len(buf) > self._MAX_HEAD:
                    self._respond(sock, "?", "?", 431, b"", close=True)
                return
            head = bytes(buf[:end])
            del buf[: end + 4]
            if not self._request(sock, head) or sock not in self._conns or conn[1]:
                return  # closing, handed to a thread, or waiting to write

    def _request(self, sock: Any, head: bytes) -> bool:
        """Answer one request head; False when the connection is no longer the loop's."""
        import hmac

        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            self._respond(sock, "?", "?", 400, b"", close=True)
            return False
        method = parts[0].decode("latin-1")
        target = parts[1].decode("latin-1")
        auth: list[bytes] = []
        hosts: list[str] = []
        close = parts[2] != b"HTTP/1.1"
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            name = name.lower()
            if not sep or name != name.strip():  # RFC 9112 §5.1: no space before the colon
                self._respond(sock, method, target, 400, b"", close=True)
                return False
            if name == b"authorization":
                auth.append(value.strip(b" \t"))
            elif name == b"host":
                hosts.append(value.decode("latin-1"))
            elif name == b"connection" and b"close" in value.lower():
                close = True
            elif name in (b"content-length", b"transfer-encoding"):
                close = True  # a body is never read: the connection ends after the answer
        if not self._host_ok(hosts):  # DNS rebinding: another name for this address
            self._respond(sock, method, target, 400, _SERVE_BODIES[400], close=True)
            return False
        if method != "GET":  # HEAD and OPTIONS included
            self._respond(sock, method, target, 405, _SERVE_BODIES[405], close=True, allow=True)
            return False
        hold = None
        if not auth:
            status, body = 401, _SERVE_BODIES[401]
        elif len(auth) != 1 or not hmac.compare_digest(auth[0], self._token):
            status, body, hold = 403, _SERVE_BODIES[403], self._wrong_token()
        elif target.partition("?")[0] != _SERVE_PATH:
            status, body = 404, _SERVE_BODIES[404]
        else:
            cached = self._source.cached()
            if cached is None:  # a refresh, or a file to read: not on the loop
                self._hand_off(sock, method, target)
                return False
            status, body = cached
        close = close or status != 200  # a client that got an error starts afresh
        self._respond(sock, method, target, status, body, close=close, hold=hold)
        return not close

    def _wrong_token(self) -> float:
        """The clock time a wrong token's 403 may leave: guessing gets slower and slower."""
        now = self._clock()
        if now - self._last_wrong > self._FORGIVE:
            self._delay = 0.0
        self._delay = min(self._MAX_DELAY, max(self._FIRST_DELAY, self._delay * 2))
        self._last_wrong = now
        return now + self._delay

    def _hand_off(self, sock: Any, method: str, target: str) -> None:
        import threading

        self._conns.pop(sock, None)
        self._selector.unregister(sock)

        def answer() -> None:
            try:
                status, body = self._source.answer()
                sock.settimeout(self._timeout)
                sock.sendall(self._response(status, body, close=True))
                self._note(method, target, status)
            except OSError:
                pass  # the client left
            finally:
                sock.close()

        threading.Thread(target=answer, daemon=True).start()

    def _response(
        self, status: int, body: bytes, *, close: bool, allow: bool = False, head_only: bool = False
    ) -> bytes:
        head = (
            f"HTTP/1.1 {status} {self._REASONS[status]}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n"
            + ("Allow: GET\r\n" if allow else "")
            + ("Connection: close\r\n" if close else "")
            + "\r\n"
        )
        return head.encode("ascii") + (b"" if head_only else body)

    def _respond(
        self,
        sock: Any,
        method: str,
        target: str,
        status: int,
        body: bytes,
        *,
        close: bool,
        allow: bool = False,
        hold: float | None = None,
    ) -> None:
        data = self._response(status, body, close=close, allow=allow, head_only=method == "HEAD")
        self._note(method, target, status)
        conn = self._conns[sock]
        conn[1], conn[3] = data, close
        if hold is None:
            self._flush(sock)
            return
        conn[4] = hold  # sent by _timers once the clock passes it
        self._selector.unregister(sock)

    def _flush(self, sock: Any) -> None:
        import selectors

        conn = self._conns[sock]
        try:
            sent = sock.send(conn[1])
        except (BlockingIOError, InterruptedError):
            sent = 0
        conn[1] = conn[1][sent:]
        waiting = self._selector.get_key(sock).events == selectors.EVENT_WRITE
        if conn[1]:  # the rest when the socket can take it
            if not waiting:
                self._selector.modify(sock, selectors.EVENT_WRITE)
            return
        if conn[3]:
            self._drop(sock)
            return
        conn[2] = self._clock() + self._timeout  # the next request head's deadline
        self._conns[sock] = self._conns.pop(sock)  # the newest again
        if waiting:
            self._selector.modify(sock, selectors.EVENT_READ)
            self._process(sock)  # requests that arrived while this answer waited

    def _note(self, method: str, target: str, status: int) -> None:
        if self._log is not None:
            self._log(f"{_one_line(method, 20)} {_one_line(target, 100)} {status}")


_TOKEN_MIN: Final = 16  # characters of a --token-file token


def _read_token_file(path: str, *, note: Callable[[str], None] | None = None) -> str:
    """The authorization token in ``path``: a regular file of the current user
    that no other user can read or write, holding one line of printable ASCII,
    16 characters at least, read with :func:`_read_checked` (no link, no
    blocking: a FIFO is refused, not waited on; checked on the open
    descriptor before it is read).  When there is no such file, it is created
    (mode 0600, exclusively, never through a link) with a new random token
    (256 bits), and ``note`` hears of it; later runs read that token."""

    def unshared(info: os.stat_result) -> None:
        if os.name == "posix" and info.st_mode & 0o066:
            raise ParamValidationError(
                "--token-file", "must not be readable or writable by other users (chmod 600)"
            )

    def read() -> bytes:
        return _read_checked(path, "token file", limit=4096, links=False, root_ok=False, check=unshared)

    try:
        try:
            raw = read()
        except FileNotFoundError:
            token = _new_token_file(path)
            if token is not None:
                if note is not None:
                    note(f"created {_one_line(path, 200)} (mode 0600) with a new token")
                return token
            raw = read()  # another process created it meanwhile
    except UnsafeFileError as exc:
        raise ParamValidationError("--token-file", f"cannot be used: {exc}") from exc
    except OSError as exc:
        raise ParamValidationError("--token-file", f"cannot be read ({exc.strerror or exc})") from exc
    text = raw.decode("ascii", "replace").strip()
    if not text:
        raise ParamValidationError("--token-file", "is empty")
    if len(raw) > 4096 or not re.fullmatch(r"[\x20-\x7e]+", text):
        raise ParamValidationError("--token-file", "must hold one line of printable ASCII (4 KiB at most)")
    if len(text) < _TOKEN_MIN:
        raise ParamValidationError(
            "--token-file",
            f"must hold a token of {_TOKEN_MIN} characters at least (a short one is guessed in seconds)",
        )
    return text


def _new_token_file(path: str) -> str | None:
    """Create ``path`` (0600, exclusively, not through a link) holding a new
    random token; ``None`` when it exists by now."""
    import secrets

    token = secrets.token_urlsafe(32)
    try:
        fd = _open_no_follow(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, "token file")
    except FileExistsError:
        return None
    except OSError as exc:
        raise ParamValidationError("--token-file", f"cannot be created ({exc.strerror or exc})") from None
    try:
        try:
            os.write(fd, (token + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        os.unlink(path)  # ours, and incomplete
        raise ParamValidationError("--token-file", f"cannot be written ({exc.strerror or exc})") from None
    return token


# --------------------------------------------------------------------------
# Credential export (PROTOCOL.md §12)
# --------------------------------------------------------------------------

_EXPORT_FORMATS: Final = ("process", "env", "env-no-export", "powershell", "windows-cmd", "fish", "json")
# Unquoted when the whole value is made of these (credentials almost always are).
_SH_PLAIN: Final = r"[A-Za-z0-9+/=_.:@%-]+"
_FISH_PLAIN: Final = r"[A-Za-z0-9+/=_.:@-]+"  # fish still expands %self at a word's start
# The characters PowerShell reads as a single quote (its language spec, verbatim strings).
_PS_QUOTES: Final = "'\u2018\u2019\u201a\u201b"
# cmd.exe: `set NAME=value` takes printable ASCII as is, except % and ! (variable
# expansion, delayed or not), ^ (escape, line continuation), & | < > (operators),
# ( ) (blocks), " (quoting) and spaces; there is no quoting that disarms them all.
_CMD_SAFE: Final = r"[\x21-\x7e]+"
_CMD_UNSAFE: Final = '%!^&|<>()"'


def _export(creds: Credentials, fmt: str) -> str:
    """Credentials in one of ``aws configure export-credentials``'s formats.

    JSON formats escape every character; the shell formats quote for every
    quote character their shell knows and refuse (:class:`SigninTokenError`)
    a value holding a control or other non-printable character.
    """
    expiration = _format_timestamp(creds.expiration)
    if fmt in ("process", "json"):
        doc: dict[str, Any] = {
            "Version": 1,
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key,
            "SessionToken": creds.session_token,
            "Expiration": expiration,
        }
        if fmt == "json" or creds.account_id is not None:
            doc["AccountId"] = creds.account_id  # the SDKs read it from a credential_process too
        if fmt == "json":
            doc["LoginSession"] = creds.login_session
        return json.dumps(doc, indent=None if fmt == "process" else 2) + "\n"
    values = (
        ("AWS_ACCESS_KEY_ID", creds.access_key_id),
        ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key),
        ("AWS_SESSION_TOKEN", creds.session_token),
        ("AWS_CREDENTIAL_EXPIRATION", expiration),
    )
    if not all(v.isprintable() for _, v in values):
        raise SigninTokenError(f"credentials hold characters that cannot be written safely as {fmt}")
    if fmt == "windows-cmd" and not all(
        re.fullmatch(_CMD_SAFE, v) and not any(c in _CMD_UNSAFE for c in v) for _, v in values
    ):
        raise SigninTokenError("credentials hold characters cmd.exe cannot take safely")
    line = {
        "env": "export {name}={sh}",
        "env-no-export": "{name}={sh}",
        "fish": "set -gx {name} {fish}",
        "powershell": "$Env:{name}={ps}",
        "windows-cmd": "set {name}={raw}",
    }[fmt]
    return "".join(
        line.format(name=n, raw=v, sh=_sh_quote(v), fish=_fish_quote(v), ps=_ps_quote(v)) + "\n"
        for n, v in values
    )


def _sh_quote(value: str) -> str:
    """POSIX shell quoting: plain when safe, else single quotes, inside which
    nothing but ' is special ('\\'' for ')."""
    if re.fullmatch(_SH_PLAIN, value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def _fish_quote(value: str) -> str:
    """fish quoting: inside single quotes fish reads \\\\ and \\' as escapes."""
    if re.fullmatch(_FISH_PLAIN, value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ps_quote(value: str) -> str:
    """A PowerShell verbatim string: each of its five single-quote characters doubled."""
    return "'" + "".join(c + c if c in _PS_QUOTES else c for c in value) + "'"


# --------------------------------------------------------------------------
# Command line: python -m signin_token
# --------------------------------------------------------------------------

# Exit codes.
_EXIT_OK: Final = 0
_EXIT_ERROR: Final = 1
_EXIT_USAGE: Final = 2
_EXIT_LOGIN: Final = 3

_DESCRIPTION: Final = """\
AWS credentials from an AWS console sign-in, like `aws login`, with no AWS CLI,
botocore or awscrt.  Shares ~/.aws/config and ~/.aws/login/cache with them.

exit codes: 0 success, 1 error, 2 usage or invalid input (nothing was done),
3 a new login is needed (the message says what to run), 130 interrupted
"""


def _seconds(text: str) -> float:
    """argparse type: a positive, finite number of seconds (no nan, no inf)."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError("must be a number of seconds from 0 to 86400")
    return value


# The command line as data: the shared options, then each command's name,
# aliases, help and options (the shared ones it uses first), and its examples.
# Only the command being run gets a full parser (a parser costs milliseconds at
# every start-up); the others are listed by name and help.
_FLAG: Final[dict[str, Any]] = {"action": "store_true"}
_HIDDEN: Final = "==SUPPRESS=="  # help for argparse.SUPPRESS (not in --help), argparse not imported
_PROFILE_OPTION: Final[_Option] = (
    ("--profile",),
    {"help": "the profile to use (default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, else default)"},
)
_REGION_OPTION: Final[_Option] = (
    ("--region",),
    {"help": "the Sign-In region (default: $AWS_REGION, $AWS_DEFAULT_REGION, else the profile's region)"},
)
_ENDPOINT_OPTION: Final[_Option] = (
    ("--endpoint-url",),
    {
        "metavar": "URL",
        "help": "the Sign-In endpoint (default: $AWS_ENDPOINT_URL_SIGNIN, $AWS_ENDPOINT_URL, the "
        "profile's services section or endpoint_url, else the region's endpoint)",
    },
)
_TIMEOUT_OPTION: Final[_Option] = (
    ("--timeout",),
    {
        "type": _seconds,
        "default": _DEFAULT_TIMEOUT,
        "metavar": "SECONDS",
        "help": "seconds each HTTP exchange may take (default: %(default)s)",
    },
)
_DEBUG_OPTION: Final[_Option] = (
    ("--debug",),
    {
        **_FLAG,
        "help": "show each HTTP attempt and, on failure, the traceback; secrets redacted (default: off)",
    },
)
_COMMON_OPTIONS: Final[tuple[_Option, ...]] = (
    _PROFILE_OPTION,
    _REGION_OPTION,
    _ENDPOINT_OPTION,
    _TIMEOUT_OPTION,
    _DEBUG_OPTION,
)
_OFFLINE: Final = (_PROFILE_OPTION, _DEBUG_OPTION)  # what a command that reads local files only takes


def _only_with(flag: str, options: tuple[_Option, ...]) -> tuple[_Option, ...]:
    """``options`` of a command that goes online only with ``flag``: each help says so."""
    return tuple(
        (flags, {**kwargs, "help": f"{kwargs['help']}; used only with {flag}"}) for flags, kwargs in options
    )


_FORMAT_HELP: Final = (
    "output format: process (the credential_process JSON), env, env-no-export, powershell, "
    "windows-cmd, fish or json (default: %(default)s)"
)


class _OperationNames(tuple[str, ...]):
    """The operations as the AWS CLI v2 names them (``list-sessions``), what
    ``api --help`` and the completion scripts offer; ``in`` also accepts the
    model's names (``ListSessions``), so argparse takes either."""

    def __contains__(self, name: object) -> bool:
        return name in _OPERATIONS or super().__contains__(name)


_OPERATION_NAMES: Final = _OperationNames(op.cli_name for op in _OPERATIONS.values())
_COMMANDS: Final[tuple[tuple[str, tuple[str, ...], str, tuple[_Option, ...]], ...]] = (
    (
        "login",
        (),
        "sign in with a browser and store the session, as `aws login` does",
        (
            *_COMMON_OPTIONS,
            (
                ("--remote",),
                {
                    **_FLAG,
                    "help": "the browser is on another device: paste the code it shows (default: here)",
                },
            ),
            (
                ("--no-browser",),
                {**_FLAG, "help": "print the URL but do not open a browser (default: open one)"},
            ),
            (
                ("--redirect-port",),
                {
                    "type": int,
                    "default": 0,
                    "metavar": "PORT",
                    "help": "fixed loopback port for the browser's redirect, e.g. for an SSH tunnel "
                    "(default: any free port)",
                },
            ),
            (
                ("--callback-timeout",),
                {
                    "type": _seconds,
                    "default": _CALLBACK_WAIT,
                    "metavar": "SECONDS",
                    "help": "seconds to wait for the browser (default: %(default)s)",
                },
            ),
            (
                ("--skip-if-valid",),
                {**_FLAG, "help": "do nothing if the session is valid or can be refreshed (default: off)"},
            ),
            (
                ("--yes",),
                {
                    **_FLAG,
                    "help": "replace the profile's current login_session with a different session "
                    "without asking (default: ask after the sign-in; with no terminal, store nothing)",
                },
            ),
        ),
    ),
    (
        "credentials",
        ("export-credentials",),
        "print the profile's credentials, refreshing them when needed",
        (
            *_COMMON_OPTIONS,
            (("--format",), {"choices": _EXPORT_FORMATS, "default": "process", "help": _FORMAT_HELP}),
            (
                ("--login",),
                {
                    **_FLAG,
                    "help": "when the session can no longer be refreshed, sign in with the browser "
                    "(URL on stderr), then print the credentials; concurrent callers share one "
                    "sign-in (default: off, exit 3)",
                },
            ),
        ),
    ),
    (
        "refresh",
        (),
        "refresh the session's credentials when 5 minutes or less remain, and say what was done",
        (*_COMMON_OPTIONS, (("--force",), {**_FLAG, "help": "refresh even if still valid (default: off)"})),
    ),
    (
        "status",
        (),
        "show the session from local files (no network); exit 3 when a login is needed",
        (*_OFFLINE, (("--json",), {**_FLAG, "help": "print one JSON object (default: text)"})),
    ),
    (
        "sessions",
        (),
        "list every profile that uses a login session, from local files (no network unless --remote)",
        (
            *_only_with("--remote", (_PROFILE_OPTION, _REGION_OPTION, _ENDPOINT_OPTION, _TIMEOUT_OPTION)),
            _DEBUG_OPTION,
            (("--json",), {**_FLAG, "help": "print a JSON list, one object a profile (default: a table)"}),
            (
                ("--remote",),
                {
                    **_FLAG,
                    "help": "also list the caller's sign-in sessions from the service (ListSessions, "
                    "every page, signed with the profile's credentials); with --json one object: "
                    "items (the service's) and local (default: local files only)",
                },
            ),
        ),
    ),
    (
        "logout",
        (),
        "delete the profile's cached session (credentials already issued stay valid until they expire)",
        (
            *_OFFLINE,
            *_only_with("--revoke", (_REGION_OPTION, _ENDPOINT_OPTION, _TIMEOUT_OPTION)),
            (
                ("--revoke",),
                {
                    **_FLAG,
                    "help": "first revoke the session's refresh token on the service "
                    "(RevokeOAuth2TokenWithIAM, signed with the session's own credentials); if the "
                    "service refuses, the local session is kept (default: local only)",
                },
            ),
            (
                ("--all",),
                {
                    **_FLAG,
                    "help": "delete every cached login session, whichever profile uses it (default: off)",
                },
            ),
        ),
    ),
    (
        "exec",
        (),
        "run a command with the profile's credentials, served to it (and refreshed) while it runs",
        (
            *_COMMON_OPTIONS,
            (
                ("argv",),
                {
                    "nargs": "*",
                    "metavar": "-- CMD [ARGS...]",
                    "help": "the command to run, after -- (default: $SHELL, else /bin/sh)",
                },
            ),
            (
                ("--static",),
                {
                    **_FLAG,
                    "help": "put the credentials themselves in the environment instead of serving "
                    "them (AWS_ACCESS_KEY_ID...): they expire within 15 minutes and are not "
                    "refreshed (default: served)",
                },
            ),
        ),
    ),
    (
        "serve",
        (),
        "serve the profile's credentials to AWS SDKs on loopback (container credentials)",
        (
            *_COMMON_OPTIONS,
            (("--host",), {"default": "127.0.0.1", "help": "address to listen on (default: %(default)s)"}),
            (
                ("--port",),
                {"type": int, "default": 0, "help": "port to listen on (default: any free port)"},
            ),
            (
                ("--token-file",),
                {
                    "metavar": "FILE",
                    "help": "file holding the authorization token: yours, mode 0600, 16 characters or "
                    "more; created with a new random token when missing (default: a new token each start)",
                },
            ),
            (
                ("--format",),
                {
                    "choices": ("plain", "env", "json"),
                    "default": "plain",
                    "help": "how to print AWS_CONTAINER_CREDENTIALS_FULL_URI and "
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN: NAME=value lines (plain), export lines "
                    "(env) or one JSON object (default: %(default)s)",
                },
            ),
            (
                ("--allow-non-loopback",),
                {
                    **_FLAG,
                    "help": "allow a --host that is not loopback. Anyone who can reach the port "
                    "and learns the token gets the credentials, and the token travels in clear "
                    "text over http (default: loopback only)",
                },
            ),
        ),
    ),
    (
        "completion",
        (),
        "print a shell completion script: bash, zsh or fish",
        (
            (("shell",), {"nargs": "?", "choices": ("bash", "zsh", "fish"), "help": "the shell"}),
            (("--profiles",), {**_FLAG, "help": _HIDDEN}),  # what the scripts run: profile names
        ),
    ),
    ("pkce", (), "print a new PKCE verifier, challenge, method and state as JSON", ()),
    (
        "authorize-url",
        (),
        "print the authorize URL of a sign-in",
        (
            _REGION_OPTION,
            _ENDPOINT_OPTION,
            _DEBUG_OPTION,
            (("--remote",), {**_FLAG, "help": "the cross-device client (default: same-device)"}),
            (
                ("--redirect-uri",),
                {
                    "metavar": "URI",
                    "help": "redirect URI (default for --remote: the confirmation page; required otherwise)",
                },
            ),
            (
                ("--code-challenge",),
                {"required": True, "metavar": "CHALLENGE", "help": "the PKCE challenge (required; see pkce)"},
            ),
            (("--state",), {"required": True, "help": "the state to expect back (required; see pkce)"}),
        ),
    ),
    (
        "dpop-key",
        (),
        "print or write a new DPoP key (SEC 1 PEM)",
        (
            _DEBUG_OPTION,
            (("--output",), {"metavar": "FILE", "help": "file to create with mode 0600 (default: stdout)"}),
        ),
    ),
    (
        "token",
        (),
        "make one CreateOAuth2Token call and print the response body",
        (
            _REGION_OPTION,
            _ENDPOINT_OPTION,
            _TIMEOUT_OPTION,
            _DEBUG_OPTION,
            (
                ("--dpop-key",),
                {"required": True, "metavar": "FILE", "help": "PEM file of the DPoP key (required)"},
            ),
            (("--form",), {**_FLAG, "help": "send a form-encoded body (default: JSON)"}),
            (
                ("--input-json",),
                {
                    "metavar": "FILE",
                    "help": "the wire-format request body: a file, or - for stdin (default: the flags below)",
                },
            ),
            (
                ("--grant-type",),
                {
                    "choices": ("authorization_code", "refresh_token"),
                    "help": "the grant (required without --input-json)",
                },
            ),
            (
                ("--client-id",),
                {
                    "metavar": "ARN",
                    "help": f"the client, e.g. {SAME_DEVICE_CLIENT_ID} (required without --input-json)",
                },
            ),
            (("--code",), {"help": "the authorization code (authorization_code grant)"}),
            (
                ("--redirect-uri",),
                {"metavar": "URI", "help": "the redirect URI of the sign-in (authorization_code grant)"},
            ),
            (
                ("--code-verifier",),
                {
                    "help": "the PKCE verifier (required for the authorization_code grant; write "
                    "--code-verifier=V if V starts with -)"
                },
            ),
            (
                ("--refresh-token",),
                {
                    "help": "the refresh token (required for the refresh_token grant; prefer "
                    "--input-json - to keep it off the command line)"
                },
            ),
        ),
    ),
    (
        "api",
        (),
        "call one operation of the Sign-In API and print its response as JSON",
        (
            *_COMMON_OPTIONS,
            (
                ("operation",),
                {
                    "nargs": "?",
                    "choices": _OPERATION_NAMES,
                    "metavar": "OPERATION",
                    "help": "the operation, as the AWS CLI names it (list-sessions) or as the model "
                    "does (ListSessions); see --list",
                },
            ),
            (("--list",), {**_FLAG, "help": "print every operation's name, one a line (default: off)"}),
            (
                ("--input-json",),
                {
                    "metavar": "FILE",
                    "help": "the request: a file, or - for stdin, holding one JSON object keyed by "
                    "the model's member names (default: {})",
                },
            ),
            (
                ("--no-paginate",),
                {
                    **_FLAG,
                    "help": "print only the first page of a paginated operation, with its nextToken "
                    "(default: every page, the lists joined)",
                },
            ),
            (
                ("--dry-run",),
                {
                    **_FLAG,
                    "help": "print the first request (method, url, headers, body), signed, with every "
                    "secret redacted, and send nothing (default: off)",
                },
            ),
            (
                ("--dpop-key",),
                {
                    "metavar": "FILE",
                    "help": "PEM file of the DPoP key (required for create-oauth2-token, refused otherwise)",
                },
            ),
        ),
    ),
)
# Two or three real examples at the end of each command's help ("{prog}" is the program).
_EXAMPLES: Final[dict[str, tuple[str, ...]]] = {
    "login": (
        "{prog} login --profile dev",
        "{prog} login --profile dev --region eu-west-1 --remote",
        "{prog} login --skip-if-valid",
    ),
    "credentials": (
        "{prog} credentials --profile dev",
        "{prog} credentials --profile dev --format env",
        "credential_process = {prog} credentials --profile dev --login   (in ~/.aws/config)",
    ),
    "refresh": ("{prog} refresh --profile dev", "{prog} refresh --profile dev --force"),
    "status": ("{prog} status --profile dev", "{prog} status --json"),
    "sessions": ("{prog} sessions", "{prog} sessions --json", "{prog} sessions --remote --profile dev"),
    "logout": ("{prog} logout --profile dev", "{prog} logout --all", "{prog} logout --profile dev --revoke"),
    "exec": (
        "{prog} exec --profile dev -- terraform apply",
        "{prog} exec --profile dev -- aws sts get-caller-identity",
        "{prog} exec --profile dev            (a shell)",
    ),
    "serve": (
        "{prog} serve --profile dev",
        "{prog} serve --profile dev --port 9911 --token-file ~/.aws/serve-token --format env",
    ),
    "completion": ("source <({prog} completion bash)", "{prog} completion fish | source"),
    "pkce": ("{prog} pkce", "{prog} pkce > pkce.json"),
    "authorize-url": (
        "{prog} authorize-url --region us-east-1 --remote --code-challenge C --state S",
        "{prog} authorize-url --region eu-west-1 --redirect-uri http://127.0.0.1:4321/oauth/callback "
        "--code-challenge C --state S",
    ),
    "dpop-key": ("{prog} dpop-key --output key.pem", "{prog} dpop-key > key.pem"),
    "token": (
        "{prog} token --region us-east-1 --dpop-key key.pem --input-json - < body.json",
        "{prog} token --endpoint-url http://127.0.0.1:8000 --dpop-key key.pem --form --input-json body.json",
    ),
    "api": (
        "{prog} api --list",
        "{prog} api list-sessions --profile dev --region us-east-1",
        "{prog} api get-session --profile dev --input-json session.json --dry-run",
    ),
}


def _build_parser(argv: Sequence[str]) -> tuple[Any, Any]:
    """The argparse parser, complete for the command named in ``argv``, and
    that command's own parser (``None`` when no known command is named).

    The shared options are accepted before the command too (``--profile dev
    status``), as AWS CLI habits put them; a value given there counts only for
    a command that takes that option.
    """
    import argparse

    at = _command_index(argv)
    chosen = _canonical(argv[at]) if at is not None else None
    before = argv[:at] if at is not None else argv
    listing = chosen is None or any(a in ("-h", "--help") for a in before)
    try:  # what argparse would ask shutil for, without importing shutil (and lzma, bz2)
        columns = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size(sys.stderr.fileno()).columns
    except (ValueError, OSError):
        columns = 80

    def formatter(prog: str) -> Any:
        return argparse.RawDescriptionHelpFormatter(prog, width=max(columns - 2, 40))

    def add(parser: Any, flags: tuple[str, ...], kwargs: dict[str, Any], *, shared: bool) -> None:
        kwargs = dict(kwargs)
        if kwargs.get("help") == _HIDDEN:  # argparse tells SUPPRESS by identity
            kwargs["help"] = argparse.SUPPRESS
        if shared:  # filled in by _finish_args, so a value before the command survives
            if "help" in kwargs and "default" in kwargs:
                kwargs["help"] = kwargs["help"].replace("%(default)s", f"{kwargs['default']:g}")
            kwargs["default"] = argparse.SUPPRESS
        parser.add_argument(*flags, **kwargs)

    program = _program()
    parser = argparse.ArgumentParser(
        prog=program,
        description=_DESCRIPTION,
        epilog=f"Run '{program} COMMAND --help' for a command's options and examples.",
        formatter_class=formatter,
        allow_abbrev=False,  # --prof is refused, never taken for --profile
    )
    parser.add_argument(
        "--version", action="version", version=f"signin-token {__version__}", help="show the version and exit"
    )
    for flags, kwargs in _COMMON_OPTIONS:
        add(parser, flags, kwargs, shared=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    sub.required = True
    own = None
    for name, aliases, text, options in _COMMANDS:
        if name != chosen:
            if listing:
                sub.add_parser(
                    name,
                    aliases=list(aliases),
                    help=text,
                    add_help=False,
                    formatter_class=formatter,
                    allow_abbrev=False,
                )
            continue
        examples = "\n".join("  " + e.format(prog=program) for e in _EXAMPLES.get(name, ()))
        own = sub.add_parser(
            name,
            aliases=list(aliases),
            help=text,
            description=text,
            epilog=f"examples:\n{examples}" if examples else None,
            usage=f"{program} exec [options] [-- CMD [ARGS...]]" if name == "exec" else None,
            formatter_class=formatter,
            allow_abbrev=False,
        )
        for flags, kwargs in options:
            add(own, flags, kwargs, shared=(flags, kwargs) in _COMMON_OPTIONS)
    return parser, own


def _command_index(argv: Sequence[str]) -> int | None:
    """Where in ``argv`` the command is, skipping the shared options (and their
    values) before it; ``None`` when no known command is named."""
    at = _first_word(argv)
    return at if at is not None and _canonical(argv[at]) is not None else None


def _first_word(argv: Sequence[str]) -> int | None:
    """Where in ``argv`` the first word that is not an option is (the command
    word, known or not), skipping the shared options and their values."""
    takes_value = {f for flags, kw in _COMMON_OPTIONS if kw.get("action") != "store_true" for f in flags}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return None
        if arg.startswith("-"):
            i += 2 if arg in takes_value else 1
            continue
        return i
    return None


def _refuse_unknown_command(parser: Any, argv: Sequence[str]) -> None:
    """A command word that names no command: the usage and the closest
    command (argparse before 3.12 lists them all, without a guess)."""
    at = _first_word(argv)
    if at is None or _canonical(argv[at]) is not None:
        return
    if any(a in ("-h", "--help", "--version") for a in argv[:at]):
        return  # argparse answers those before it reads the command
    import difflib

    options = sorted({f for flags, _ in _COMMON_OPTIONS for f in flags} | {"--help", "--version"})
    for arg in argv[:at]:  # an unknown option (--prof dev status) took the command's place
        flag = arg.split("=", 1)[0]
        if flag.startswith("-") and flag not in options:
            close = difflib.get_close_matches(flag, options, n=1)
            guess = f"; did you mean {close[0]}?" if close else ""
            parser.error(f"unrecognized option {_one_line(flag, 60)}{guess}")
    names = [word for name, aliases, _, _ in _COMMANDS for word in (name, *aliases)]
    close = difflib.get_close_matches(argv[at], names, n=1)
    guess = f"; did you mean {close[0]!r}?" if close else ""
    parser.error(f"unknown command {_one_line(argv[at], 60)!r}{guess} (commands: {', '.join(names)})")


def _canonical(word: str) -> str | None:
    """The command ``word`` names (an alias gives its command), or ``None``."""
    return next((name for name, aliases, _, _ in _COMMANDS if word == name or word in aliases), None)


def _refuse_extras(own: Any, args: Any, arguments: Sequence[str], extras: Sequence[str]) -> None:
    """Unknown arguments: the command's usage, the closest option to the first
    unknown one (``--prof``: did you mean ``--profile``), and for exec the
    ``--`` it needs."""
    if getattr(args, "command", None) == "exec" and "--" not in arguments:
        _exec_needs_dashes(own, args, arguments, extras)
    guess = ""
    flag = next((a.split("=", 1)[0] for a in extras if a.startswith("--")), None)
    if flag is not None:
        import difflib

        options = [o for action in own._actions for o in action.option_strings if o.startswith("--")]
        close = difflib.get_close_matches(flag, options, n=1)
        guess = f"; did you mean {close[0]}?" if close else ""
    own.error(f"unrecognized arguments: {' '.join(_sh_quote(a) for a in extras)}{guess}")


def _exec_needs_dashes(own: Any, args: Any, arguments: Sequence[str], extras: Sequence[str]) -> None:
    """exec's command given without ``--``: say where ``--`` goes."""
    first = (list(args.argv) + list(extras))[0]
    start = arguments.index("exec") + 1 if "exec" in arguments else 0
    cut = arguments.index(first, start)
    ours = " ".join(_sh_quote(a) for a in arguments[:cut])
    theirs = " ".join(_sh_quote(a) for a in arguments[cut:])
    own.error(f"put -- before the command to run: {_program()} {ours} -- {theirs}")


def _credential_process_args(arguments: Sequence[str]) -> Any | None:
    """The namespace argparse would give for the ``credential_process`` line
    (``credentials`` with only ``--profile`` and ``--format``, in full), or
    ``None`` for anything else.  That line runs whenever an SDK wants
    credentials: importing argparse and building its parser would be a good
    part of the run."""
    if not arguments or arguments[0] not in ("credentials", "export-credentials"):
        return None
    given: dict[str, str] = {}
    rest = list(arguments[1:])
    while rest:
        flag, has_value, value = rest.pop(0).partition("=")
        if not has_value:
            if not rest:
                return None
            value = rest.pop(0)
        name = {"--profile": "profile", "--format": "format"}.get(flag)
        if name is None or name in given or value.startswith("-") or (name == "profile" and not value):
            return None  # anything else is argparse's to read (and to refuse)
        given[name] = value
    if given.get("format", "process") not in _EXPORT_FORMATS:
        return None
    import types

    return types.SimpleNamespace(
        command=arguments[0],
        profile=given.get("profile"),
        region=None,
        endpoint_url=None,
        timeout=_DEFAULT_TIMEOUT,
        debug=False,
        format=given.get("format", "process"),
        login=False,
    )


def _finish_args(args: Any, own: Any | None, arguments: Sequence[str]) -> None:
    """After parsing: refuse a shared option the command does not take, fill in
    the defaults of the shared options, and insist on ``--`` before exec's command."""
    if own is None:  # pragma: no cover - argparse has refused a missing or unknown command
        return
    mine = {action.dest for action in own._actions}
    for flags, kwargs in _COMMON_OPTIONS:
        dest = flags[0].lstrip("-").replace("-", "_")
        if dest not in mine and hasattr(args, dest):
            own.error(f"{flags[0]} is not an option of {args.command}")
        if not hasattr(args, dest):
            setattr(
                args, dest, kwargs.get("default", False if kwargs.get("action") == "store_true" else None)
            )
    if args.command == "exec" and args.argv and "--" not in arguments:
        _exec_needs_dashes(own, args, arguments, ())


def _cmd_token(
    args: Any,
    stdin: TextIO,
    stdout: TextIO,
    log: Callable[[str], None],
    skew: Callable[[float], None],
    timing: Mapping[str, Any],
) -> int:
    flags = (
        args.grant_type,
        args.client_id,
        args.code,
        args.redirect_uri,
        args.code_verifier,
        args.refresh_token,
    )
    if args.input_json is not None:
        if any(v is not None for v in flags):
            raise ParamValidationError("--input-json", "cannot be combined with the body flags")
        raw = _read_argument_file(args.input_json, stdin, "--input-json", _MAX_RESPONSE_BYTES)
        try:
            data = _load_json_object(raw, "--input-json")
        except ValueError as exc:
            raise ParamValidationError("--input-json", str(exc)) from exc
        body = CreateOAuth2TokenRequestBody.from_dict(data)
    else:
        if args.grant_type is None or args.client_id is None:
            raise ParamValidationError("--grant-type/--client-id", "are required without --input-json")
        body = CreateOAuth2TokenRequestBody(
            client_id=args.client_id,
            grant_type=args.grant_type,
            code=args.code,
            redirect_uri=args.redirect_uri,
            code_verifier=args.code_verifier,
            refresh_token=args.refresh_token,
        )
    key = DPoPKey.from_pem(_read_argument_file(args.dpop_key, stdin, "--dpop-key", 65536))
    client = SigninClient(
        args.region,
        endpoint_url=args.endpoint_url,
        timeout=args.timeout,
        clock=timing["clock"],
        sleep=timing["sleep"],
        on_clock_skew=skew,
        on_event=log if args.debug else None,
    )
    log(f"POST {client.token_url} grantType={body.grant_type} jkt={key.thumbprint()}")
    out = client.create_oauth2_token(
        CreateOAuth2TokenRequest(body), key, body_format="form" if args.form else "json"
    )
    stdout.write(json.dumps(out.token_output.to_dict()) + "\n")
    return _EXIT_OK


def _skew_warner(stderr: TextIO) -> Callable[[float], None]:
    """The clock-skew callback of one CLI run: one line on its stderr."""

    def warn(offset: float) -> None:
        stderr.write(
            f"warning: this computer's clock is off by {abs(offset):.0f} seconds "
            f"({'behind' if offset > 0 else 'ahead of'} the server); using the server's time. "
            "Fix the clock to avoid failed sign-ins.\n"
        )

    return warn


def _summary(prefix: str, creds: Credentials, now: float | None = None) -> str:
    left = int(creds.seconds_left(now))
    return (
        f"{prefix}: session {_one_line(str(creds.login_session), 2000)}, account {creds.account_id}, "
        f"credentials expire {_format_timestamp(creds.expiration)} "
        f"(in {max(left, 0) // 60} min)\n"
    )


def _run(args: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO, timing: Mapping[str, Any]) -> int:
    def log(text: str) -> None:
        if args.debug:
            stderr.write(f"debug: {_one_line(text, 4000)}\n")

    def warn(text: str) -> None:
        stderr.write(f"warning: {_one_line(text, 2000)}\n")

    skew = _skew_warner(stderr)
    trace = log if args.debug else None  # a line per HTTP attempt of the token call
    common = {"region": args.region, "endpoint_url": args.endpoint_url, "timeout": args.timeout}
    common["on_event"] = trace
    cmd = args.command
    if cmd == "pkce":
        stdout.write(json.dumps(generate_pkce().to_dict()) + "\n")
    elif cmd == "authorize-url":
        stdout.write(
            authorization_url(
                code_challenge=args.code_challenge,
                state=args.state,
                region=args.region,
                endpoint_url=args.endpoint_url,
                remote=args.remote,
                redirect_uri=args.redirect_uri,
            )
            + "\n"
        )
    elif cmd == "dpop-key":
        pem = DPoPKey.generate().to_pem()
        if args.output:
            fd = _open_no_follow(args.output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, "output file")
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(pem)
            stderr.write(f"wrote {args.output}\n")
        else:
            stdout.write(pem)
    elif cmd == "token":
        return _cmd_token(args, stdin, stdout, log, skew, timing)
    elif cmd == "login":
        replace = True if args.yes else None
        if args.skip_if_valid:
            try:
                creds = get_credentials(args.profile, on_clock_skew=skew, on_warning=warn, **common, **timing)
            except LoginRequiredError as exc:
                log(f"session not reusable: {exc}")
                replace = True  # a session that cannot be used loses nothing by being replaced
            else:
                stderr.write(_summary("already signed in", creds))
                return _EXIT_OK
        creds = login(
            args.profile,
            remote=args.remote,
            open_browser=not args.no_browser,
            redirect_port=args.redirect_port,
            callback_timeout=args.callback_timeout,
            replace=replace,
            stdin=stdin,
            stderr=stderr,
            on_clock_skew=skew,
            **common,
        )
        stderr.write(_summary(f"signed in profile {_Profile(args.profile, None).name}", creds))
    elif cmd in ("credentials", "export-credentials"):
        if args.login:
            creds = _credentials_or_login(
                args.profile, stdin=stdin, stderr=stderr, on_clock_skew=skew, on_warning=warn, **common
            )
        else:
            creds = get_credentials(args.profile, on_clock_skew=skew, on_warning=warn, **common, **timing)
        stdout.write(_export(creds, args.format))
    elif cmd == "refresh":
        return _cmd_refresh(args, stderr, skew, warn, {**common, **timing})
    elif cmd == "status":
        return _cmd_status(args, stdout, stderr, warn, timing)
    elif cmd == "sessions":
        if args.remote:
            return _cmd_remote_sessions(args, stdout, stderr, skew, trace, warn, timing)
        for flag in ("profile", "region", "endpoint_url"):
            if getattr(args, flag) is not None:
                raise ParamValidationError(f"--{flag.replace('_', '-')}", "is used only with --remote")
        return _cmd_sessions(args, stdout, stderr, warn, timing)
    elif cmd == "logout":
        if args.revoke:
            return _cmd_revoke(args, stderr, skew, warn, trace)
        for flag in ("region", "endpoint_url"):
            if getattr(args, flag) is not None:
                raise ParamValidationError(f"--{flag.replace('_', '-')}", "is used only with --revoke")
        return _cmd_logout(args, stderr)
    elif cmd == "api":
        return _cmd_api(args, stdin, stdout, skew, trace, warn)
    elif cmd == "exec":
        return _cmd_exec(args, stderr, skew, trace)
    elif cmd == "serve":
        return _cmd_serve(args, stdout, stderr, log, skew)
    elif cmd == "completion":
        return _cmd_completion(args, stdout)
    return _EXIT_OK


# What status says of each state of a session.
_STATE_MEANINGS: Final = {
    "valid": "the credentials are valid",
    "refreshable": (
        "the credentials have expired or expire within 5 minutes, but the login session has not "
        "reached its estimated end: the next use refreshes them"
    ),
    "refreshable, end unknown": (
        "the credentials have expired or expire within 5 minutes, and the login session's end is "
        "unknown (its idToken has no sign-in time): the next use refreshes them"
    ),
    "ended": "the login session has passed its estimated end (12 hours after the sign-in): sign in again",
    "ended, refused": (
        "the service refused to refresh the login session, which cannot be used again: sign in again"
    ),
}


def _status_failure(args: Any, exc: SigninTokenError) -> dict[str, Any]:
    """What ``status --json`` prints when there is no usable session:
    ``logged-out`` (no ``login_session``, or no cache entry) or
    ``unusable``, every other member ``None`` (``valid``: false), and the
    ``error`` and the ``login_command`` (when one helps) of the text form."""
    try:
        prof = _session_profile(args.profile, None)
        session = prof.settings.get("login_session") or None
        path = _cache_path(prof.cache_dir, session) if session else None
        names: tuple[str | None, str | None] = (prof.via or prof.name, prof.name)
    except SigninTokenError:
        session = path = None
        names = (args.profile, None)
    gone = session is None or (path is not None and not os.path.lexists(path))
    return {
        "profile": names[0],
        "login_profile": names[1],
        "login_session": session,
        "account_id": _account_of({}, session) if session else None,
        "expiration": None,
        "seconds_left": None,
        "valid": False,
        "state": "logged-out" if gone else "unusable",
        "session_end": None,
        "cache_file": path,
        "refused": False,
        "error": _one_line(str(exc), 2000),
        "login_command": getattr(exc, "command", "") or None,
    }


def _cmd_status(
    args: Any, stdout: TextIO, stderr: TextIO, warn: Callable[[str], None], timing: Mapping[str, Any]
) -> int:
    """``status``: exit 0 while the credentials are valid or the next use
    refreshes them, 3 (with the login command) once the session has ended or
    when there is none.  ``--json`` prints one object in every state
    (``logged-out`` and ``unusable`` too), with the same exit codes."""
    try:
        info = session_status(args.profile, on_warning=warn, **timing)
    except (LoginRequiredError, UnsafeFileError) as exc:
        if not args.json:
            raise
        stdout.write(json.dumps(_status_failure(args, exc)) + "\n")
        raise
    if args.json:
        stdout.write(json.dumps(info) + "\n")
    else:
        left = max(info["seconds_left"], 0)
        end = info["session_end"]
        unknown_end = info["state"] == "refreshable" and end is None
        key = (
            "refreshable, end unknown"
            if unknown_end
            else "ended, refused"
            if info["refused"]
            else info["state"]
        )
        meaning = _STATE_MEANINGS[key]
        via = (
            f" (its credential_process reads profile {info['login_profile']})"
            if info["login_profile"] != info["profile"]
            else ""
        )
        stdout.write(
            f"profile: {info['profile']}{via}\nsession: {_one_line(info['login_session'], 2000)}\n"
            f"account: {info['account_id']}\nexpires: {info['expiration']}\n"
            f"time left: {left // 60} min {left % 60} s\n"
            f"session ends: {end + ' (estimated: sign-in + 12 h)' if end else 'unknown'}\n"
            f"state: {info['state']} ({meaning})\n"
        )
    if info["state"] == "ended":
        stderr.write(f"To sign in again, run: {_command('login', '--profile', info['login_profile'])}\n")
        return _EXIT_LOGIN
    return _EXIT_OK


def _cmd_sessions(
    args: Any, stdout: TextIO, stderr: TextIO, warn: Callable[[str], None], timing: Mapping[str, Any]
) -> int:
    """``sessions``: a table (a header row, padded columns) or ``--json``."""
    rows = _list_sessions(warn=warn, **timing)
    if args.json:
        stdout.write(json.dumps(rows) + "\n")
        return _EXIT_OK
    if not rows:
        stderr.write("no profile uses a login session\n")
    table = [["PROFILE", "USES", "ACCOUNT", "SESSION", "CREDENTIALS EXPIRE", "SESSION ENDS", "STATE"]]
    for row in rows:
        uses = (
            row["source"]
            if row["source"] == "login_session"
            else f"credential_process:{row['login_profile']}"
        )
        cells = [row["profile"], uses, row["account_id"], row["login_session"]]
        cells += [row["expiration"], row["session_end"], row["state"]]
        table.append([_one_line(c) if c else "-" for c in cells])
    _write_table(table, stdout)
    return _EXIT_OK


def _write_table(table: list[list[str]], stdout: TextIO) -> None:
    """``table`` (a header row, then rows of sanitised cells) in columns two
    spaces apart that fit the terminal (:func:`_fit_widths`): a cell cut to
    its column's width ends with an ellipsis (``...`` where the output's
    encoding has none)."""
    widths = _fit_widths([max(len(line[i]) for line in table) for i in range(len(table[0]))], stdout)
    mark = "\u2026"
    try:
        mark.encode(getattr(stdout, "encoding", None) or "utf-8")
    except (LookupError, UnicodeEncodeError):
        mark = "..."
    for line in table:
        cut = [c if len(c) <= w else c[: w - len(mark)] + mark for c, w in zip(line, widths)]
        stdout.write("  ".join(c.ljust(w) for c, w in zip(cut, widths)).rstrip() + "\n")


def _fit_widths(widths: list[int], stdout: TextIO) -> list[int]:
    """Column widths (two spaces apart) that fit ``$COLUMNS``, else the width
    of the terminal ``stdout`` is (a pipe gets every character): the widest
    column is narrowed first (down to 8 characters), then the next widest."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0 and _is_terminal(stdout):
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns
        except (OSError, ValueError):
            columns = 0
    widths = list(widths)
    excess = sum(widths) + 2 * (len(widths) - 1) - columns
    while columns > 0 and excess > 0:
        widest = max(range(len(widths)), key=widths.__getitem__)
        cut = min(excess, widths[widest] - 8)
        if cut <= 0:
            break  # every column is as narrow as it may be
        widths[widest] -= cut
        excess -= cut
    return widths


def _cmd_refresh(
    args: Any,
    stderr: TextIO,
    skew: Callable[[float], None],
    warn: Callable[[str], None],
    common: dict[str, Any],
) -> int:
    """``refresh``: refresh when due (always with ``--force``) and say which happened."""
    prof = _session_profile(args.profile, None)
    prof.region(args.region)  # bad settings: exit 2 before anything is read
    prof.endpoint_url(args.endpoint_url)
    try:
        read = _read_entry(
            prof.cache_path(), prof.login_command, warn, wait=common["torn_read_wait"], sleep=common["sleep"]
        )
        before = read["accessToken"]["accessKeyId"]
    except LoginRequiredError:
        before = None  # get_credentials says why, with the login command
    creds = get_credentials(
        args.profile, force_refresh=args.force, on_clock_skew=skew, on_warning=warn, **common
    )
    left = max(int(creds.seconds_left()), 0)
    expires = f"{_format_timestamp(creds.expiration)} (in {left // 60} min {left % 60} s)"
    session = _one_line(str(creds.login_session), 2000)
    whose = f"profile {prof.name!r} (session {session}, account {creds.account_id})"
    if creds.access_key_id != before:
        stderr.write(f"refreshed: {whose} has new credentials, expiring {expires}\n")
    elif creds.seconds_left() > _REFRESH_WINDOW:
        stderr.write(
            f"nothing to do: the credentials of {whose} are still valid for {left // 60} min "
            f"(they expire {expires}); --force refreshes them anyway\n"
        )
    else:  # the refresh failed and the warning above says why; the cached ones still serve
        stderr.write(f"not refreshed: the cached credentials of {whose} expire {expires}\n")
    return _EXIT_OK


def _cmd_logout(args: Any, stderr: TextIO) -> int:
    """``logout`` as ``aws logout`` does it: no session is a note and exit 0."""
    prof = _session_profile(args.profile, None)
    using = _profiles_using(prof.config, prof.cache_dir)
    if not args.all and not prof.settings.get("login_session"):
        stderr.write(f"warning: {_no_session_message(prof)}\n")
        return _EXIT_OK
    removed = logout(args.profile, all_sessions=args.all)
    for path in removed:
        names = ", ".join(sorted(using.get(path, []))) or "no profile in the config file"
        stderr.write(f"removed {_one_line(path, 2000)} (used by: {_one_line(names, 2000)})\n")
    if not removed:
        what = "any profile" if args.all else f"profile {prof.name!r}"
        stderr.write(f"no cached login session to remove for {what}\n")
    else:
        stderr.write(
            "Credentials already issued stay valid until they expire (at most 15 "
            "minutes); the config file is unchanged.\n"
        )
    return _EXIT_OK


def _cmd_revoke(
    args: Any,
    stderr: TextIO,
    skew: Callable[[float], None],
    warn: Callable[[str], None],
    trace: Callable[[str], None] | None,
) -> int:
    """``logout --revoke``: revoke the session's refresh token on the service,
    then delete the cache entry, saying what was and was not done.

    1. The session's own credentials, refreshed first when due (as every use
       does), to sign ``RevokeOAuth2TokenWithIAM``.
    2. Under the entry's lock (no refresh of ours can rotate the token
       meanwhile): revoke the entry's current refresh token, then delete the
       entry as ``logout`` does.

    When anything before the deletion fails (the service refuses, the
    credentials lack ``signin:RevokeOAuth2TokenWithIAM``, the session has
    ended), the entry is kept, so that the revocation can be retried, and
    the message says how to remove it anyway.
    """
    if args.all:
        raise ParamValidationError(
            "--revoke", "revokes one profile's session; it cannot be combined with --all"
        )
    prof = _Profile(args.profile, None)
    region = prof.region(args.region)  # bad settings: exit 2 before anything is read
    prof.endpoint_url(args.endpoint_url)
    if not prof.settings.get("login_session"):
        stderr.write(f"warning: no login session found for profile {prof.name!r}; nothing revoked\n")
        return _EXIT_OK
    path = prof.cache_path()
    plain = _command("logout", "--profile", prof.name)
    revoked: list[str] = []
    try:
        # 1. The session's current credentials.
        creds = get_credentials(
            args.profile,
            region=args.region,
            endpoint_url=args.endpoint_url,
            timeout=args.timeout,
            on_clock_skew=skew,
            on_warning=warn,
        )
        keys = SigningCredentials(creds.access_key_id, creds.secret_access_key, creds.session_token)
        client = prof.client(region, args.endpoint_url, args.timeout, skew, trace, credentials=keys)

        # 2. Under the lock: revoke the current refresh token, then delete the entry.
        def revoke() -> None:
            token = _read_entry(path, prof.login_command, warn).get("refreshToken")
            if not isinstance(token, str):
                raise LoginRequiredError(f"the cache entry {path} holds no refresh token")
            revoked.append(token)
            client.revoke_oauth2_token_with_iam(RevokeOAuth2TokenWithIAMRequest(token=token))

        removed = _remove_entry(path, revoke)
    except (SigninTokenError, OSError, ValueError, TypeError) as exc:
        if isinstance(exc, ServiceError):
            what = "the service refused to revoke the session's refresh token"
        else:
            what = "the session's refresh token was not revoked"
        text = _one_line(
            _redact(str(exc) if not isinstance(exc, OSError) else str(exc.strerror), revoked), 2000
        )
        stderr.write(
            f"error: {what}: {text}; the local session was NOT removed (so that revoking can be "
            f"retried). To remove it anyway, run: {plain}\n"
        )
        return _exit_code(exc) if not isinstance(exc, LoginRequiredError) else _EXIT_ERROR
    stderr.write(f"revoked the refresh token of session {creds.login_session} on the service\n")
    if removed:
        stderr.write(f"removed {path}\n")
    stderr.write(
        "Credentials already issued stay valid until they expire (at most 15 minutes); "
        "the config file is unchanged.\n"
    )
    return _EXIT_OK


def _api_client(
    args: Any, skew: Callable[[float], None], trace: Callable[[str], None] | None, warn: Callable[[str], None]
) -> SigninClient:
    """The client of ``api`` and ``sessions --remote``: the profile's endpoint,
    FIPS, dual-stack, CA bundle and attempts settings; SigV4 credentials in
    botocore's order (:func:`_signing_keys`), resolved at the first signed call."""
    prof = _Profile(args.profile, None)

    def credentials() -> SigningCredentials:
        return _signing_keys(args.profile, os.environ, timeout=args.timeout, on_warning=warn)

    return prof.client(prof.region(args.region), args.endpoint_url, args.timeout, skew, trace, credentials)


def _read_argument_file(path: str, stdin: TextIO, what: str, limit: int) -> bytes | str:
    """A file named on the command line (``-``: stdin), at most ``limit``
    bytes, read by :func:`_read_checked` (no blocking, no link another user
    made, a regular file of the user's, a bound).  Anything wrong with it is
    a :class:`ParamValidationError` naming ``what`` (exit 2, nothing done)."""
    if path == "-":
        text = stdin.read(limit + 1)
        if len(text) > limit:
            raise ParamValidationError(what, f"stdin holds more than {_size_text(limit)}")
        return text
    try:
        return _read_checked(path, f"{what} file", limit=limit)
    except UnsafeFileError as exc:
        raise ParamValidationError(what, str(exc)) from None
    except OSError as exc:
        raise ParamValidationError(what, f"cannot open {path}: {exc.strerror or exc}") from None


def _cmd_api(
    args: Any,
    stdin: TextIO,
    stdout: TextIO,
    skew: Callable[[float], None],
    trace: Callable[[str], None] | None,
    warn: Callable[[str], None],
) -> int:
    """``api``: one operation of the model by name; prints its response as one
    JSON object keyed by the model's member names (a paginated operation:
    every page, the result lists joined, unless ``--no-paginate``), or with
    ``--dry-run`` its first request, signed and redacted, sending nothing.

    1. ``--list``: the operations' AWS CLI names, one a line.
    2. The request, read and checked against the model before any I/O.
    3. The client (the profile's settings; credentials on first use).
    4. ``--dry-run``, or the call.
    """
    # 1. The names.
    if args.list:
        if args.operation is not None:
            raise ParamValidationError("--list", "takes no OPERATION")
        stdout.write("".join(f"{op.cli_name}\n" for op in _OPERATIONS.values()))
        return _EXIT_OK
    if args.operation is None:
        raise ParamValidationError("OPERATION", f"is required; {_command('api', '--list')} lists them")
    op = SigninClient._operation(args.operation)
    # 2. The request, by the model's member names.
    data: dict[str, Any] = {}
    if args.input_json is not None:
        raw = _read_argument_file(args.input_json, stdin, "--input-json", _MAX_RESPONSE_BYTES)
        try:
            data = _load_json_object(raw, "the input")
        except ValueError as exc:
            raise ParamValidationError("--input-json", str(exc)) from None
    key: DPoPKey | None = None
    if args.dpop_key == "-" and args.input_json == "-":
        raise ParamValidationError("--dpop-key", "cannot be read from stdin too: --input-json - reads it")
    if op.name == "CreateOAuth2Token":
        request: Any = CreateOAuth2TokenRequest.from_dict(data)
        if args.dpop_key is None:
            raise ParamValidationError("--dpop-key", "is required for CreateOAuth2Token (its DPoP proof)")
        key = DPoPKey.from_pem(_read_argument_file(args.dpop_key, stdin, "--dpop-key", 65536))
    elif args.dpop_key is not None:
        raise ParamValidationError("--dpop-key", f"only CreateOAuth2Token takes a DPoP key, not {op.name}")
    else:
        request = _model_class(op.input).from_dict(data, wire=False)
    # 3. The client.
    client = _api_client(args, skew, trace, warn)
    # 4. The first request, or the call.
    if args.dry_run:
        stdout.write(json.dumps(_dry_run(client, op, request, key)) + "\n")
    elif key is not None:
        stdout.write(json.dumps(client.create_oauth2_token(request, key).to_dict()) + "\n")
    elif op.paginator is not None and not args.no_paginate:
        stdout.write(json.dumps(_joined_pages(client, op, request)) + "\n")
    else:
        stdout.write(json.dumps(client.call(op.name, request).to_dict(wire=False)) + "\n")
    return _EXIT_OK


def _joined_pages(client: SigninClient, op: _Operation, request: Any) -> dict[str, Any]:
    """Every page of a paginated operation as one response, as the AWS CLI
    prints it: the result lists joined, the first page's other members, no
    next token."""
    assert op.paginator is not None
    _, output_token, _, result_key = op.paginator
    names = {attr: member for attr, member, _, _, _, _ in _MEMBERS[op.output]}
    joined: dict[str, Any] | None = None
    items: list[Any] = []
    for page in client.pages(op.name, request):
        shown = page.to_dict(wire=False)
        items += shown.pop(names[result_key], [])
        shown.pop(names[output_token], None)
        joined = shown if joined is None else joined
    return {**(joined or {}), names[result_key]: items}


_REDACTED: Final = "***"


def _dry_run(client: SigninClient, op: _Operation, request: Any, key: DPoPKey | None) -> dict[str, Any]:
    """The first request of a call as it would be sent (``method``, ``url``,
    ``headers``, ``body``), signed, with every secret redacted: the security
    token, the signature, the DPoP proof and each sensitive member of the
    body.  Nothing is sent (the pipeline stops at its first step)."""
    step = client._first_request(op.name, request, key)
    secrets_ = {value for value in step.secrets if value}

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return _REDACTED if value in secrets_ else _redact(value, step.secrets)
        if isinstance(value, list):
            return [scrub(item) for item in value]
        if isinstance(value, dict):
            return {name: scrub(item) for name, item in value.items()}
        return value

    headers = {}
    for name, value in step.headers.items():
        if name.lower() in ("x-amz-security-token", "dpop"):
            value = _REDACTED
        elif name.lower() == "authorization":
            value = re.sub(r"Signature=\S+", f"Signature={_REDACTED}", value)
        headers[name] = scrub(value)
    body = json.loads(step.body) if step.body else {}
    return {"method": op.method, "url": step.url, "headers": headers, "body": scrub(body)}


def _cmd_remote_sessions(
    args: Any,
    stdout: TextIO,
    stderr: TextIO,
    skew: Callable[[float], None],
    trace: Callable[[str], None] | None,
    warn: Callable[[str], None],
    timing: Mapping[str, Any],
) -> int:
    """``sessions --remote``: the caller's sign-in sessions from the service
    (``ListSessions``, every page) beside the local view; with ``--json``
    one object, ``items`` (each session by the model's member names) and
    ``local`` (what ``sessions --json`` prints)."""
    client = _api_client(args, skew, trace, warn)
    remote = [session.to_dict(wire=False) for session in client.list_sessions_items()]
    if args.json:
        stdout.write(json.dumps({"items": remote, "local": _list_sessions(warn=warn, **timing)}) + "\n")
        return _EXIT_OK
    _cmd_sessions(args, stdout, stderr, warn, timing)
    stdout.write(f"\nsign-in sessions on the service ({len(remote)}, ListSessions in {client.region}):\n")
    table = [["SESSION", "PRINCIPAL", "STATUS", "CLIENT", "ISSUED", "EXPIRES"]]
    for item in remote:
        cells = [item.get("sessionArn"), item.get("principalArn"), item.get("status"), item.get("clientType")]
        for stamp in (item.get("issuedAt"), item.get("expiresAt")):
            when = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc) if stamp else None
            cells.append(_format_timestamp(when) if when else None)
        table.append([_one_line(str(c)) if c else "-" for c in cells])
    _write_table(table, stdout)
    return _EXIT_OK


# What an SDK would resolve before the container credentials (PROTOCOL.md §14):
# botocore's create_credential_resolver and the JS SDK's defaultProvider read the
# environment first, then web identity, then the profile's settings in the config
# and shared credentials files (keys, SSO, login_session, credential_process,
# role_arn), then (botocore) boto2's files.  exec's child gets none of them: these
# variables are removed (the access-key spellings of the Java and Ruby SDKs included),
# and AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE and BOTO_CONFIG name private files
# that hold only the requested profile's settings that choose no credentials, as [default].
_EXEC_REMOVED: Final = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "AMAZON_ACCESS_KEY_ID",
    "AMAZON_SECRET_ACCESS_KEY",
    "AMAZON_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_CREDENTIAL_FILE",  # botocore's OriginalEC2Provider; BOTO_CONFIG is set to an empty file
)
# The profile settings the child's [default] keeps: how to call AWS, never who calls.
_EXEC_SETTINGS: Final = frozenset(
    {
        "region",
        "output",
        "ca_bundle",
        "retry_mode",
        "max_attempts",
        "defaults_mode",
        "endpoint_url",
        "ignore_configured_endpoint_urls",
        "use_fips_endpoint",
        "use_dualstack_endpoint",
        "sts_regional_endpoints",
        "parameter_validation",
        "tcp_keepalive",
        "account_id_endpoint_mode",
        "sdk_ua_app_id",
        "request_checksum_calculation",
        "response_checksum_validation",
        "disable_request_compression",
        "request_min_compression_size_bytes",
        "cli_pager",
        "cli_timestamp_format",
        "cli_binary_format",
        "cli_auto_prompt",
    }
)
# The child's environment names its profile (for prompts); exec refuses to nest.
_EXEC_MARKER: Final = "SIGNIN_TOKEN_PROFILE"
# Sent to exec alone, these reach the child through exec; sent by the terminal to the
# foreground process group (which the child shares with exec), they reach it directly.
_FORWARDED_SIGNALS: Final = ("SIGINT", "SIGQUIT", "SIGTERM", "SIGHUP")
_SI_KERNEL: Final = 0x80  # Linux's si_code of a signal the kernel sent (the terminal's ^C, ^\)


def _cmd_exec(
    args: Any, stderr: TextIO, skew: Callable[[float], None], trace: Callable[[str], None] | None = None
) -> int:
    """Run the command (default: ``$SHELL``) and return its exit code.

    By default the credentials are served to it on 127.0.0.1 for its whole
    life (``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and a random token), so its
    SDKs always get fresh ones; ``--static`` puts the credentials of the
    moment in its environment instead.  Either way the child resolves no
    other credentials (see ``_EXEC_REMOVED``) and has ``SIGNIN_TOKEN_PROFILE``
    set; ``exec`` inside such a child is refused.
    """
    import secrets
    import shutil
    import tempfile

    # 1. Refused before anything is read: exec inside exec, a bad profile or region.
    inside = os.environ.get(_EXEC_MARKER)
    if inside:
        raise ParamValidationError(
            _EXEC_MARKER,
            f"is set ({_one_line(inside, 64)!r}): this is already a shell of exec; leave it "
            f"(exit or Ctrl-D), or unset {_EXEC_MARKER} to run exec inside it",
        )
    argv = list(args.argv)
    if argv and argv[0] == "--":
        argv = argv[1:]
    shell = not argv
    if shell:
        argv = [os.environ.get("SHELL") or ("cmd.exe" if sys.platform == "win32" else "/bin/sh")]
    profile = _Profile(args.profile, None)
    region = profile.region(args.region)
    # 2. The session, checked (exit 3 before anything runs), and what the child gets.
    options = {"region": args.region, "endpoint_url": args.endpoint_url, "timeout": args.timeout}
    options["on_event"] = trace
    env = {k: v for k, v in os.environ.items() if k not in _EXEC_REMOVED}
    server = None
    private = ""
    try:
        if args.static:
            creds = get_credentials(args.profile, on_clock_skew=skew, **options)
            env.update(
                {
                    "AWS_ACCESS_KEY_ID": creds.access_key_id,
                    "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
                    "AWS_SESSION_TOKEN": creds.session_token,
                    "AWS_CREDENTIAL_EXPIRATION": _format_timestamp(creds.expiration),
                }
            )
        else:
            source = _ServedCredentials(args.profile, on_clock_skew=skew, **options)
            source.credentials()  # no session: exit 3 before anything runs
            token = secrets.token_urlsafe(32)

            def log(text: str) -> None:
                stderr.write(f"debug: {text}\n")

            server = _CredentialServer(source, token, log=log if args.debug else None)
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token
        if region:
            env["AWS_REGION"] = region
            env["AWS_DEFAULT_REGION"] = region
        env[_EXEC_MARKER] = profile.name
        env[_EXEC_CONFIG_FILE] = _config_path(os.environ)
        env[_EXEC_CREDENTIALS_FILE] = _credentials_path(os.environ)
        private = tempfile.mkdtemp(prefix="signin-token-exec-")  # 0700, a new name
        config, credentials = _exec_child_files(private, profile, region)
        env["AWS_CONFIG_FILE"] = config
        env["AWS_SHARED_CREDENTIALS_FILE"] = credentials
        env["BOTO_CONFIG"] = credentials  # not ~/.boto, which botocore's BotoProvider reads
        if shell:
            how = "in its environment (not refreshed)" if args.static else "served to it"
            stderr.write(
                f"starting {_one_line(argv[0])} with the credentials of profile {profile.name!r} "
                f"{how}; leave it with exit or Ctrl-D\n"
            )
            stderr.flush()
        # 3. The child, until it ends.
        return _exec_child(argv, env, stderr, server.start if server is not None else None)
    finally:
        if server is not None:
            server.close()
        if private:
            shutil.rmtree(private, ignore_errors=True)


def _exec_child_files(directory: str, profile: _Profile, region: str | None) -> tuple[str, str]:
    """The child's config and shared credentials files, new in the private
    ``directory``: ``[default]`` with the profile's settings in
    ``_EXEC_SETTINGS`` (single-line values only) and ``region``; no credentials."""
    settings = {k: v for k, v in profile.settings.items() if k in _EXEC_SETTINGS}
    if region:
        settings["region"] = region
    lines = ["[default]\n"]
    lines += [f"{k} = {v}\n" for k, v in settings.items() if v and v.isprintable() and v == v.strip()]
    paths = []
    for name, text in (("config", "".join(lines)), ("credentials", "")):
        path = os.path.join(directory, name)
        fd = _open_no_follow(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, f"exec's {name} file")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        paths.append(path)
    return paths[0], paths[1]


def _exec_child(
    argv: list[str], env: dict[str, str], stderr: TextIO, start: Callable[[], None] | None
) -> int:
    """Run ``argv`` with ``env`` (``start`` called first) and return its exit
    code, 128+N when signal N ended it; 127 and 126 when it cannot be run.

    The child stays in exec's process group, so the terminal's signals (^C,
    ^\\, ^Z and hang-up) reach it directly and job control works as without
    exec.  A signal of ``_FORWARDED_SIGNALS`` sent to exec alone is forwarded
    once; one the terminal sent (to the whole group) is not forwarded again.
    On Linux the sender is known (``sigtimedwait``'s ``si_code``); elsewhere
    ^C and ^\\ are taken as the terminal's when exec's group is the
    terminal's foreground group.  A process that signals the whole group
    (``kill %1``) reaches the child twice: that cannot be told from a
    signal to exec alone.
    """
    import contextlib
    import signal

    waited = {getattr(signal, name) for name in _FORWARDED_SIGNALS if hasattr(signal, name)}
    if not sys.platform.startswith("linux") or not hasattr(signal, "sigtimedwait"):
        return _exec_child_portable(argv, env, stderr, start, waited)
    waited.add(signal.SIGCHLD)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, waited)  # before start: its threads too
    try:
        if start is not None:
            start()
        try:  # posix_spawn, not Popen: the child must not inherit the blocked signals
            pid = os.posix_spawnp(
                argv[0], argv, env, setsigmask=(), setsigdef=(signal.SIGPIPE, signal.SIGXFSZ)
            )
        except OSError as exc:
            return _exec_not_run(exc, argv, stderr)
        while True:
            info = signal.sigtimedwait(waited, 1.0)  # the timeout: a SIGCHLD another thread took
            if info is None or info.si_signo == signal.SIGCHLD:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    code = os.waitstatus_to_exitcode(status)
                    return code if code >= 0 else 128 - code
            elif info.si_code != _SI_KERNEL and info.si_pid != pid:
                with contextlib.suppress(ProcessLookupError):  # ended meanwhile: SIGCHLD is pending
                    os.kill(pid, info.si_signo)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _exec_child_portable(
    argv: list[str],
    env: dict[str, str],
    stderr: TextIO,
    start: Callable[[], None] | None,
    forwarded: set[int],
) -> int:
    """:func:`_exec_child` where ``sigtimedwait`` is missing (macOS, Windows):
    signal handlers, and the terminal's foreground group as the sender's sign."""
    import contextlib
    import signal
    import subprocess
    import threading

    child: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []

    def forward(signum: int, frame: Any) -> None:
        if signum in (getattr(signal, "SIGINT", None), getattr(signal, "SIGQUIT", None)):
            with contextlib.suppress(OSError, AttributeError):
                fd = os.open("/dev/tty", os.O_RDONLY | _O_EXTRA | getattr(os, "O_NONBLOCK", 0))
                try:
                    if os.tcgetpgrp(fd) == os.getpgrp():
                        return  # the terminal's: it reached the child too
                finally:
                    os.close(fd)
        if not child:
            pending.append(signum)
            return
        with contextlib.suppress(OSError, ValueError):  # gone, or a signal Windows cannot send
            child[0].send_signal(signum)

    handlers: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in forwarded:
            handlers[signum] = signal.signal(signum, forward)
    try:
        if start is not None:
            start()
        try:
            child.append(subprocess.Popen(argv, env=env))
        except OSError as exc:
            return _exec_not_run(exc, argv, stderr)
        for signum in pending:
            forward(signum, None)
        code = child[0].wait()
    finally:
        for signum, handler in handlers.items():
            if handler is not None:
                signal.signal(signum, handler)
    return code if code >= 0 else 128 - code


def _exec_not_run(exc: OSError, argv: list[str], stderr: TextIO) -> int:
    """The shell's codes for a command that cannot be run: 127 not found, 126 not executable."""
    import errno

    if exc.errno == errno.ENOENT:
        stderr.write(f"error: command not found: {_one_line(argv[0])}\n")
        return 127
    if exc.errno in (errno.EACCES, errno.EPERM, errno.ENOEXEC, errno.EISDIR):
        stderr.write(f"error: command not executable: {_one_line(argv[0])}\n")
        return 126
    raise exc


def _cmd_serve(
    args: Any, stdout: TextIO, stderr: TextIO, log: Callable[[str], None], skew: Callable[[float], None]
) -> int:
    """``serve``: the credential server until SIGINT or SIGTERM (then exit 0)."""
    import secrets
    import signal
    import threading

    host = "127.0.0.1" if args.host == "localhost" else args.host.strip("[]")
    if type(args.port) is not int or not 0 <= args.port <= 65535:
        raise ParamValidationError("--port", "must be a port number 0-65535")
    loopback = _is_loopback(f"[{host}]" if ":" in host else host)
    if not loopback and not args.allow_non_loopback:
        raise ParamValidationError(
            "--host",
            "must be a loopback address (127.0.0.0/8, ::1, localhost); --allow-non-loopback "
            "exposes the credentials to anyone who can reach the port and learns the token",
        )
    if args.token_file:

        def note(text: str) -> None:
            stderr.write(text + "\n")

        token = _read_token_file(args.token_file, note=note)
    else:
        token = secrets.token_urlsafe(32)
    source = _ServedCredentials(
        args.profile,
        region=args.region,
        endpoint_url=args.endpoint_url,
        timeout=args.timeout,
        on_clock_skew=skew,
        on_event=log if args.debug else None,
    )
    creds = source.credentials()  # no session: exit 3 before listening
    server = _CredentialServer(source, token, host=host, port=args.port, log=log if args.debug else None)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    handlers: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            handlers[stop_signal] = signal.signal(stop_signal, on_signal)
    try:
        server.start()
        names = ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN")
        if args.format == "json":
            stdout.write(json.dumps(dict(zip(names, (server.url, token)))) + "\n")
        else:
            prefix, quote = ("export ", _sh_quote) if args.format == "env" else ("", str)
            stdout.write("".join(f"{prefix}{n}={quote(v)}\n" for n, v in zip(names, (server.url, token))))
        stdout.flush()
        if not loopback:
            stderr.write(
                f"warning: listening on {server.url}: anyone who can reach it and learns the "
                "token gets the credentials, and the token travels in clear text\n"
            )
        session = _one_line(str(creds.login_session), 2000)
        stderr.write(
            f"serving the credentials of session {session} at {server.url}; stop with Ctrl-C or SIGTERM\n"
        )
        stderr.flush()
        while not stop.wait(0.5):
            pass
    finally:
        for signum, previous in handlers.items():
            if previous is not None:
                signal.signal(signum, previous)
        server.close()
    return _EXIT_OK


# The profile names a completion offers: those the shells take unquoted (another tool
# may have written `x$(cmd)` or `a;cmd` into the config, and a shell inserts a
# completion as typed): letters, digits and ``_.@+=,:/-``, no ``=`` first (zsh's =cmd).
_COMPLETED_PROFILE_RE: Final = r"[\w.@+,:/-][\w.@+=,:/-]*"


def _cmd_completion(args: Any, stdout: TextIO) -> int:
    """``completion``: the completion script for ``args.shell``, or (hidden,
    what the scripts run while completing) the profile names of the config
    file, one a line: no network, and nothing at all when the file is missing
    or unreadable; only names every shell takes unquoted (``_COMPLETED_PROFILE_RE``)."""
    if args.profiles:
        try:
            names = _ConfigFile(_config_path(os.environ)).profiles()
        except (SigninTokenError, OSError, ValueError):
            return _EXIT_OK  # a completion shows nothing rather than an error
        stdout.write("".join(f"{n}\n" for n in names if re.fullmatch(_COMPLETED_PROFILE_RE, n)))
        return _EXIT_OK
    if args.shell is None:
        raise ParamValidationError("shell", "must be bash, zsh or fish")
    # The name the program was run as; python -m signin_token completes signin-token.
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if not name.startswith("signin-token") or re.fullmatch(r"[A-Za-z0-9._+-]+", name) is None:
        name = "signin-token"
    write = {"bash": _bash_completion, "zsh": _zsh_completion, "fish": _fish_completion}[args.shell]
    stdout.write(write(name, _completion_commands()))
    return _EXIT_OK


# The completion scripts are generated from _COMMON_OPTIONS and _COMMANDS (a
# command added there is completed with no change here); while completing,
# they run ``PROG completion --profiles`` for the profile names.
class _Completable:
    """One command as the completion scripts see it: its names (the name,
    then its aliases), short help, options as (flags, short help, value)
    where the value is ``None`` for a flag, its choices, ``"profile"``,
    ``"file"`` (its name or help says file) or ``"text"``, and its
    positional: choices, ``"command"`` (a command line of its own, as
    ``exec`` takes), ``"file"`` or ``None``."""

    __slots__ = ("help", "names", "options", "positional")

    def __init__(
        self,
        names: tuple[str, ...],
        text: str,
        options: tuple[tuple[tuple[str, ...], dict[str, Any]], ...],
    ) -> None:
        self.names = names
        self.help = _short_help(text)
        self.options: list[tuple[tuple[str, ...], str, str | tuple[str, ...] | None]] = []
        self.positional: str | tuple[str, ...] | None = None
        for flags, kwargs in options:
            if kwargs.get("help") == _HIDDEN:
                continue
            value: str | tuple[str, ...] | None = None
            if "choices" in kwargs:
                value = tuple(str(choice) for choice in kwargs["choices"])
            elif kwargs.get("action") not in ("store_true", "store_false", "help", "version", "count"):
                about = f"{flags[-1]} {kwargs.get('help') or ''}"
                value = (
                    "profile" if "--profile" in flags else "file" if re.search(r"\bfile", about) else "text"
                )
            if flags[0].startswith("-"):
                self.options.append((flags, _short_help(kwargs.get("help") or "", kwargs), value))
            elif isinstance(value, tuple):
                self.positional = value
            else:
                self.positional = "command" if kwargs.get("nargs") in ("*", "+") else "file"


def _short_help(text: str, kwargs: Mapping[str, Any] | None = None) -> str:
    """A help text's first clause, ``%(default)s`` filled in: a description one line long."""
    text = text.replace("%(default)s", str((kwargs or {}).get("default"))).replace("%%", "%")
    return re.split(r" \(|: |\. ", text, maxsplit=1)[0].strip()


def _completion_commands() -> list[_Completable]:
    """The top level (names ``()``: its options only), then every command."""
    help_option = (("-h", "--help"), {"action": "help", "help": "show this help message and exit"})
    version = (("--version",), {"action": "version", "help": "show the version and exit"})
    found = [_Completable((), "", (help_option, version, *_COMMON_OPTIONS))]  # --profile dev status
    for name, aliases, text, options in _COMMANDS:
        found.append(_Completable((name, *aliases), text, (*options, help_option)))
    return found


def _shell_name(prog: str) -> str:
    """``prog`` as part of a shell function's name."""
    return re.sub(r"[^A-Za-z0-9_]", "_", prog)


def _bash_completion(prog: str, commands: list[_Completable]) -> str:
    """The bash script: ``complete -F`` with a function that sets ``COMPREPLY``."""
    fn = "_" + _shell_name(prog)

    def words(items: Iterable[str]) -> str:
        return f"{fn}_words " + " ".join(_sh_quote(item) for item in items)

    def values(value: str | tuple[str, ...]) -> str:
        if isinstance(value, tuple):
            return words(value)
        if value == "profile":
            return f"{fn}_reply < <({_sh_quote(prog)} completion --profiles 2>/dev/null </dev/null)"
        return f"{fn}_files" if value == "file" else "COMPREPLY=()"

    def cases(command: _Completable, otherwise: str) -> list[str]:
        """The completion of an option's value by the option before it (``$prev``), else ``otherwise``."""
        patterns: dict[str, list[str]] = {}  # the options of each action, in order
        for option_flags, _, value in command.options:
            if value is not None:
                patterns.setdefault(values(value), []).extend(option_flags)
        out = ["        case $prev in"]
        out += [f"        {'|'.join(pattern)}) {reply} ;;" for reply, pattern in patterns.items()]
        return [*out, f"        *) {otherwise} ;;", "        esac"]

    top, *rest = commands
    top_values = [f for flags, _, value in top.options if value is not None for f in flags]
    out = [
        f"# bash completion for {prog}, generated by `{prog} completion bash`.",
        f"# Load it with: source <({prog} completion bash)",
        f"{fn}_reply() {{  # COMPREPLY: the lines read that start with $cur, each after $pre",
        "    local line",
        "    COMPREPLY=()",
        "    while IFS= read -r line; do",
        '        if [[ -n $line && $line == "$cur"* ]]; then COMPREPLY+=("$pre$line"); fi',
        "    done",
        "}",
        f"{fn}_words() {{ {fn}_reply < <(printf '%s\\n' \"$@\"); }}",
        f"{fn}_files() {{",
        "    compopt -o filenames 2>/dev/null",
        f'    {fn}_reply < <(compgen -f -- "$cur")',
        "}",
        f"{fn}_command_line() {{  # the words from $1 on are a command line of their own",
        '    if declare -F _command_offset >/dev/null; then _command_offset "$1"  # bash-completion',
        f'    elif ((COMP_CWORD == $1)); then {fn}_reply < <(compgen -c -- "$cur")',
        f"    else {fn}_files",
        "    fi",
        "}",
        f"{fn}() {{",
        "    local cur=${COMP_WORDS[COMP_CWORD]} prev='' pre='' cmd='' dashdash='' i",
        "    if ((COMP_CWORD > 0)); then prev=${COMP_WORDS[COMP_CWORD - 1]}; fi",
        "    if [[ $cur == = ]]; then  # --option=, split at = by bash",
        "        cur=''",
        "    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then  # --option=val",
        "        prev=${COMP_WORDS[COMP_CWORD - 2]}",
        "    elif [[ $cur == --*=* ]]; then  # not split: = is not in COMP_WORDBREAKS",
        "        prev=${cur%%=*}",
        "        pre=$prev=",
        "        cur=${cur#*=}",
        "    fi",
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        "        if [[ -z $cmd ]]; then  # the command word: the first that is no option or its value",
        "            case ${COMP_WORDS[i]} in",
        f"            {'|'.join(top_values)})  # and its value: --profile dev, or --profile = dev",
        "                if [[ ${COMP_WORDS[i + 1]} == = ]]; then i=$((i + 2)); else i=$((i + 1)); fi ;;",
        "            -*) ;;",
        "            *) cmd=${COMP_WORDS[i]} ;;",
        "            esac",
        "        elif [[ -z $dashdash && ${COMP_WORDS[i]} == -- ]]; then",
        "            dashdash=$i",
        "        fi",
        "    done",
        "    case $cmd in",
        "    '')",
        *cases(
            top,
            f"if [[ $cur == -* ]]; then {words(f for o in top.options for f in o[0])}; "
            f"else {words(n for c in rest for n in c.names)}; fi",
        ),
        "        ;;",
    ]
    for command in rest:
        flags = [f for o in command.options for f in o[0]]
        out.append(f"    {'|'.join(_sh_quote(n) for n in command.names)})")
        if command.positional == "command":
            out.append(f"        if [[ -n $dashdash ]]; then {fn}_command_line $((dashdash + 1)); return; fi")
        if isinstance(command.positional, tuple) or command.positional == "file":
            otherwise = f"if [[ $cur == -* ]]; then {words(flags)}; else {values(command.positional)}; fi"
        else:
            otherwise = words(flags)
        out += [*cases(command, otherwise), "        ;;"]
    out += ["    esac", "}", f"complete -F {fn} {prog}", ""]
    return "\n".join(out)


def _zsh_completion(prog: str, commands: list[_Completable]) -> str:
    """The zsh script: ``_arguments`` specs, for ``compdef`` or a file in ``$fpath``."""
    fn = "_" + _shell_name(prog)

    def described(text: str) -> str:
        return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")

    def action(value: str | tuple[str, ...], what: str) -> str:
        if isinstance(value, tuple):
            return f"{what}:(" + " ".join(re.sub(r"([\\()\s:'\"])", r"\\\1", v) for v in value) + ")"
        return f"{what}:" + {"profile": f"{fn}_profiles", "file": "_files"}.get(value, " ")

    def specs(options: list[tuple[tuple[str, ...], str, str | tuple[str, ...] | None]]) -> list[str]:
        """The ``_arguments`` specs of ``options``, each quoted for the shell."""
        found = []
        for flags, text, value in options:
            tail = (
                "["
                + described(text)
                + "]"
                + ("" if value is None else ":" + action(value, flags[-1].lstrip("-")))
            )
            if len(flags) > 1:
                found.append(
                    _sh_quote(f"({' '.join(flags)})") + "{" + ",".join(flags) + "}" + _sh_quote(tail)
                )
            else:
                found.append(_sh_quote(flags[0] + tail))
        return found

    top, *rest = commands
    described_commands = [f"{n}:{c.help}" for c in rest for n in c.names]
    out = [
        f"#compdef {prog}",
        f"# zsh completion for {prog}, generated by `{prog} completion zsh`.",
        f"# Load it with: source <({prog} completion zsh)  (after compinit),",
        f"# or save it as _{prog} in a directory of $fpath.",
        f"{fn}_profiles() {{",
        "    local -a profiles expl",
        f'    profiles=(${{(f)"$({prog} completion --profiles 2>/dev/null </dev/null)"}})',
        "    _wanted profiles expl profile compadd -a profiles",
        "}",
        f"{fn}() {{",
        "    local curcontext=$curcontext state state_descr line ret=1",
        "    typeset -A opt_args",
        "    local -a commands",
        "    commands=(",
        *(f"        {_sh_quote(item)}" for item in described_commands),
        "    )",
        "    _arguments -C \\",
    ]
    ends = [o for o in top.options if o[0][-1] in ("--help", "--version")]  # nothing after these
    out += [
        f"        {_sh_quote('(- *)' + f + '[' + described(t) + ']')} \\" for fs, t, _ in ends for f in fs
    ]
    out += [f"        {spec} \\" for spec in specs([o for o in top.options if o not in ends])]
    out += [
        "        ':command:->command' \\",
        "        '*::argument:->argument' && ret=0",
        "    case $state in",
        "    command)",
        f"        _describe -t commands {_sh_quote(prog + ' command')} commands && ret=0",
        "        ;;",
        "    argument)",
        f"        curcontext=${{curcontext%:*:*}}:{prog}-$words[1]:",
        "        case $words[1] in",
    ]
    for command in rest:
        found = specs(command.options)
        if isinstance(command.positional, tuple):
            found.append(_sh_quote("1:" + action(command.positional, "value")))
        elif command.positional == "command":
            found.append(_sh_quote("*::command:_normal"))
        elif command.positional == "file":
            found.append(_sh_quote("*:file:_files"))
        out.append(f"        {'|'.join(_sh_quote(n) for n in command.names)})")
        out.append("            _arguments -S \\")
        out += [f"                {spec} \\" for spec in found]
        out += ["                && ret=0", "            ;;"]
    out += [
        "        esac",
        "        ;;",
        "    esac",
        "    return ret",
        "}",
        f'if [[ $funcstack[1] == _{prog} ]]; then {fn} "$@"; else compdef {fn} {prog}; fi',
        "",
    ]
    return "\n".join(out)


def _fish_completion(prog: str, commands: list[_Completable]) -> str:
    """The fish script: ``complete`` rules conditioned on the command word."""
    fn = "__" + _shell_name(prog)
    top, *rest = commands
    top_values = [f for flags, _, value in top.options if value is not None for f in flags]

    def rule(condition: str, *parts: str) -> str:
        return " ".join(("complete -c", prog, "-n", _fish_quote(condition), *parts))

    def option(flags: tuple[str, ...], text: str) -> list[str]:
        parts = [f"-s {f[1:]}" if not f.startswith("--") else f"-l {f[2:]}" for f in flags]
        return [*parts, "-d", _fish_quote(text)] if text else parts

    out = [
        f"# fish completion for {prog}, generated by `{prog} completion fish`.",
        f"# Load it with: {prog} completion fish | source",
        f"# or save it as ~/.config/fish/completions/{prog}.fish",
        f"function {fn}_command -d 'the command word of the command line'",
        "    set -l tokens (commandline -opc)",
        "    set -e tokens[1]",
        "    set -l value 0",
        "    for token in $tokens",
        "        if test $value = 1  # the value of an option before the command: --profile dev",
        "            set value 0",
        f"        else if contains -- $token {' '.join(_fish_quote(f) for f in top_values)}",
        "            set value 1",
        "        else if not string match -q -- '-*' $token",
        "            echo $token",
        "            return 0",
        "        end",
        "    end",
        "    return 1",
        "end",
        f"function {fn}_using -d 'whether the command word is one of the arguments'",
        f"    set -l command ({fn}_command); and contains -- $command $argv",
        "end",
        f"function {fn}_command_line -d 'complete the words after -- as a command line of their own'",
        "    set -l tokens (commandline -opc) (commandline -ct)",
        "    set -l start (contains -i -- -- $tokens); or return",
        "    __fish_complete_subcommand --commandline $tokens[(math $start + 1)..-1]",
        "end",
        f"complete -c {prog} -f",
    ]

    def options(condition: str, command: _Completable) -> list[str]:
        found = []
        for flags, text, value in command.options:
            parts = option(flags, text)
            if isinstance(value, tuple):
                parts += ["-x", "-a", _fish_quote(" ".join(value))]
            elif value == "profile":
                parts += ["-x", "-a", _fish_quote(f"({prog} completion --profiles 2>/dev/null </dev/null)")]
            elif value == "file":
                parts += ["-r", "-F"]
            elif value is not None:
                parts += ["-x"]
            found.append(rule(condition, *parts))
        return found

    out += options(f"not {fn}_command", top)
    for command in rest:
        for name in command.names:
            out.append(rule(f"not {fn}_command", "-a", _fish_quote(name), "-d", _fish_quote(command.help)))
    for command in rest:
        using = f"{fn}_using " + " ".join(_fish_quote(n) for n in command.names)
        out += options(using, command)
        if isinstance(command.positional, tuple):
            out.append(rule(using, "-a", _fish_quote(" ".join(command.positional))))
        elif command.positional == "command":
            out.append(
                rule(f"{using}; and contains -- -- (commandline -opc)", "-a", f"'({fn}_command_line)'")
            )
        elif command.positional == "file":
            out.append(rule(using, "-F"))
    return "\n".join(out) + "\n"


def _refresh_failure(args: Any, exc: TransportError | ServiceError) -> tuple[str, str | None]:
    """The error line of a refresh that failed for good (connection refused,
    timeouts, 5xx after the last retry, a refusal): how many attempts were
    made and, when cached credentials exist, when they expire(d); and the
    one advice line, if there is advice."""
    _, advice = _failure_advice(exc)
    made = f"{exc.attempts} attempt{'s' if exc.attempts != 1 else ''}"
    name = args.profile or "default"
    cached = ""
    try:
        prof = _session_profile(args.profile, None)
        name = prof.name
        creds = Credentials._from_entry(_read_entry(prof.cache_path(), "", wait=0), prof.session())
    except (SigninTokenError, OSError, ValueError, KeyError, TypeError):
        pass  # no cached credentials to speak of
    else:
        left = int(creds.seconds_left())
        when = _format_timestamp(creds.expiration)
        cached = (
            f"; the cached credentials expire at {when} (in {left // 60} min {left % 60} s)"
            if left > 0
            else f"; the cached credentials expired at {when} ({-left // 60} min ago)"
        )
    line = f"could not refresh the credentials of profile {name!r} ({made}): {exc}{cached}"
    return line, advice


def _tell_terminal(line: str, err: TextIO) -> None:
    """Write ``line`` to the controlling terminal too, when there is one and
    ``err`` is a file but not a terminal: SDKs and Terraform swallow a
    credential process's stderr (boto/botocore#1348) and show only "exit
    status 3".  Never blocks, never makes a terminal ours, and any failure is
    ignored."""
    try:
        if err.isatty():
            return  # the user sees stderr already
        err.fileno()  # an in-memory stream: the caller reads it, no SDK swallows it
    except (OSError, ValueError):
        return
    try:
        fd = os.open(
            "/dev/tty", os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0) | _O_EXTRA
        )
    except OSError:
        return  # no controlling terminal (or not POSIX)
    try:
        os.write(fd, f"{_program()}: {line}\n".encode("utf-8", "replace"))
    except OSError:
        pass
    finally:
        os.close(fd)


# The commands whose failures are failed refreshes of the profile's session.
_REFRESHING: Final = ("credentials", "export-credentials", "refresh", "exec")


def _exit_code(exc: BaseException) -> int:
    if isinstance(exc, LoginRequiredError):
        return _EXIT_LOGIN
    if isinstance(exc, (ParamValidationError, InvalidKeyError, ConfigError, TypeError)):
        return _EXIT_USAGE
    return _EXIT_ERROR


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    torn_read_wait: float = _TORN_READ_WAIT,
) -> int:
    """Run the command line; returns the exit code (0 ok, 1 error, 2 usage or
    invalid input, 3 a new login is needed).  Machine output goes to
    ``stdout``; URLs, prompts, progress and errors go to ``stderr``.
    ``clock``, ``sleep`` and ``torn_read_wait`` reach the commands that read
    and refresh a session (see :func:`get_credentials`)."""
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    inp = sys.stdin if stdin is None else stdin
    arguments = sys.argv[1:] if argv is None else list(argv)
    for i, arg in enumerate(arguments):
        if any("\udc80" <= c <= "\udcff" for c in arg):  # undecodable bytes, as Python passes them
            flag = arg.split("=", 1)[0] if arg.startswith("-") else arguments[i - 1] if i else "argument"
            err.write(f"error: invalid parameter {_one_line(flag, 60)}: is not valid UTF-8\n")
            return _EXIT_USAGE
    args = _credential_process_args(arguments)
    if args is None:
        parser, own = _build_parser(arguments)
        try:
            import contextlib

            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # help, usage
                _refuse_unknown_command(parser, arguments)
                args, extras = parser.parse_known_args(arguments)
                if extras:  # the command's own usage, not the top-level one
                    _refuse_extras(own or parser, args, arguments, extras)
                _finish_args(args, own, arguments)
        except SystemExit as exc:  # argparse exits 0 for --help, 2 for usage errors
            return int(exc.code) if isinstance(exc.code, int) else _EXIT_USAGE
    try:
        return _run(args, inp, out, err, {"clock": clock, "sleep": sleep, "torn_read_wait": torn_read_wait})
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return _EXIT_ERROR
    except (SigninTokenError, OSError, TypeError, ValueError) as exc:
        given = [getattr(args, name, None) for name in ("refresh_token", "code", "code_verifier")]
        if getattr(args, "debug", False):  # the chain holds only redacted stand-ins; redacted again
            import traceback

            text = _redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), given)
            err.write("".join(c if c.isprintable() or c == "\n" else " " for c in text))
        message = (
            str(exc)
            if not isinstance(exc, OSError) or not exc.filename
            else f"{exc.strerror}: {exc.filename}"
        )
        advice = None
        if isinstance(exc, (TransportError, ServiceError)) and getattr(args, "command", "") in _REFRESHING:
            message, advice = _refresh_failure(args, exc)
        err.write(f"error: {_one_line(_redact(message, given), 2000)}\n")
        if advice:
            err.write(f"hint: {advice}\n")
        if isinstance(exc, LoginRequiredError) and exc.command:
            err.write(f"To sign in again, run: {exc.command}\n")
            if getattr(args, "command", "") in ("credentials", "export-credentials"):
                _tell_terminal(
                    f"{_one_line(_redact(message, given), 500)}; to sign in again, run: {exc.command}", err
                )
        return _exit_code(exc)


if __name__ == "__main__":
    raise SystemExit(main())
