"""AWS credentials from an AWS console sign-in, the way ``aws login`` does it.

One vendorable, standard-library-only module: the AWS Sign-In service model
(``signin`` 2023-01-01) as dataclasses with client-side validation, PKCE, a
pure-Python ES256 DPoP signer, the ``CreateOAuth2Token`` call over ``urllib``
(and asyncio streams), login sessions shared with the AWS CLI and SDKs under
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
    import asyncio
    import socket
    import ssl
    from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
    from typing import Any, ClassVar, Final, TextIO, TypeVar

    _Option = tuple[tuple[str, ...], dict[str, Any]]  # an argparse option: flags, keywords
    _E = TypeVar("_E", bound="_Envelope")  # CreateOAuth2TokenRequest or CreateOAuth2TokenResponse

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
    "ConfigError",
    "CreateOAuth2TokenRequest",
    "CreateOAuth2TokenRequestBody",
    "CreateOAuth2TokenResponse",
    "CreateOAuth2TokenResponseBody",
    "Credentials",
    "DPoPKey",
    "InternalServerException",
    "InvalidKeyError",
    "InvalidResponseError",
    "LoginRequiredError",
    "OAuth2ErrorCode",
    "PKCEPair",
    "ParamValidationError",
    "ServiceError",
    "SigninClient",
    "SigninTokenError",
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

__version__ = "0.2.0"

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
    # Both ways: the service's own opaque token, echoed back in a refresh, so a
    # session whose token is longer than the model's 2048 can still refresh.
    "RefreshToken": (1, _MAX_TOKEN_CHARS, None),
    # Response members: any positive lifetime, any token up to the memory bound.
    "ExpiresIn": (1, None, None),
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
# endpoint-rule-set-1.json) as it resolves CreateOAuth2Token (static context
# IsControlPlane=false), rule by rule: without FIPS and dual-stack, the
# partition's console host after the region, else signin.{dnsSuffix}; FIPS
# alone: us-gov-west-1's own URL, then aws-us-gov's FIPS host after the region;
# otherwise signin[-fips].{region}.{dnsSuffix | dualStackDnsSuffix}, or an
# error where the partition lacks FIPS or dual-stack.
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

    ``__cause__`` is a redacted stand-in naming the underlying exception.
    """


class ServiceError(SigninTokenError):
    """The service refused the request with an HTTP error status.

    ``error`` is an :class:`OAuth2ErrorCode` when the code is known, else the
    raw string (or ``None``); ``message`` is the service's text, ``status``
    the HTTP status and ``request_id`` the ``x-amzn-RequestId`` header.
    """

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


class LoginRequiredError(SigninTokenError):
    """A new login is needed: no session, session expired or revoked, or an
    unusable cache entry.  ``command`` is the command that fixes it."""

    def __init__(self, message: str, command: str = "") -> None:
        super().__init__(message)
        self.command = command


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
    """The model's ``OAuth2ErrorCode`` enum."""

    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    USER_CREDENTIALS_CHANGED = "USER_CREDENTIALS_CHANGED"
    INSUFFICIENT_PERMISSIONS = "INSUFFICIENT_PERMISSIONS"
    AUTHCODE_EXPIRED = "AUTHCODE_EXPIRED"
    SERVER_ERROR = "server_error"
    INVALID_REQUEST = "INVALID_REQUEST"


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


@dataclasses.dataclass(frozen=True, repr=False)
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


@dataclasses.dataclass(frozen=True)
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


@dataclasses.dataclass(frozen=True)
class CreateOAuth2TokenRequest(
    _Envelope, attr="token_input", wire="tokenInput", payload=CreateOAuth2TokenRequestBody
):
    """Input of ``CreateOAuth2Token``; ``token_input`` is the HTTP payload."""

    token_input: CreateOAuth2TokenRequestBody


@dataclasses.dataclass(frozen=True)
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
        _check("refreshToken", self.refresh_token, "RefreshToken", optional=True)
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


@dataclasses.dataclass(frozen=True)
class CreateOAuth2TokenResponse(
    _Envelope, attr="token_output", wire="tokenOutput", payload=CreateOAuth2TokenResponseBody
):
    """Output of ``CreateOAuth2Token``; ``token_output`` is the HTTP payload."""

    token_output: CreateOAuth2TokenResponseBody


def _member(data: Mapping[str, Any], wire: str, oauth: str) -> Any:
    """A member by its wire name, else its OAuth name; ``None`` when absent."""
    value = data.get(wire)
    return data.get(oauth) if value is None and oauth != wire else value


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
) -> str:
    """The URL the endpoint rule set gives CreateOAuth2Token in a valid ``region``."""
    name, _, _, dns, dual_dns, has_fips, has_dual = next(
        (p for p in partitions if region in p[2] or re.match(p[1], region)), partitions[0]
    )
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
) -> str:
    """The Sign-In base URL.

    Order: ``endpoint_url``, then ``$AWS_ENDPOINT_URL_SIGNIN``, then
    ``$AWS_ENDPOINT_URL`` (FIPS and dual-stack do not apply to these, as in
    botocore), then the URL the service's endpoint rule set gives ``region``
    in its partition (every partition botocore knows, ISO ones included; a
    region no partition claims is in aws).  Raises
    :class:`ParamValidationError` for a missing or malformed region (checked
    first, even with an endpoint URL), for FIPS or dual-stack where the
    partition has none, and for any URL that is not https (http is allowed to
    loopback only) or that cannot be encoded (non-UTF-8 text, a bad DNS name).
    """
    if region is not None and region != "":
        _require_type("region", region, str)
        if re.fullmatch(_REGION_RE, region) is None:
            raise ParamValidationError("region", "must be a region name such as us-east-1")
    env = os.environ if environ is None else environ
    for source, url in (
        ("endpoint_url", endpoint_url),
        ("AWS_ENDPOINT_URL_SIGNIN", env.get("AWS_ENDPOINT_URL_SIGNIN")),
        ("AWS_ENDPOINT_URL", env.get("AWS_ENDPOINT_URL")),
    ):
        if url:
            return _check_endpoint_url(url, source)
    if not region:
        raise ParamValidationError("region", "Missing Region: set --region, AWS_REGION or a profile region")
    return _rule_set_endpoint(region, use_fips, use_dualstack)


# --------------------------------------------------------------------------
# HTTP transport (urllib, and asyncio streams) and the one redaction of outside text
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
    """Outside text made safe for one line of output: no control characters, bounded."""
    text = "".join(c if c.isprintable() else " " for c in text).strip()
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
) -> _Response:
    """POST once; returns any HTTP status.  Never follows a redirect, caps the
    body at 1 MiB, bounds the whole exchange by ``timeout`` and raises
    :class:`TransportError` for network failures, redacted of ``secrets_``
    and of the ``DPoP`` header."""
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

    class _Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            sockets.append(self.sock)

    class _TLSConnection(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            sockets.append(self.sock)

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
    in_flight = (*secrets_, headers.get("DPoP"))
    failure: BaseException | None = None
    timer = threading.Timer(timeout, watchdog)
    timer.daemon = True
    timer.start()
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
        timer.cancel()
    if failure is not None:
        reason = getattr(failure, "reason", None) or failure
        timed_out = expired.is_set() or isinstance(reason, (socket.timeout, TimeoutError))
        described = reason if isinstance(reason, BaseException) else failure
        raise _transport_error(url, reason, timed_out, timeout, in_flight) from _stand_in(
            described, in_flight
        )
    return _Response(status if status is not None else 0, names, b"".join(chunks))


# The asyncio transport reads a response as http.client does, with its limits.
_MAX_LINE: Final = 65536  # bytes in a status, header or chunk-size line
_MAX_HEADERS: Final = 100


async def _http_post_async(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    ca_bundle: str | None,
    secrets_: Sequence[str | None] = (),
    tls: ssl.SSLContext | None = None,
) -> _Response:
    """:func:`_http_post` on asyncio streams: the same limits, results and
    errors, and nothing blocks the event loop.  HTTP/1.1 with ``Connection:
    close``; proxies from the environment as urllib uses them (a ``CONNECT``
    tunnel for https), never for loopback.  ``tls`` is a context from
    :func:`_tls_context` (else one is built from ``ca_bundle`` off the loop).
    Cancelling the task closes the connection at once."""
    import asyncio
    import http.client
    import socket

    if tls is None and url.startswith("https://"):
        tls = await asyncio.get_running_loop().run_in_executor(None, _tls_context, ca_bundle)
    in_flight: list[str | None] = [*secrets_, headers.get("DPoP")]
    connecting = [True]  # until the request is sent: urllib reports those errors by reason
    failure: BaseException
    try:
        return await asyncio.wait_for(
            _exchange_async(url, body, headers, tls, in_flight, connecting), timeout
        )
    except asyncio.TimeoutError as exc:  # in 3.11+ the built-in TimeoutError, an OSError
        failure = exc
    except (OSError, http.client.HTTPException) as exc:
        failure = exc
    reason: BaseException | str = failure
    if not connecting[0]:
        reason = getattr(failure, "reason", None) or failure
    elif isinstance(failure, OSError) and failure.errno and type(failure).__module__ == "builtins":
        reason = OSError(failure.errno, os.strerror(failure.errno))  # not asyncio's "Connect call failed"
    timed_out = isinstance(failure, asyncio.TimeoutError) or isinstance(
        reason, (socket.timeout, TimeoutError)
    )
    described = reason if isinstance(reason, BaseException) else failure
    raise _transport_error(url, reason, timed_out, timeout, in_flight) from _stand_in(described, in_flight)


async def _exchange_async(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    tls: ssl.SSLContext | None,
    secrets_: list[str | None],
    connecting: list[bool],
) -> _Response:
    """Connect (directly or through a proxy), send the request, read the response."""
    import asyncio
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if tls is not None else 80)
    netloc = parts.netloc.rpartition("@")[2]
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    proxy = None if _is_loopback(netloc) else _proxy_for(parts.scheme, netloc)
    fields = {"Host": netloc, "Content-Length": str(len(body)), "Connection": "close"}
    fields["Accept-Encoding"] = "identity"
    fields.update(headers)
    writer: asyncio.StreamWriter | None = None
    sock: socket.socket | None = None
    try:
        if proxy is None:
            reader, writer = await asyncio.open_connection(host, port, ssl=tls, limit=_MAX_LINE)
        else:
            proxy_host, proxy_port, authorization = proxy
            secrets_.append(authorization)
            if not proxy_host:
                raise OSError(f"the {parts.scheme} proxy setting names no host")  # it may hold a password
            if tls is None:  # http: the absolute URL, to the proxy
                reader, writer = await asyncio.open_connection(proxy_host, proxy_port, limit=_MAX_LINE)
                target = url
                if authorization:
                    fields["Proxy-Authorization"] = authorization
            else:  # https: TLS to the server inside the proxy's tunnel
                sock = await _tunnel_async(proxy_host, proxy_port, authority, authorization)
                reader, writer = await asyncio.open_connection(
                    sock=sock, ssl=tls, server_hostname=host, limit=_MAX_LINE
                )
                sock = None  # the transport owns it now
        head = [f"POST {target} HTTP/1.1", *(f"{k}: {v}" for k, v in fields.items())]
        if any(c in line for line in head for c in "\r\n\0"):
            raise ValueError("a request header holds a line break")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        connecting[0] = False
        return await _read_response_async(reader)
    finally:  # no await here: a cancelled task must let go at once
        if writer is not None:
            writer.transport.abort()
        if sock is not None:
            sock.close()


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


async def _tunnel_async(host: str, port: int, authority: str, authorization: str | None) -> socket.socket:
    """A connected non-blocking socket to ``authority`` through the HTTP proxy
    at ``host:port`` (``CONNECT``); ``OSError`` as http.client words it."""
    import asyncio
    import socket

    loop = asyncio.get_running_loop()
    errors: list[OSError] = []
    for family, kind, proto, _, address in await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
            break
        except OSError as exc:
            sock.close()
            errors.append(exc)
        except BaseException:
            sock.close()
            raise
    else:
        raise errors[-1] if errors else OSError(f"no address for the proxy {host}")
    try:
        head = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
        if authorization:
            head.append(f"Proxy-Authorization: {authorization}")
        await loop.sock_sendall(sock, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while b"\n\r\n" not in data and b"\n\n" not in data and len(data) <= _MAX_LINE:
            chunk = await loop.sock_recv(sock, 65536)
            if not chunk:
                break
            data += chunk
        reader = asyncio.StreamReader(limit=_MAX_LINE)
        reader.feed_data(data)
        reader.feed_eof()
        status, reason, _ = await _read_head_async(reader)
        if status != 200:
            raise OSError(f"Tunnel connection failed: {status} {reason.strip()}")
        if await reader.read():
            raise OSError("Tunnel connection failed: the proxy sent data before the TLS handshake")
    except BaseException:
        sock.close()
        raise
    return sock


async def _read_line_async(reader: asyncio.StreamReader, what: str) -> bytes:
    """One line (empty at the end of the stream); ``LineTooLong`` past 64 KiB."""
    import asyncio
    import http.client

    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        line = exc.partial
    except asyncio.LimitOverrunError:
        raise http.client.LineTooLong(what) from None
    if len(line) > _MAX_LINE:
        raise http.client.LineTooLong(what)
    return line


async def _read_head_async(reader: asyncio.StreamReader) -> tuple[int, str, list[tuple[str, str]]]:
    """A status line and its header fields (names lower-case), as http.client reads them."""
    import http.client

    line = str(await _read_line_async(reader, "status line"), "iso-8859-1")
    if not line:
        raise http.client.RemoteDisconnected("Remote end closed connection without response")
    words = line.split(None, 2)
    if len(words) < 2 or not words[0].startswith("HTTP/"):
        raise http.client.BadStatusLine(line)
    try:
        status = int(words[1])
    except ValueError:
        status = 0
    if not 100 <= status <= 999:
        raise http.client.BadStatusLine(line)
    fields: list[tuple[str, str]] = []
    count = 0
    broken = False  # after a line that is no field, email.parser (so urllib) sees no more fields
    while True:
        raw = await _read_line_async(reader, "header line")
        if raw in (b"\r\n", b"\n", b""):
            break
        count += 1
        if count > _MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
        text = str(raw, "iso-8859-1").rstrip("\r\n")
        if broken:
            continue
        if text[:1] in (" ", "\t"):  # an obsolete folded continuation
            if fields:
                fields[-1] = (fields[-1][0], f"{fields[-1][1]} {text.strip()}")
        elif re.match(r"[\x21-\x39\x3b-\x7e]*:", text):
            name, _, value = text.partition(":")
            fields.append((name.lower(), value.strip()))
        else:
            broken = True
    return status, words[2] if len(words) > 2 else "", fields


async def _read_response_async(reader: asyncio.StreamReader) -> _Response:
    """The response: 100 Continue skipped; a chunked, Content-Length or
    read-to-EOF body, capped at 1 MiB."""
    import asyncio
    import http.client

    status, _, fields = await _read_head_async(reader)
    while status == 100:
        status, _, fields = await _read_head_async(reader)
    first: dict[str, str] = {}
    for name, value in fields:
        first.setdefault(name, value)  # framing by the first field, as http.client
    length: int | None = None
    if status in (204, 304) or status < 200:
        length = 0
    elif first.get("transfer-encoding", "").lower() != "chunked" and first.get("content-length"):
        try:
            length = int(first["content-length"])
        except ValueError:
            length = None
        if length is not None and length < 0:
            length = None
    chunks: list[bytes] = []
    size = 0
    if length is None and first.get("transfer-encoding", "").lower() == "chunked":
        while True:
            line = await _read_line_async(reader, "chunk size")
            try:
                left = int(line.split(b";", 1)[0], 16)
            except ValueError:
                left = -1
            if left < 0:
                raise http.client.IncompleteRead(b"")
            if left == 0:
                break
            size += left
            if size > _MAX_RESPONSE_BYTES:
                raise InvalidResponseError(f"response body exceeds {_MAX_RESPONSE_BYTES} bytes", status)
            try:
                chunks.append(await reader.readexactly(left))
                await reader.readexactly(2)  # the CRLF after the chunk
            except asyncio.IncompleteReadError:
                raise http.client.IncompleteRead(b"") from None  # as http.client words it
        while await _read_line_async(reader, "trailer line") not in (b"\r\n", b"\n", b""):
            pass
    else:
        while length is None or size < length:
            chunk = await reader.read(65536 if length is None else min(65536, length - size))
            if not chunk:
                break  # a short body is returned as read, as urllib does
            size += len(chunk)
            if size > _MAX_RESPONSE_BYTES:
                raise InvalidResponseError(f"response body exceeds {_MAX_RESPONSE_BYTES} bytes", status)
            chunks.append(chunk)
    return _Response(status, dict(fields), b"".join(chunks))


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
    cls = _ERROR_TYPES.get(error_type) or _STATUS_ERRORS.get(response.status, ServiceError)
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


class SigninClient:
    """A client of the Sign-In service's one operation, ``CreateOAuth2Token``.

    ``region`` / ``endpoint_url`` are resolved by :func:`resolve_endpoint`.
    Every request has a ``timeout`` (seconds, for the whole exchange), TLS
    verification on (``ca_bundle``, else ``$AWS_CA_BUNDLE``, else the system
    store) and proxies from the standard environment variables.

    A refresh is retried up to ``max_attempts`` times on 429, 5xx and
    transport errors (exponential backoff, full jitter, ``Retry-After`` up to
    20 s), each attempt with a new proof; a code redemption is never retried.
    When the server refuses a proof or token as expired and its ``Date`` is
    more than 60 s from our clock, the call is retried once with ``iat``
    corrected; the offset stays in :attr:`clock_offset` and is reported
    through ``on_clock_skew``.

    ``on_event``, when given, is called with one line per HTTP attempt, as
    both methods make them: method, URL, attempt number, status and request
    id (or the transport failure), elapsed time, and whether and why the
    call goes on.  The line is redacted of every secret and never holds a
    header or a body.

    :meth:`create_oauth2_token` blocks; :meth:`create_oauth2_token_async`
    does the same on asyncio (cancellable, never blocking the loop).
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
    ) -> None:
        env = os.environ if environ is None else environ
        _require_type("timeout", timeout, (int, float))
        if not 0 < timeout <= 3600:
            raise ParamValidationError("timeout", "must be between 0 and 3600 seconds")
        _require_type("max_attempts", max_attempts, int)
        if not 1 <= max_attempts <= 10:
            raise ParamValidationError("max_attempts", "must be between 1 and 10")
        self.endpoint = resolve_endpoint(
            region,
            endpoint_url=endpoint_url,
            use_fips=use_fips,
            use_dualstack=use_dualstack,
            environ=env,
        )
        self.token_url = self.endpoint + _TOKEN_PATH
        self.timeout = float(timeout)
        self.ca_bundle = ca_bundle or env.get("AWS_CA_BUNDLE") or None
        self.max_attempts = max_attempts
        self.clock_offset = 0.0
        self._clock = clock
        self._sleep = sleep
        self._on_clock_skew = on_clock_skew
        self._on_event = on_event
        self._tls: ssl.SSLContext | None = None  # the asyncio driver's, built once

    def __repr__(self) -> str:
        return f"SigninClient(endpoint={self.endpoint!r})"

    def now(self) -> float:
        """The current time, corrected by any measured server clock offset."""
        return self._clock() + self.clock_offset

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
        call = self._call(request, dpop_key, body_format)
        response: _Response | None = None
        error: TransportError | None = None
        while True:
            try:
                step = call.send(response) if error is None else call.throw(error)
            except StopIteration as done:
                result: CreateOAuth2TokenResponse = done.value
                return result
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
        once; nothing goes on in a thread.  Retry waits use ``asyncio.sleep``.
        """
        import asyncio

        call = self._call(request, dpop_key, body_format)
        try:
            response: _Response | None = None
            error: TransportError | None = None
            while True:
                try:
                    step = call.send(response) if error is None else call.throw(error)
                except StopIteration as done:
                    result: CreateOAuth2TokenResponse = done.value
                    return result
                response = error = None
                if isinstance(step, _Sleep):
                    await asyncio.sleep(step.seconds)
                    continue
                tls = None
                if step.url.startswith("https://"):
                    if self._tls is None:  # built once per client, off the loop (it reads files)
                        loop = asyncio.get_running_loop()
                        self._tls = await loop.run_in_executor(None, _tls_context, self.ca_bundle)
                    tls = self._tls
                try:
                    response = await _http_post_async(
                        step.url,
                        step.body,
                        step.headers,
                        timeout=self.timeout,
                        ca_bundle=self.ca_bundle,
                        secrets_=step.secrets,
                        tls=tls,
                    )
                except TransportError as exc:
                    error = exc
        finally:
            call.close()

    def _call(
        self, request: CreateOAuth2TokenRequest, dpop_key: DPoPKey, body_format: str
    ) -> Generator[_Post | _Sleep, _Response | None, CreateOAuth2TokenResponse]:
        """The call without I/O, run by both drivers: yields each :class:`_Post`
        (receiving its response, or its :class:`TransportError` thrown in) and
        each :class:`_Sleep`; returns the parsed response or raises.  A new
        proof per attempt; only refreshes are retried (429, 5xx, transport);
        one clock-skew retry; redirects refused; outside text redacted."""
        _require_type("request", request, CreateOAuth2TokenRequest)
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
        _note_secrets(body.refresh_token, body.code, body.code_verifier)
        retryable = body.grant_type == "refresh_token"
        attempts = self.max_attempts if retryable else 1
        last_words = "code redemptions are never retried" if not retryable else "last attempt"
        attempt = 0
        skew_retried = False
        while True:
            attempt += 1
            proof = dpop_key.proof(self.token_url, iat=int(self.now()))
            secrets_ = (body.refresh_token, body.code, body.code_verifier, proof)
            headers = {
                "Content-Type": content_type,
                "Accept": "application/json",
                "User-Agent": _USER_AGENT,
                "DPoP": proof,
            }
            label = f"{self.token_url} attempt {attempt}/{attempts}"
            if skew_retried:
                label += " (clock corrected)"
            report = _Attempt(self._on_event, label, secrets_)
            try:
                response = yield _Post(self.token_url, payload, headers, secrets_)
            except TransportError as exc:
                report.failed(exc)
                if attempt >= attempts:
                    report.done(f"not retried: {last_words}")
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
                return self._parse(response, secrets_)
            if 300 <= response.status < 400:
                report.done("not retried: redirects are never followed")
                raise InvalidResponseError(
                    f"the token endpoint answered HTTP {response.status} (a redirect); "
                    "redirects are never followed",
                    response.status,
                )
            error = _service_error(response, secrets_)
            if not skew_retried and self._measure_skew(response, error):
                report.done(
                    f"clock-skew retry: the server's Date is {self.clock_offset:+.0f} s from this "
                    "clock; retrying at once with iat corrected by that offset"
                )
                skew_retried = True
                attempt -= 1  # a corrected proof, not a repeat of the same one
                continue
            transient = response.status == 429 or response.status >= 500
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
        self._hosts: frozenset[str] = frozenset()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 10  # per connection: a silent client is dropped

            def do_GET(self) -> None:
                hosts = self.headers.get_all("Host") or []
                if len(hosts) != 1 or hosts[0].strip().lower() not in outer._hosts:
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
        # The Host a browser sends for the redirect URI (RFC 9110 §7.2: no port means 80).
        names = ("127.0.0.1", "localhost")
        self._hosts = frozenset(
            [f"{name}:{self.port}" for name in names] + (list(names) if self.port == 80 else [])
        )
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True)
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        """The exact redirect URI, sent again in the token request."""
        return f"http://127.0.0.1:{self.port}{_CALLBACK_PATH}"

    def wait(self, timeout: float) -> dict[str, str] | None:
        """The callback's parameters, or ``None`` when ``timeout`` passes first."""
        deadline = time.monotonic() + timeout
        while not self._done.wait(0.2):  # short waits keep Ctrl-C responsive
            if time.monotonic() > deadline:
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


def _config_path(environ: Mapping[str, str]) -> str:
    return _expand(environ.get("AWS_CONFIG_FILE") or os.path.join("~", ".aws", "config"))


def _credentials_path(environ: Mapping[str, str]) -> str:
    default = os.path.join("~", ".aws", "credentials")
    return _expand(environ.get("AWS_SHARED_CREDENTIALS_FILE") or default)


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
            _check_trusted_file(path, what)
            with open(path, "rb") as f:
                raw = f.read()
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

    @staticmethod
    def _match(pattern: str, line: str) -> re.Match[str] | None:
        """The match of a top-level (not indented) line, its ending and spaces stripped."""
        return None if line[:1] in (" ", "\t") else re.fullmatch(pattern, line.strip())

    def _find(self, names: tuple[str, ...]) -> tuple[int, int] | None:
        """(header index, end index) of the first section named one of ``names``."""
        start = None
        for i, line in enumerate(self.lines):
            m = self._match(_SECTION_RE, line)
            if m is None:
                continue
            if start is not None:
                return start, i
            if " ".join(m.group(1).split()) in names:
                start = i
        return None if start is None else (start, len(self.lines))

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
        for line in self.lines:
            m = self._match(_SECTION_RE, line)
            if m is None:
                continue
            header = " ".join(m.group(1).split())
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
            return
        if last_option == len(self.lines) - 1:
            self._end_last_line()
        self.lines.insert(last_option + 1, line)

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


def _check_ownership(path: str, st: os.stat_result, what: str, *, root_ok: bool) -> None:
    """StrictModes: refuse what another user owns or can write (POSIX only)."""
    if os.name != "posix":
        return
    uid = os.geteuid()
    if st.st_uid != uid and not (root_ok and st.st_uid == 0):
        raise UnsafeFileError(
            f"{what} {path} is owned by {_owner_name(st.st_uid)}, not by you: refusing to use it "
            f"(fix: chown {_owner_name(uid)} {_sh_quote(path)})"
        )
    if st.st_mode & 0o022:
        mode = "700" if os.path.isdir(path) else "600"
        raise UnsafeFileError(
            f"{what} {path} can be written by other users (mode {st.st_mode & 0o777:04o}): refusing "
            f"to use it (fix: chmod {mode} {_sh_quote(path)})"
        )


def _check_trusted_file(path: str, what: str) -> None:
    """A file that decides where secrets go (the config file) must not be one
    another user can change; links chosen by the user are followed."""
    import stat

    st = os.stat(path)
    if stat.S_ISREG(st.st_mode):
        _check_ownership(path, st, what, root_ok=True)


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


def _read_private(path: str, what: str, warn: Callable[[str], None] | None = None) -> bytes:
    """The bytes of a file that holds secrets, read safely.

    Never follows a link, never blocks on a FIFO or device, refuses what is
    not a regular file or what another user owns or can write, and tightens
    a file only its owner writes but others can read (the JS SDK creates
    entries 0644 under umask 022) to 0600, with a warning.
    """
    import stat

    fd = _open_no_follow(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0), what)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(f"{what} {path} is not a regular file: refusing to read it")
        _check_ownership(path, st, what, root_ok=False)
        if os.name == "posix" and st.st_mode & 0o077:
            os.fchmod(fd, 0o600)
            if warn is not None:
                warn(f"{what} {path} was readable by other users (mode {st.st_mode & 0o777:04o}); now 0600")
        chunks = []
        size = 0
        while size <= _MAX_RESPONSE_BYTES:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


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
# What each refusal of the service means for the user (PROTOCOL.md §11, §13).
_REFUSALS: Final = {
    "AUTHCODE_EXPIRED": "the sign-in took too long and its code expired: sign in again",
    "INSUFFICIENT_PERMISSIONS": (
        "the signed-in identity is not allowed to create login sessions: it needs "
        "signin:CreateOAuth2Token, for example through the AWS managed policy SignInLocalDevelopmentAccess"
    ),
    "USER_CREDENTIALS_CHANGED": "the password of the signed-in user changed: sign in again",
    "TOKEN_EXPIRED": "the login session has ended (a session lasts at most 12 hours): sign in again",
}


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
    """The entry's ``accountId``, else the one in the session ARN (the JS SDK needs it)."""
    account = access.get("accountId")
    if isinstance(account, str) and account:
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


def _session_alive(cache_dir: str, session: str) -> bool:
    """Whether a session could still be used: a usable entry, not past its end."""
    try:
        entry = _read_entry(_cache_path(cache_dir, session), "", wait=0)
    except SigninTokenError:
        return False
    end = _session_end(entry)
    return end is None or end > time.time()


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
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> SigninClient:
        """A client for this profile: its endpoint, FIPS, dual-stack, CA bundle
        and attempts settings (environment first, as in botocore)."""
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

    def session(self) -> str:
        session = self.settings.get("login_session")
        if not session:
            raise LoginRequiredError(f"profile {self.name!r} has no login session", self.login_command)
        return session

    def cache_path(self) -> str:
        return _cache_path(self.cache_dir, self.session())


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


def _refusal(exc: ServiceError) -> str | None:
    """What a refusal of the service means, for the codes that have a meaning."""
    code = exc.error.value if isinstance(exc.error, OAuth2ErrorCode) else exc.error
    return _REFUSALS.get(code) if isinstance(code, str) else None


def _refresh_error(exc: ServiceError, profile: _Profile) -> SigninTokenError:
    """What a refused refresh means for the user (PROTOCOL.md §11)."""
    meaning = _refusal(exc)
    if exc.error == OAuth2ErrorCode.INSUFFICIENT_PERMISSIONS:
        return SigninTokenError(f"{exc}. {meaning}")
    ended = exc.error in (OAuth2ErrorCode.TOKEN_EXPIRED, OAuth2ErrorCode.USER_CREDENTIALS_CHANGED)
    if ended or isinstance(exc, ValidationException):
        why = meaning or "the service refused its refresh token"
        return LoginRequiredError(
            f"the login session can no longer be refreshed: {why} ({exc})", profile.login_command
        )
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
    current = Credentials._from_entry(entry, session)
    if not force and current.seconds_left(client.now()) > _REFRESH_WINDOW:
        return None
    request, key = _refresh_request(entry, path, profile.login_command)
    return _RefreshPlan(raw, entry, request, key)


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
            raise _refresh_error(exc, profile) from exc
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
            raise _refresh_error(exc, profile) from exc
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
        self.prof = _Profile(profile, environ)
        self.region = self.prof.region(region)
        self.prof.endpoint_url(endpoint_url)  # bad settings are errors before any I/O, even unused ones
        self.session = self.prof.session()
        self.path = _cache_path(self.prof.cache_dir, self.session)
        self.force = force_refresh
        self.current: Credentials | None = None
        self._client_options = (endpoint_url, timeout, on_clock_skew, on_event)
        self.clock, self.sleep, self.wait = clock, sleep, torn_read_wait

    def cached(self, entry: Mapping[str, Any]) -> Credentials | None:
        """The credentials of the entry read before the lock, when they need no refresh."""
        self.current = Credentials._from_entry(entry, self.session)
        if not self.force and self.current.seconds_left(self.clock()) > _REFRESH_WINDOW:
            return self.current
        return None

    def client(self) -> SigninClient:
        return self.prof.client(self.region, *self._client_options, clock=self.clock, sleep=self.sleep)

    def result(self, entry: Mapping[str, Any]) -> Credentials:
        return Credentials._from_entry(entry, self.session)

    def after_failure(self, exc: SigninTokenError) -> Credentials | None:
        """The cached credentials, with a warning, when a failed refresh leaves
        them usable (not forced, still valid, no unsafe file); else ``None``."""
        current = self.current
        if current is None or self.force or not self.use_cached or isinstance(exc, UnsafeFileError):
            return None
        if not os.path.lexists(self.path):  # logged out meanwhile: as if before the call
            return None
        left = current.seconds_left(self.clock())
        if left <= 0:
            return None
        self.warn(
            _one_line(
                f"could not refresh the credentials of profile {self.prof.name!r} ({exc}); using the "
                f"cached ones, which expire in {int(left) // 60} min {int(left) % 60} s. If this "
                f"persists, run: {self.prof.login_command}",
                2000,
            )
        )
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
    is false (the credential server, which promises 5 minutes).  Raises
    :class:`LoginRequiredError` when a new login is needed and
    :class:`UnsafeFileError` for a cache another user could tamper with.
    ``on_event`` hears of each HTTP attempt (see :class:`SigninClient`).
    ``clock`` and ``sleep`` are the client's (see :class:`SigninClient`);
    an entry that does not parse (another tool rewriting it in place) is
    re-read for ``torn_read_wait`` seconds of ``sleep``.
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
    :meth:`SigninClient.create_oauth2_token_async`, and nothing runs in a
    thread.  Cancelling the task (or a timeout around it, such as
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
    unknown), so the next use refreshes them; ``ended``: past its end.
    :class:`LoginRequiredError` when the entry would be refreshed but cannot
    make the request (an unusable key or client id).
    """
    now = time.time() if now is None else now
    creds = Credentials._from_entry(entry, session)
    left = int(creds.seconds_left(now))
    end = _session_end(entry)
    if left > _REFRESH_WINDOW:
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
    ``cache_file``.  Raises :class:`LoginRequiredError` when there is no
    session or its entry is unusable.  ``clock`` tells the time; an entry
    that does not parse is re-read for ``torn_read_wait`` seconds of ``sleep``.
    """
    prof = _Profile(profile, environ)
    session = prof.session()
    path = _cache_path(prof.cache_dir, session)
    warn = on_warning or _default_warning
    entry = _read_entry(path, prof.login_command, warn, wait=torn_read_wait, sleep=sleep)
    return {"profile": prof.name, **_status_of(entry, session, path, prof.login_command, clock())}


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


def _remove_entry(path: str) -> bool:
    """Delete an entry, its temp files and its lock file, holding its lock."""
    if not os.path.lexists(path) and not os.path.lexists(path + ".lock"):
        return False
    with _FileLock(path + ".lock") as lock:
        removed = _unlink_quietly(path)
        _sweep_temps(path)
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
    prof = _Profile(profile, environ)
    if all_sessions:
        paths = _login_entries(prof.cache_dir)
        with_locks = {p[: -len(".lock")] for p in _glob_suffix(prof.cache_dir, ".json.lock")}
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


def _open_browser(url: str) -> None:
    """Open ``url`` in the user's browser; a missing browser is not fatal.

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
    try:
        with contextlib.suppress(Exception):
            webbrowser.open(url)
    finally:
        if saved >= 0:
            os.dup2(saved, 1)
            os.close(saved)


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
    credentials, the region (asked for on a terminal when none is
    configured, then written to the profile), a config file that cannot be
    updated, and replacing the profile's current ``login_session`` while
    that session is still usable, which needs ``replace=True`` or a "y" on a
    terminal.  Then writes the cache
    entry and ``login_session`` to the config, under their locks.
    ``on_event`` hears of each HTTP attempt (see :class:`SigninClient`).
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
    if (
        previous
        and _session_alive(prof.cache_dir, previous)
        and not _confirm(
            replace,
            f"Profile {prof.name} is configured to use session {previous}. "
            "Sign in again and use the new session instead?",
            inp,
            err,
            _command("login", "--profile", prof.name, "--yes"),
        )
    ):
        raise SigninTokenError(f"login cancelled: profile {prof.name!r} keeps its session {previous}")
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
            err.write(f"Sign in with your browser at:\n{url}\n")
            err.flush()
            if open_browser:
                _open_browser(url)
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
        meaning = _refusal(exc)
        if meaning is None:
            raise
        raise SigninTokenError(f"{exc}. {meaning}: {prof.login_command}") from exc
    if out.id_token is None or out.refresh_token is None:
        raise InvalidResponseError("the code redemption returned no idToken or refreshToken")
    session, account = _session_from_id_token(out.id_token)
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
    }
    _make_private_dir(prof.cache_dir)
    _check_private_dir(prof.cache_dir)
    path = _cache_path(prof.cache_dir, session)
    with _FileLock(path + ".lock"):
        _sweep_temps(path)
        _atomic_write(path, json.dumps(entry).encode("utf-8"))
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
    prof = _Profile(profile, None)
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
        return login(profile, replace=True, stdin=stdin, stderr=stderr, **options)


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


# --------------------------------------------------------------------------
# Local credential server: container credentials on loopback (PROTOCOL.md §14)
# --------------------------------------------------------------------------

_SERVE_PATH: Final = "/credentials"
_SERVE_RETRY: Final = 1.0  # seconds a failed refresh is answered from memory before another try
_SERVE_BODIES: Final = {
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
    ) -> None:
        import threading

        self._lock = threading.Lock()
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
        self._failure: tuple[tuple[object, ...] | None, float, int, bytes] | None = None

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
        if creds is not None and stamp == self._stamp and creds.seconds_left() > _REFRESH_WINDOW:
            return creds
        creds = get_credentials(self._profile, use_cached_on_failure=False, **self._options)
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
            creds, failure = self._creds, self._failure
            if creds is not None and stamp == self._stamp and creds.seconds_left() > _REFRESH_WINDOW:
                return 200, self._body
            if failure is not None and failure[0] == stamp and time.monotonic() < failure[1]:
                return failure[2], failure[3]
            return None
        except (SigninTokenError, OSError, ValueError):
            return None
        finally:
            self._lock.release()

    def answer(self) -> tuple[int, bytes]:
        """(HTTP status, JSON body) for an authorized request: 200 with the
        credentials, 503 when a new login is needed, 502 when the service or
        the network failed, 500 for anything else."""
        with self._lock:
            stamp: tuple[object, ...] | None = None
            try:
                stamp = self._files()
                failure = self._failure
                if failure is not None and failure[0] == stamp and time.monotonic() < failure[1]:
                    return failure[2], failure[3]
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
            self._failure = (stamp, time.monotonic() + retry, status, body)
            return status, body


class _CredentialServer:
    """The container-credentials endpoint (PROTOCOL.md §14) of one profile.

    ``GET`` on :attr:`url` with ``Authorization: <token>`` answers
    ``{"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId"}``;
    no token is 401, a wrong one 403 (constant-time comparison), another path
    404, another method 405.  Nothing else is ever served, and every answer is
    ``Cache-Control: no-store``.  ``log`` gets one line per request (method,
    path, status: never the token or a credential).

    One thread runs a ``selectors`` loop over non-blocking sockets, so slow or
    idle clients hold nothing up and a request costs no thread: it answers
    from :class:`_ServedCredentials`'s memory when that needs no network, and
    hands a request that does (a refresh) to a thread of its own.  HTTP/1.1
    keep-alive, bounded heads (16 KiB), ``timeout`` seconds of silence before
    a connection is dropped, 512 connections at most.
    """

    _MAX_HEAD: Final = 16384
    _MAX_CONNECTIONS: Final = 512
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
    ) -> None:
        import selectors
        import socket
        import threading

        self._timeout = timeout
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
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._stopping = False
        self._conns: dict[Any, list[Any]] = {}  # socket -> [input, output, deadline, close]
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
        import selectors

        sel = self._selector
        sel.register(self._listener, selectors.EVENT_READ)
        sel.register(self._wake_r, selectors.EVENT_READ)
        while not self._stopping:
            for key, mask in sel.select(1.0):
                sock = key.fileobj
                if sock is self._listener:
                    self._accept()
                elif sock is not self._wake_r:
                    try:
                        if mask & selectors.EVENT_WRITE:
                            self._flush(sock)
                        elif mask & selectors.EVENT_READ:
                            self._read(sock)
                    except OSError:  # reset, or gone
                        self._drop(sock)
            now = time.monotonic()
            for sock in [s for s, c in self._conns.items() if c[2] < now]:
                self._drop(sock)  # idle or silent past the timeout

    def _accept(self) -> None:
        import selectors

        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of descriptors, or aborted: try at the next event
                return
            if len(self._conns) >= self._MAX_CONNECTIONS:
                sock.close()
                continue
            sock.setblocking(False)
            self._conns[sock] = [bytearray(), b"", time.monotonic() + self._timeout, False]
            self._selector.register(sock, selectors.EVENT_READ)
            try:  # the request is often there already: answer it without another select
                self._read(sock)
            except OSError:
                self._drop(sock)

    def _drop(self, sock: Any) -> None:
        if self._conns.pop(sock, None) is not None:
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
        conn = self._conns[sock]
        conn[0] += data
        conn[2] = time.monotonic() + self._timeout
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
        close = parts[2] != b"HTTP/1.1"
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            name = name.lower()
            if not sep or name != name.strip():  # RFC 9112 §5.1: no space before the colon
                self._respond(sock, method, target, 400, b"", close=True)
                return False
            if name == b"authorization":
                auth.append(value.strip(b" \t"))
            elif name == b"connection" and b"close" in value.lower():
                close = True
            elif name in (b"content-length", b"transfer-encoding"):
                close = True  # a body is never read: the connection ends after the answer
        if method != "GET":  # HEAD and OPTIONS included
            self._respond(sock, method, target, 405, _SERVE_BODIES[405], close=True, allow=True)
            return False
        if not auth:
            status, body = 401, _SERVE_BODIES[401]
        elif len(auth) != 1 or not hmac.compare_digest(auth[0], self._token):
            status, body = 403, _SERVE_BODIES[403]
        elif target.partition("?")[0] != _SERVE_PATH:
            status, body = 404, _SERVE_BODIES[404]
        else:
            cached = self._source.cached()
            if cached is None:  # a refresh, or a file to read: not on the loop
                self._hand_off(sock, method, target)
                return False
            status, body = cached
        close = close or status != 200  # a client that got an error starts afresh
        self._respond(sock, method, target, status, body, close=close)
        return not close

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
    ) -> None:
        data = self._response(status, body, close=close, allow=allow, head_only=method == "HEAD")
        self._note(method, target, status)
        conn = self._conns[sock]
        conn[1], conn[3] = data, close
        self._flush(sock)

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
        if waiting:
            self._selector.modify(sock, selectors.EVENT_READ)
            self._process(sock)  # requests that arrived while this answer waited

    def _note(self, method: str, target: str, status: int) -> None:
        if self._log is not None:
            self._log(f"{_one_line(method, 20)} {_one_line(target, 100)} {status}")


def _read_token_file(path: str) -> str:
    """The authorization token in ``path``: a regular file of the current user
    that no other user can read or write, holding one line of printable ASCII."""
    import stat

    try:
        with open(path, "rb") as f:
            info = os.fstat(f.fileno())
            raw = f.read(4097)
    except OSError as exc:
        raise ParamValidationError("--token-file", f"cannot be read ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ParamValidationError("--token-file", "must be a regular file")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ParamValidationError("--token-file", "must belong to the user running the server")
    if os.name == "posix" and info.st_mode & 0o066:
        raise ParamValidationError(
            "--token-file", "must not be readable or writable by other users (chmod 600)"
        )
    text = raw.decode("ascii", "replace").strip()
    if not text:
        raise ParamValidationError("--token-file", "is empty")
    if len(raw) > 4096 or not re.fullmatch(r"[\x20-\x7e]+", text):
        raise ParamValidationError("--token-file", "must hold one line of printable ASCII (4 KiB at most)")
    return text


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
_FORMAT_HELP: Final = (
    "output format: process (the credential_process JSON), env, env-no-export, powershell, "
    "windows-cmd, fish or json (default: %(default)s)"
)
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
                    "help": "replace the profile's current login_session without asking (default: ask)",
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
        "list every profile that uses a login session, from local files (no network)",
        (
            _DEBUG_OPTION,
            (("--json",), {**_FLAG, "help": "print a JSON list, one object a profile (default: a table)"}),
        ),
    ),
    (
        "logout",
        (),
        "delete the profile's cached session (credentials already issued stay valid until they expire)",
        (
            *_OFFLINE,
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
                    "help": "file holding the authorization token, mode 0600 (default: a new random token)",
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
    "sessions": ("{prog} sessions", "{prog} sessions --json"),
    "logout": ("{prog} logout --profile dev", "{prog} logout --all"),
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
    listing = chosen is None or any(a == "-h" or a.startswith("--h") for a in before)
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
                    name, aliases=list(aliases), help=text, add_help=False, formatter_class=formatter
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
        )
        for flags, kwargs in options:
            add(own, flags, kwargs, shared=(flags, kwargs) in _COMMON_OPTIONS)
    return parser, own


def _command_index(argv: Sequence[str]) -> int | None:
    """Where in ``argv`` the command is, skipping the shared options (and their
    values) before it; ``None`` when no known command is named."""
    takes_value = {f for flags, kw in _COMMON_OPTIONS if kw.get("action") != "store_true" for f in flags}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return None
        if arg.startswith("-"):
            i += 2 if arg in takes_value else 1
            continue
        return i if _canonical(arg) is not None else None
    return None


def _canonical(word: str) -> str | None:
    """The command ``word`` names (an alias gives its command), or ``None``."""
    return next((name for name, aliases, _, _ in _COMMANDS if word == name or word in aliases), None)


def _refuse_extras(own: Any, args: Any, arguments: Sequence[str], extras: Sequence[str]) -> None:
    """Unknown arguments: the command's usage, and for exec the ``--`` it needs."""
    if getattr(args, "command", None) == "exec" and "--" not in arguments:
        _exec_needs_dashes(own, args, arguments, extras)
    own.error(f"unrecognized arguments: {' '.join(_sh_quote(a) for a in extras)}")


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
        if args.input_json == "-":
            raw: str | bytes = stdin.read(_MAX_RESPONSE_BYTES + 1)
        else:
            with open(args.input_json, "rb") as f:
                raw = f.read(_MAX_RESPONSE_BYTES + 1)
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
    with open(args.dpop_key, "rb") as f:
        key = DPoPKey.from_pem(f.read(65536))
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
        f"{prefix}: session {creds.login_session}, account {creds.account_id}, "
        f"credentials expire {_format_timestamp(creds.expiration)} "
        f"(in {max(left, 0) // 60} min)\n"
    )


def _run(args: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO, timing: Mapping[str, Any]) -> int:
    def log(text: str) -> None:
        if args.debug:
            stderr.write(f"debug: {text}\n")

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
        return _cmd_sessions(args, stdout, stderr, warn, timing)
    elif cmd == "logout":
        return _cmd_logout(args, stderr)
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
}


def _cmd_status(
    args: Any, stdout: TextIO, stderr: TextIO, warn: Callable[[str], None], timing: Mapping[str, Any]
) -> int:
    """``status``: exit 0 while the credentials are valid or the next use
    refreshes them, 3 (with the login command) once the session has ended."""
    info = session_status(args.profile, on_warning=warn, **timing)
    if args.json:
        stdout.write(json.dumps(info) + "\n")
    else:
        left = max(info["seconds_left"], 0)
        end = info["session_end"]
        unknown_end = info["state"] == "refreshable" and end is None
        meaning = _STATE_MEANINGS["refreshable, end unknown" if unknown_end else info["state"]]
        stdout.write(
            f"profile: {info['profile']}\nsession: {info['login_session']}\n"
            f"account: {info['account_id']}\nexpires: {info['expiration']}\n"
            f"time left: {left // 60} min {left % 60} s\n"
            f"session ends: {end + ' (estimated: sign-in + 12 h)' if end else 'unknown'}\n"
            f"state: {info['state']} ({meaning})\n"
        )
    if info["state"] == "ended":
        stderr.write(f"To sign in again, run: {_command('login', '--profile', info['profile'])}\n")
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
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        stdout.write("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() + "\n")
    return _EXIT_OK


def _cmd_refresh(
    args: Any,
    stderr: TextIO,
    skew: Callable[[float], None],
    warn: Callable[[str], None],
    common: dict[str, Any],
) -> int:
    """``refresh``: refresh when due (always with ``--force``) and say which happened."""
    prof = _Profile(args.profile, None)
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
    whose = f"profile {prof.name!r} (session {creds.login_session}, account {creds.account_id})"
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
    prof = _Profile(args.profile, None)
    using = _profiles_using(prof.config, prof.cache_dir)
    if not args.all and not prof.settings.get("login_session"):
        stderr.write(f"warning: no login session found for profile {prof.name!r}\n")
        return _EXIT_OK
    removed = logout(args.profile, all_sessions=args.all)
    for path in removed:
        names = ", ".join(sorted(using.get(path, []))) or "no profile in the config file"
        stderr.write(f"removed {path} (used by: {names})\n")
    if not removed:
        what = "any profile" if args.all else f"profile {prof.name!r}"
        stderr.write(f"no cached login session to remove for {what}\n")
    else:
        stderr.write(
            "Credentials already issued stay valid until they expire (at most 15 "
            "minutes); the config file is unchanged.\n"
        )
    return _EXIT_OK


# What an SDK would resolve before the container credentials (PROTOCOL.md §14).
_EXEC_REMOVED: Final = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)
_FORWARDED_SIGNALS: Final = ("SIGINT", "SIGTERM", "SIGHUP")


def _cmd_exec(
    args: Any, stderr: TextIO, skew: Callable[[float], None], trace: Callable[[str], None] | None = None
) -> int:
    """Run the command (default: ``$SHELL``) and return its exit code.

    By default the credentials are served to it on 127.0.0.1 for its whole
    life (``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and a random token), so its
    SDKs always get fresh ones; ``--static`` puts the credentials of the
    moment in its environment instead.
    """
    import secrets
    import signal
    import subprocess
    import threading

    argv = list(args.argv)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        argv = [os.environ.get("SHELL") or ("cmd.exe" if sys.platform == "win32" else "/bin/sh")]
    options = {"region": args.region, "endpoint_url": args.endpoint_url, "timeout": args.timeout}
    options["on_event"] = trace
    env = dict(os.environ)
    server = None
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
        for name in _EXEC_REMOVED:
            env.pop(name, None)
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token
    region = _Profile(args.profile, None).region(args.region)
    if region:
        env["AWS_REGION"] = region
        env["AWS_DEFAULT_REGION"] = region
    # Signals to exec go to the child; exec itself lives until the child ends.
    child: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []

    def forward(signum: int, frame: Any) -> None:
        if not child:
            pending.append(signum)
            return
        import contextlib

        with contextlib.suppress(OSError, ValueError):  # gone, or a signal Windows cannot send
            child[0].send_signal(signum)

    handlers: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for name in _FORWARDED_SIGNALS:
            signum = getattr(signal, name, None)
            if signum is not None:
                handlers[signum] = signal.signal(signum, forward)
    try:
        if server is not None:
            server.start()
        try:
            child.append(subprocess.Popen(argv, env=env))
        except FileNotFoundError:
            stderr.write(f"error: command not found: {_one_line(argv[0])}\n")
            return 127
        except PermissionError:
            stderr.write(f"error: command not executable: {_one_line(argv[0])}\n")
            return 126
        for signum in pending:
            forward(signum, None)
        code = child[0].wait()
    finally:
        for signum, previous in handlers.items():
            if previous is not None:
                signal.signal(signum, previous)
        if server is not None:
            server.close()
    return code if code >= 0 else 128 - code


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
    token = _read_token_file(args.token_file) if args.token_file else secrets.token_urlsafe(32)
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
        stderr.write(
            f"serving the credentials of session {creds.login_session} at {server.url}; "
            "stop with Ctrl-C or SIGTERM\n"
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


def _cmd_completion(args: Any, stdout: TextIO) -> int:
    """``completion``: the completion script for ``args.shell``, or (hidden,
    what the scripts run while completing) the profile names of the config
    file, one a line: no network, and nothing at all when the file is missing
    or unreadable."""
    if args.profiles:
        try:
            names = _ConfigFile(_config_path(os.environ)).profiles()
        except (SigninTokenError, OSError, ValueError):
            return _EXIT_OK  # a completion shows nothing rather than an error
        stdout.write("".join(f"{n}\n" for n in names if re.fullmatch(_PROFILE_RE, n) and n.isprintable()))
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
    top = (help_option, (("--version",), {"action": "version", "help": "show the version and exit"}))
    found = [_Completable((), "", top)]
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

    top, *rest = commands
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
        "        if [[ -z $cmd ]]; then",
        "            if [[ ${COMP_WORDS[i]} != -* ]]; then cmd=${COMP_WORDS[i]}; fi",
        "        elif [[ -z $dashdash && ${COMP_WORDS[i]} == -- ]]; then",
        "            dashdash=$i",
        "        fi",
        "    done",
        "    case $cmd in",
        "    '')",
        f"        if [[ $cur == -* ]]; then {words(f for o in top.options for f in o[0])}",
        f"        else {words(n for c in rest for n in c.names)}",
        "        fi",
        "        ;;",
    ]
    for command in rest:
        flags = [f for o in command.options for f in o[0]]
        out.append(f"    {'|'.join(_sh_quote(n) for n in command.names)})")
        if command.positional == "command":
            out.append(f"        if [[ -n $dashdash ]]; then {fn}_command_line $((dashdash + 1)); return; fi")
        out.append("        case $prev in")
        patterns: dict[str, list[str]] = {}  # the options of each action, in order
        for option_flags, _, value in command.options:
            if value is not None:
                patterns.setdefault(values(value), []).extend(option_flags)
        out += [f"        {'|'.join(pattern)}) {reply} ;;" for reply, pattern in patterns.items()]
        if isinstance(command.positional, tuple) or command.positional == "file":
            out.append(f"        *) if [[ $cur == -* ]]; then {words(flags)}")
            out.append(f"           else {values(command.positional)}; fi ;;")
        else:
            out.append(f"        *) {words(flags)} ;;")
        out += ["        esac", "        ;;"]
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
    for flags, text, _ in top.options:
        out += [f"        {_sh_quote('(- *)' + flag + '[' + described(text) + ']')} \\" for flag in flags]
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
        specs = []
        for flags, text, value in command.options:
            tail = (
                "["
                + described(text)
                + "]"
                + ("" if value is None else ":" + action(value, flags[-1].lstrip("-")))
            )
            if len(flags) > 1:
                specs.append(
                    _sh_quote(f"({' '.join(flags)})") + "{" + ",".join(flags) + "}" + _sh_quote(tail)
                )
            else:
                specs.append(_sh_quote(flags[0] + tail))
        if isinstance(command.positional, tuple):
            specs.append(_sh_quote("1:" + action(command.positional, "value")))
        elif command.positional == "command":
            specs.append(_sh_quote("*::command:_normal"))
        elif command.positional == "file":
            specs.append(_sh_quote("*:file:_files"))
        out.append(f"        {'|'.join(_sh_quote(n) for n in command.names)})")
        out.append("            _arguments -S \\")
        out += [f"                {spec} \\" for spec in specs]
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
        "    for token in $tokens",
        "        if not string match -q -- '-*' $token",
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
    for flags, text, _ in top.options:
        out.append(rule(f"not {fn}_command", *option(flags, text)))
    for command in rest:
        for name in command.names:
            out.append(rule(f"not {fn}_command", "-a", _fish_quote(name), "-d", _fish_quote(command.help)))
    for command in rest:
        using = f"{fn}_using " + " ".join(_fish_quote(n) for n in command.names)
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
            out.append(rule(using, *parts))
        if isinstance(command.positional, tuple):
            out.append(rule(using, "-a", _fish_quote(" ".join(command.positional))))
        elif command.positional == "command":
            out.append(
                rule(f"{using}; and contains -- -- (commandline -opc)", "-a", f"'({fn}_command_line)'")
            )
        elif command.positional == "file":
            out.append(rule(using, "-F"))
    return "\n".join(out) + "\n"


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
        err.write(f"error: {_one_line(_redact(message, given), 2000)}\n")
        if isinstance(exc, LoginRequiredError) and exc.command:
            err.write(f"To sign in again, run: {exc.command}\n")
        return _exit_code(exc)


if __name__ == "__main__":
    raise SystemExit(main())
