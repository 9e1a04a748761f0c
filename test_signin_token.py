"""Tests for signin_token: pytest only, real loopback HTTP, real files, real processes.

The fake Sign-In service below is strict in the ways the real one is (PROTOCOL.md
§5-6): every proof's ES256 signature is checked with an independent verifier
written here (plain affine arithmetic, sharing no code with the module), ``htu``,
``htm`` and ``iat`` are checked, a replayed ``jti`` is refused, codes are
single-use and PKCE-checked, and refresh tokens rotate and are bound to the
thumbprint of the key that obtained them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import dataclasses
import datetime
import hashlib
import http.server
import importlib.metadata
import importlib.util
import io
import json
import os
import queue
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import textwrap
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from email.utils import formatdate
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import pytest

import signin_token as st

HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------
# An independent ES256 verifier (affine P-256, textbook formulas)
# --------------------------------------------------------------------------

P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256_G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)


def _affine_add(a: tuple[int, int] | None, b: tuple[int, int] | None) -> tuple[int, int] | None:
    if a is None:
        return b
    if b is None:
        return a
    p = P256_P
    if a[0] == b[0] and (a[1] + b[1]) % p == 0:
        return None
    if a == b:
        lam = (3 * a[0] * a[0] - 3) * pow(2 * a[1], -1, p) % p
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, p) % p
    x = (lam * lam - a[0] - b[0]) % p
    return x, (lam * (a[0] - x) - a[1]) % p


def affine_mul(k: int, point: tuple[int, int]) -> tuple[int, int] | None:
    result = None
    addend: tuple[int, int] | None = point
    while k:
        if k & 1:
            result = _affine_add(result, addend)
        addend = _affine_add(addend, addend)
        k >>= 1
    return result


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def es256_verify(jwk: dict[str, str], message: bytes, signature: bytes) -> bool:
    """ECDSA P-256/SHA-256 verification, independent of the module under test."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or len(signature) != 64:
        return False
    qx, qy = (int.from_bytes(b64url_decode(jwk[c]), "big") for c in ("x", "y"))
    if (qy * qy - qx**3 + 3 * qx - P256_B) % P256_P:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (1 <= r < P256_N and 1 <= s < P256_N):
        return False
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    w = pow(s, -1, P256_N)
    point = _affine_add(affine_mul(e * w % P256_N, P256_G), affine_mul(r * w % P256_N, (qx, qy)))
    return point is not None and point[0] % P256_N == r


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 for EC keys, written out by hand."""
    canonical = json.dumps({m: jwk[m] for m in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


# --------------------------------------------------------------------------
# The strict fake Sign-In service
# --------------------------------------------------------------------------


def fake_jwt(claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}.{b64url(b'sig')}"


ACCOUNT = "123456789012"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice"
TOKEN_TYPE = "urn:aws:params:oauth:token-type:access_token_sigv4"
# The authorize URL's query parameters, in the order PROTOCOL.md §2 gives.
AUTHORIZE_PARAMETERS = [
    "response_type",
    "client_id",
    "state",
    "code_challenge_method",
    "scope",
    "redirect_uri",
    "code_challenge",
]


class FakeSignin:
    """A loopback Sign-In service: ``/v1/authorize``, the confirmation page and
    ``/v1/token``.  ``faults`` is a list of actions for the next token requests
    (each consumed once); see ``_fault``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: dict[str, dict[str, str]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.seen_jti: set[str] = set()
        self.requests: list[dict[str, Any]] = []  # every token request, parsed
        self.faults: list[tuple[Any, ...]] = []
        self.clock_offset = 0.0  # the server's clock minus ours
        self.expires_in = 900
        self.omit_refresh_token = False
        self.long_tokens = 0  # when set: refresh tokens this long, id tokens with a claim this long
        self.subject = SESSION_ARN
        self.rotate = True
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer._get(self)

            def do_POST(self) -> None:
                outer._post(self)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.token_url = self.url + "/v1/token"
        # A short poll: close() waits for the loop to notice the shutdown, once per test.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.005,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- helpers for tests ---------------------------------------------------

    def now(self) -> float:
        return time.time() + self.clock_offset

    def token_calls(self, grant: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if grant is None or r.get("grant") == grant]

    def issue_code(self, *, client_id: str, redirect_uri: str, challenge: str, state: str) -> str:
        code = "code-" + uuid.uuid4().hex
        with self.lock:
            self.codes[code] = {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "challenge": challenge,
                "state": state,
            }
        return code

    def seed_session(
        self, key: st.DPoPKey, *, client_id: str = st.SAME_DEVICE_CLIENT_ID, length: int = 0
    ) -> str:
        """A refresh token bound to ``key``, as if a login had happened (padded to
        ``length`` characters when that is longer)."""
        token = "rt-" + uuid.uuid4().hex
        token += "x" * (length - len(token))
        with self.lock:
            self.refresh_tokens[token] = {"jkt": key.thumbprint(), "client_id": client_id}
        return token

    # -- HTTP ----------------------------------------------------------------

    def _send(
        self,
        h: http.server.BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Date", formatdate(self.now(), usegmt=True))
        h.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _error(self, h: Any, status: int, error_type: str, code: str, message: str) -> None:
        body = json.dumps({"error": code, "message": message}).encode()
        self._send(h, status, body, {"x-amzn-ErrorType": f"{error_type}:http://internal.amazon.com/"})

    def _get(self, h: http.server.BaseHTTPRequestHandler) -> None:
        path, _, query = h.path.partition("?")
        params = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
        if path == "/v1/authorize":
            if (
                [k for k, _ in urllib.parse.parse_qsl(query)] != AUTHORIZE_PARAMETERS
                or params["code_challenge_method"] != "SHA-256"
                or params["scope"] != "openid"
            ):
                self._send(h, 400, b"bad authorize request", content_type="text/plain")
                return
            code = self.issue_code(
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                challenge=params["code_challenge"],
                state=params["state"],
            )
            target = (
                params["redirect_uri"]
                + "?"
                + urllib.parse.urlencode({"code": code, "state": params["state"]})
            )
            self._send(h, 302, b"", {"Location": target}, content_type="text/plain")
        elif path == "/v1/sessions/confirmation":
            pasted = base64.b64encode(f"state={params['state']}&code={params['code']}".encode())
            self._send(h, 200, pasted, content_type="text/plain")
        else:
            self._send(h, 404, b"not found", content_type="text/plain")

    def _post(self, h: http.server.BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length)
        if h.path != "/v1/token":
            self._send(h, 404, b"{}")
            return
        record: dict[str, Any] = {"headers": dict(h.headers.items()), "body": raw, "time": time.time()}
        with self.lock:
            self.requests.append(record)
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None and self._fault(h, fault):
            return
        # 1. The body: JSON or form, per Content-Type.
        ctype = h.headers.get("Content-Type", "")
        try:
            if ctype == "application/json":
                body = json.loads(raw)
                get = body.get
            elif ctype == "application/x-www-form-urlencoded":
                form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode(), strict_parsing=True).items()}
                names = {
                    "client_id": "clientId",
                    "grant_type": "grantType",
                    "redirect_uri": "redirectUri",
                    "code_verifier": "codeVerifier",
                    "refresh_token": "refreshToken",
                    "code": "code",
                }
                body = {names[k]: v for k, v in form.items()}
                get = body.get
            else:
                raise ValueError(ctype)
        except (ValueError, KeyError):
            self._error(h, 400, "ValidationException", "INVALID_REQUEST", "malformed body")
            return
        record["grant"] = get("grantType")
        record["json"] = body
        # 2. The DPoP proof (RFC 9449 §4.3).
        problem = self._check_proof(h.headers.get("DPoP"), record)
        if problem:
            status, code, message = problem
            self._error(
                h, status, "ValidationException" if status == 400 else "AccessDeniedException", code, message
            )
            return
        # 3. The grant.
        if get("grantType") == "authorization_code":
            self._redeem(h, get, record)
        elif get("grantType") == "refresh_token":
            self._refresh(h, get, record)
        else:
            self._error(h, 400, "ValidationException", "INVALID_REQUEST", "unsupported grant_type")

    def _check_proof(self, proof: str | None, record: dict[str, Any]) -> tuple[int, str, str] | None:
        if not proof:
            return 400, "INVALID_REQUEST", "DPoP header is required"
        try:
            head_b64, claims_b64, sig_b64 = proof.split(".")
            header = json.loads(b64url_decode(head_b64))
            claims = json.loads(b64url_decode(claims_b64))
            signature = b64url_decode(sig_b64)
        except ValueError:
            return 400, "INVALID_REQUEST", "malformed DPoP proof"
        record["proof_header"], record["proof_claims"] = header, claims
        jwk = header.get("jwk", {})
        if header.get("typ") != "dpop+jwt" or header.get("alg") != "ES256" or "d" in jwk:
            return 400, "INVALID_REQUEST", "bad DPoP header"
        if (
            set(jwk) != {"kty", "crv", "x", "y"}
            or len(b64url_decode(jwk["x"])) != 32
            or len(b64url_decode(jwk["y"])) != 32
        ):
            return 400, "INVALID_REQUEST", "bad DPoP jwk"
        if not es256_verify(jwk, f"{head_b64}.{claims_b64}".encode(), signature):
            return 400, "INVALID_REQUEST", "DPoP signature does not verify"
        if claims.get("htm") != "POST" or claims.get("htu") != self.token_url:
            return 400, "INVALID_REQUEST", "DPoP htm/htu mismatch"
        iat = claims.get("iat")
        if type(iat) is not int or abs(iat - self.now()) > 60:
            return 401, "TOKEN_EXPIRED", "The DPoP proof has expired or is not yet valid (iat)."
        jti = claims.get("jti")
        with self.lock:
            if not isinstance(jti, str) or jti in self.seen_jti:
                return 400, "INVALID_REQUEST", "DPoP proof replayed (jti)"
            self.seen_jti.add(jti)
        record["jkt"] = thumbprint(jwk)
        return None

    def _tokens(self, jkt: str, client_id: str, id_token: bool) -> dict[str, Any]:
        refresh = "rt-" + uuid.uuid4().hex
        refresh += "x" * (self.long_tokens - len(refresh))
        with self.lock:
            self.refresh_tokens[refresh] = {"jkt": jkt, "client_id": client_id}
        out: dict[str, Any] = {
            "accessToken": {
                "accessKeyId": "ASIA" + uuid.uuid4().hex[:16].upper(),
                "secretAccessKey": "sk-" + uuid.uuid4().hex,
                "sessionToken": "st-" + uuid.uuid4().hex,
            },
            "tokenType": TOKEN_TYPE,
            "expiresIn": self.expires_in,
        }
        if not self.omit_refresh_token:
            out["refreshToken"] = refresh
        if id_token:
            now = int(self.now())
            out["idToken"] = fake_jwt(
                {
                    "sub": self.subject,
                    "aud": client_id,
                    "iss": self.url,
                    "session_arn": self.subject,
                    "iat": now,
                    "exp": now + 43200,
                    **({"pad": "p" * self.long_tokens} if self.long_tokens else {}),
                }
            )
        return out

    def _redeem(self, h: Any, get: Any, record: dict[str, Any]) -> None:
        with self.lock:
            grant = self.codes.pop(get("code"), None)  # single use, consumed even on failure
        verifier = get("codeVerifier") or ""
        if grant is None:
            self._error(
                h,
                400,
                "ValidationException",
                "INVALID_REQUEST",
                "The provided authorization grant is invalid, expired, revoked, or malformed",
            )
        elif (
            grant["client_id"] != get("clientId")
            or grant["redirect_uri"] != get("redirectUri")
            or b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]
            or get("refreshToken") is not None
        ):
            self._error(h, 400, "ValidationException", "INVALID_REQUEST", "grant does not match")
        else:
            self._send(h, 200, json.dumps(self._tokens(record["jkt"], grant["client_id"], True)).encode())

    def _refresh(self, h: Any, get: Any, record: dict[str, Any]) -> None:
        token = get("refreshToken")
        with self.lock:
            bound = self.refresh_tokens.get(token)
            if bound is not None and self.rotate and not self.omit_refresh_token:
                del self.refresh_tokens[token]
        if bound is None:
            self._error(
                h,
                400,
                "ValidationException",
                "INVALID_REQUEST",
                "The provided authorization grant is invalid, expired, revoked, or malformed",
            )
        elif bound["jkt"] != record["jkt"] or bound["client_id"] != get("clientId"):
            self._error(h, 400, "ValidationException", "INVALID_REQUEST", "token is bound to another key")
        else:
            self._send(h, 200, json.dumps(self._tokens(record["jkt"], bound["client_id"], False)).encode())

    def _fault(self, h: Any, fault: tuple[Any, ...]) -> bool:
        """Apply one injected fault; True when the request is fully answered."""
        kind = fault[0]
        if kind == "status":  # ("status", code, error_type, error_code, extra headers)
            _, status, error_type, code, *rest = fault
            body = json.dumps({"error": code, "message": f"injected {status}"}).encode()
            headers = {"x-amzn-ErrorType": error_type} if error_type else {}
            headers.update(rest[0] if rest else {})
            self._send(h, status, body, headers)
        elif kind == "raw":  # ("raw", status, body bytes, content type)
            self._send(h, fault[1], fault[2], content_type=fault[3])
        elif kind == "reset":
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            h.connection.close()
            h.close_connection = True
        elif kind == "reset-mid":  # headers and half a body, then a reset
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "1000")
            h.end_headers()
            h.wfile.write(b'{"accessToken": {"accessKeyId"')
            h.wfile.flush()
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            h.connection.close()
            h.close_connection = True
        elif kind == "sleep":  # ("sleep", seconds): answer nothing for a while
            time.sleep(fault[1])
            h.close_connection = True
        elif kind == "hang":  # ("hang", event): answer nothing until the test sets event (30 s at most)
            fault[1].wait(30)
            h.close_connection = True
        elif kind == "delay":  # ("delay", seconds): answer normally, that much later
            time.sleep(fault[1])
            return False
        elif kind == "redirect":
            self._send(h, 302, b"", {"Location": self.url + "/elsewhere"}, content_type="text/plain")
        elif kind == "huge":
            self._send(h, 200, b'{"x": "' + b"a" * (2 << 20) + b'"}')
        elif kind == "pass":
            return False
        elif kind == "hold":  # ("hold", threading.Event): answer normally once the test sets it
            fault[1].wait(60)
            return False
        else:  # pragma: no cover
            raise AssertionError(kind)
        return True


@pytest.fixture
def fake() -> Iterator[FakeSignin]:
    server = FakeSignin()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An isolated AWS environment: HOME, config and cache in tmp_path, no proxies."""
    exec_child = (st._EXEC_MARKER, st._EXEC_CONFIG_FILE, st._EXEC_CREDENTIALS_FILE)  # run in exec's shell
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_")
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
        and k not in exec_child
    }
    env.update(
        {
            "HOME": str(tmp_path / "home"),
            "AWS_CONFIG_FILE": str(tmp_path / "home" / ".aws" / "config"),
            "AWS_LOGIN_CACHE_DIRECTORY": str(tmp_path / "home" / ".aws" / "login" / "cache"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "home" / ".aws" / "credentials"),
            "PYTHONPATH": str(HERE),
        }
    )
    (tmp_path / "home").mkdir()
    for key in list(os.environ):
        if (
            key.startswith("AWS_")
            or key.lower() in ("http_proxy", "https_proxy", "all_proxy")
            or key in exec_child
        ):
            monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("AWS_") or key == "HOME":
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", "")  # so that teardown restores it
    return env


@pytest.fixture
def signed_in(aws_env: dict[str, str], fake: FakeSignin) -> Path:
    """A session of the default profile with an hour of credentials left, as ``aws login``
    leaves it (see ``write_session``): the path of its cache entry."""
    return write_session(aws_env, fake, expires_in=3600)


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------

# The peers the suite checks itself against, and the word each one's skip reason holds.
# CI installs them all and names them in $SIGNIN_TOKEN_REQUIRED_PEERS (comma-separated);
# there, a test skipped for want of one fails instead.  Elsewhere they skip with the reason.
PEER_SKIP_WORDS = {
    "botocore": r"\bbotocore\b",
    "awscrt": r"\bawscrt\b",
    "cryptography": r"\bcryptography\b",
    "node-sdk": r"\bnode\b|@aws-sdk|\bJS SDK\b",
    "fish": r"\bfish\b",
    "zsh": r"\bzsh\b",
}


def required_peers() -> dict[str, str]:
    """The peers named in ``$SIGNIN_TOKEN_REQUIRED_PEERS`` -> their skip-reason pattern."""
    names = [n.strip() for n in os.environ.get("SIGNIN_TOKEN_REQUIRED_PEERS", "").split(",") if n.strip()]
    unknown = sorted(set(names) - set(PEER_SKIP_WORDS))
    if unknown:
        raise pytest.UsageError(f"SIGNIN_TOKEN_REQUIRED_PEERS names unknown peers {unknown}")
    return {n: PEER_SKIP_WORDS[n] for n in names}


class RequiredPeersPlugin:
    """Turns the skip of a test whose reason names a required peer into a failure."""

    def __init__(self, peers: dict[str, str]) -> None:
        self.peers = peers

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        outcome = yield
        report = outcome.get_result()  # type: ignore[attr-defined]
        if not report.skipped or not isinstance(report.longrepr, tuple):
            return
        reason = str(report.longrepr[2])
        missing = [name for name, words in self.peers.items() if re.search(words, reason)]
        if missing:
            report.outcome = "failed"
            report.longrepr = f"required peer {', '.join(missing)} missing in CI: {reason}"


@pytest.fixture(autouse=True, scope="session")
def peers_required_in_ci(request: pytest.FixtureRequest) -> None:
    """Registers :class:`RequiredPeersPlugin` once, before the first test runs (test
    modules cannot hold hooks themselves)."""
    peers = required_peers()
    manager = request.config.pluginmanager
    if peers and not manager.has_plugin("signin-token-required-peers"):
        manager.register(RequiredPeersPlugin(peers), "signin-token-required-peers")


@pytest.fixture(autouse=True, scope="session")
def interruptible_children() -> Iterator[None]:
    """Processes the tests start get SIGINT as from a terminal.  A runner started in the
    background (``cmd &`` in a script, nohup, some CI agents) has SIGINT ignored, and an
    ignored signal stays ignored across exec: the Ctrl-C tests' SIGINT would then do
    nothing.  A handled one is reset to the default at exec, so handle it here."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGINT"):
        yield
        return
    before = signal.getsignal(signal.SIGINT)
    if before == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if before == signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def need_peer(peer: str, reason: str) -> NoReturn:
    """Skip (outside CI) or fail (in CI, where ``peer`` is required): ``peer`` is missing."""
    assert re.search(PEER_SKIP_WORDS[peer], reason), reason
    if peer in required_peers():
        pytest.fail(f"required peer {peer} missing in CI: {reason}")
    pytest.skip(reason)


def run_cli(
    args: list[str], env: dict[str, str], *, stdin_text: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m signin_token ARGS`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "signin_token", *args],
        env=env,
        input=stdin_text,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(HERE),
        check=False,
    )


class Ran(NamedTuple):
    """What a command gave: its exit code and its two output streams (as a process's)."""

    returncode: int
    stdout: str
    stderr: str


def run_here(
    args: list[Any],
    env: Mapping[str, Any],
    *,
    stdin_text: str | None = None,
    sleeps: list[float] | None = None,
    torn_read_wait: float = st._TORN_READ_WAIT,
    stderr: io.StringIO | None = None,
) -> Ran:
    """``python -m signin_token ARGS`` in-process: ``main`` with in-memory streams, run
    with exactly ``env`` as ``os.environ`` (restored afterwards) and no secret noted by
    an earlier call, as a new process starts.  Its sleeps (backoff, torn-read waits)
    are recorded in ``sleeps`` and take no time.  Bytes in ``args`` and ``env`` reach
    ``main`` as Python passes a process's undecodable bytes (surrogate escapes)."""
    saved = dict(os.environ)
    st._noted_secrets.clear()
    out, err = io.StringIO(), io.StringIO() if stderr is None else stderr
    try:
        os.environ.clear()
        os.environ.update({os.fsdecode(k): os.fsdecode(v) for k, v in env.items()})
        code = st.main(
            [os.fsdecode(a) for a in args],
            stdin=io.StringIO(stdin_text or ""),
            stdout=out,
            stderr=err,
            sleep=(sleeps if sleeps is not None else []).append,
            torn_read_wait=torn_read_wait,
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Ran(code, out.getvalue(), err.getvalue())


def beside_a_ticker(work: Callable[[], Any]) -> tuple[Any, list[float]]:
    """Run the coroutine ``work()`` on a new event loop beside a task that ticks every
    10 ms: (its result, the times of the ticks)."""

    async def main() -> tuple[Any, list[float]]:
        ticks: list[float] = []

        async def ticker() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.01)

        task = asyncio.ensure_future(ticker())
        try:
            await asyncio.sleep(0)
            return await work(), ticks
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return asyncio.run(main())


def assert_kept_ticking(ticks: list[float]) -> None:
    """The event loop was never blocked: many ticks, no gap over half a second."""
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) >= 50, len(ticks)
    assert max(gaps) < 0.5, max(gaps)


def spawn(
    argv: list[str], env: dict[str, str], *, stdin: int = subprocess.DEVNULL, stderr: int = subprocess.PIPE
) -> subprocess.Popen[str]:
    """Start ``argv`` in this directory with ``env``: text pipes for stdout and (by default) stderr."""
    return subprocess.Popen(
        argv, env=env, cwd=str(HERE), stdin=stdin, stdout=subprocess.PIPE, stderr=stderr, text=True
    )


def run_ok(
    argv: list[str], env: dict[str, str], *, cwd: Path | None = HERE, timeout: float = 60, quiet: bool = False
) -> str:
    """Run ``argv`` (a peer SDK, a shell) to its end: it must exit 0 (else its stderr is
    shown), and with ``quiet`` write nothing to stderr; its stdout.  ``cwd=None``: this
    process's working directory."""
    proc = subprocess.run(
        argv,
        env=env,
        cwd=None if cwd is None else str(cwd),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert not quiet or proc.stderr == "", proc.stderr
    return proc.stdout


def browser_follow(url: str, *, timeout: float = 10) -> tuple[int, str]:
    """A scripted browser: GET the authorize URL and follow redirects (to the
    loopback callback, or to the confirmation page)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()


def write_session(
    env: dict[str, str],
    fake: FakeSignin,
    *,
    profile: str = "default",
    expires_in: float = 3600,
    key: st.DPoPKey | None = None,
    extra: dict[str, Any] | None = None,
    region: str = "us-east-1",
) -> Path:
    """A cache entry and config as ``aws login`` writes them, bound to ``fake``."""
    key = key or st.DPoPKey.generate()
    refresh = fake.seed_session(key)
    expires = iso_stamp(time.time() + expires_in)
    entry = {
        "accessToken": {
            "accessKeyId": "ASIAOLD",
            "secretAccessKey": "old-secret",
            "sessionToken": "old-session",
            "accountId": ACCOUNT,
            "expiresAt": expires,
        },
        "tokenType": TOKEN_TYPE,
        "clientId": st.SAME_DEVICE_CLIENT_ID,
        "refreshToken": refresh,
        "idToken": fake_jwt({"sub": SESSION_ARN}),
        "dpopKey": key.to_pem(),
    }
    entry.update(extra or {})
    path = cache_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entry))
    path.chmod(0o600)  # as aws login writes it
    config = Path(env["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    section = "default" if profile == "default" else f"profile {profile}"
    with config.open("a") as f:
        f.write(f"[{section}]\nregion = {region}\nlogin_session = {SESSION_ARN}\n")
    env["AWS_ENDPOINT_URL_SIGNIN"] = fake.url
    os.environ["AWS_ENDPOINT_URL_SIGNIN"] = fake.url
    return path


# RFC 6979 A.2.5, P-256.
RFC6979_D = 0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
RFC6979_UX = 0x60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6
RFC6979_UY = 0x7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299
OID_P256 = "2a8648ce3d030107"
OID_EC = "2a8648ce3d0201"

LoginHandle = tuple["subprocess.Popen[str]", "queue.Queue[str | None]", list, threading.Thread]


# The credential_process JSON members, in the order they are printed (PROTOCOL.md §12).
PROCESS_KEYS = ("Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId")


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_main(argv: list[str], stdin: str = "", **timing: Any) -> tuple[int, str, str]:
    """The CLI in-process with in-memory streams: (exit code, stdout, stderr).
    ``timing``: ``main``'s ``clock``, ``sleep`` and ``torn_read_wait``; by default its
    sleeps (backoff, torn-read waits) take no time."""
    out, err = io.StringIO(), io.StringIO()
    timing.setdefault("sleep", lambda _seconds: None)
    code = st.main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err, **timing)
    return code, out.getvalue(), err.getvalue()


def der_tlv(tag: int, content: bytes) -> bytes:
    """One DER TLV (definite length, short or long form)."""
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return bytes([tag]) + length + content


def int_bytes(value: int, size: int = 32) -> bytes:
    return value.to_bytes(size, "big")


def sec1_key_der(
    *,
    d: bytes | None = None,
    version: bytes = b"\x01",
    oid: str | None = OID_P256,
    point: bytes | None = None,
    public: bool = True,
) -> bytes:
    """RFC 5915 ECPrivateKey built from its parts (defaults: the RFC 6979 key)."""
    d = int_bytes(RFC6979_D) if d is None else d
    point = b"\x04" + int_bytes(RFC6979_UX) + int_bytes(RFC6979_UY) if point is None else point
    body = der_tlv(0x02, version) + der_tlv(0x04, d)
    if oid is not None:
        body += der_tlv(0xA0, der_tlv(0x06, bytes.fromhex(oid)))
    if public:
        body += der_tlv(0xA1, der_tlv(0x03, b"\x00" + point))
    return der_tlv(0x30, body)


def pkcs8_key_der(inner: bytes, *, alg_oid: str = OID_EC, curve: str = OID_P256) -> bytes:
    """RFC 5208 PrivateKeyInfo wrapping an ECPrivateKey (RFC 5915 §2)."""
    algorithm = der_tlv(0x30, der_tlv(0x06, bytes.fromhex(alg_oid)) + der_tlv(0x06, bytes.fromhex(curve)))
    return der_tlv(0x30, der_tlv(0x02, b"\x00") + algorithm + der_tlv(0x04, inner))


def pem_armor(label: str, der: bytes) -> str:
    """``der`` in PEM: base64 in 64-character lines between the ``label`` lines."""
    text = base64.b64encode(der).decode()
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def sec1_spec_der(d: int, x: int, y: int) -> bytes:
    """The 121-byte SEC 1 key layout, spelled out as PROTOCOL.md §7 gives it."""
    return (
        bytes.fromhex("30 77 02 01 01 04 20")
        + int_bytes(d)
        + bytes.fromhex("a0 0a 06 08 2a 86 48 ce 3d 03 01 07 a1 44 03 42 00 04")
        + int_bytes(x)
        + int_bytes(y)
    )


def pem_decode(pem: str) -> tuple[str, bytes]:
    """(label, DER) of a one-block PEM, decoded by hand."""
    lines = pem.strip().splitlines()
    m = re.fullmatch(r"-----BEGIN ([A-Z ]+)-----", lines[0])
    assert m is not None and lines[-1] == f"-----END {m.group(1)}-----", pem
    return m.group(1), base64.b64decode("".join(lines[1:-1]), validate=True)


def public_jwk(x: int, y: int) -> dict[str, str]:
    """The public JWK (RFC 7518 §6.2.1) of the P-256 point (x, y)."""
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(x.to_bytes(32, "big")),
        "y": b64url(y.to_bytes(32, "big")),
    }


def file_mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


def url_query(url: str) -> dict[str, str]:
    """The query of ``url`` as a dict (the last value of a repeated name)."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def request_header(record: dict[str, Any], name: str) -> str | None:
    """A request header recorded by the fake, by case-insensitive name."""
    for key, value in record["headers"].items():
        if key.lower() == name.lower():
            return str(value)
    return None


def split_proof(proof: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """A DPoP proof JWT as (header, claims, signing input, signature)."""
    head, claims, sig = proof.split(".")
    return (
        json.loads(b64url_decode(head)),
        json.loads(b64url_decode(claims)),
        f"{head}.{claims}".encode(),
        b64url_decode(sig),
    )


def proof_claims(record: dict[str, Any]) -> dict[str, Any]:
    """The claims of the DPoP proof a fake request carried, after checking its signature."""
    proof = request_header(record, "DPoP")
    assert proof is not None
    header, claims, signing_input, signature = split_proof(proof)
    assert es256_verify(header["jwk"], signing_input, signature)
    return claims


def refresh_request(fake: FakeSignin, key: st.DPoPKey) -> st.CreateOAuth2TokenRequest:
    """A refresh request for a session the fake binds to ``key``."""
    token = fake.seed_session(key)
    return st.CreateOAuth2TokenRequest(
        st.CreateOAuth2TokenRequestBody(
            client_id=st.SAME_DEVICE_CLIENT_ID, grant_type="refresh_token", refresh_token=token
        )
    )


def code_request(
    fake: FakeSignin, redirect_uri: str, client_id: str = st.SAME_DEVICE_CLIENT_ID
) -> tuple[st.CreateOAuth2TokenRequest, str, str]:
    """A code-redemption request for a code the fake really issued: (request, code, verifier)."""
    pkce = st.generate_pkce()
    code = fake.issue_code(
        client_id=client_id,
        redirect_uri=redirect_uri,
        challenge=pkce.code_challenge,
        state=pkce.state,
    )
    body = st.CreateOAuth2TokenRequestBody(
        client_id=client_id,
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=pkce.code_verifier,
    )
    return st.CreateOAuth2TokenRequest(body), code, pkce.code_verifier


def token_argv(endpoint: str, key_file: str | Path, grant_type: str, *members: str) -> list[str]:
    """``token`` arguments: ``grant_type`` for the same-device client, then ``members``."""
    common = ["--endpoint-url", endpoint, "--dpop-key", str(key_file), "--grant-type", grant_type]
    return ["token", *common, "--client-id", st.SAME_DEVICE_CLIENT_ID, *members]


def token_code_argv(
    endpoint: str, key_file: str | Path, code: str, verifier: str, redirect_uri: str
) -> list[str]:
    """``token`` arguments that redeem ``code`` for the same-device client."""
    # ``=``: a verifier may start with "-".
    members = ["--code", code, "--redirect-uri", redirect_uri, f"--code-verifier={verifier}"]
    return token_argv(endpoint, key_file, "authorization_code", *members)


def token_refresh_argv(endpoint: str, key_file: str | Path, refresh_token: str) -> list[str]:
    """``token`` arguments that refresh ``refresh_token`` for the same-device client."""
    return token_argv(endpoint, key_file, "refresh_token", "--refresh-token", refresh_token)


def iso_stamp(when: float) -> str:
    """POSIX seconds as the cache's ``expiresAt`` form (whole seconds, Z)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def iso_instant(text: str) -> float:
    """An ISO 8601 timestamp (Z or offset, optional fraction) as POSIX seconds."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    assert m is not None, text
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    base = datetime.datetime.fromisoformat(m.group(1) + zone).timestamp()
    return base + (float("0." + m.group(2)) if m.group(2) else 0.0)


def cache_path(env: dict[str, str], session: str = SESSION_ARN) -> Path:
    """Where the login cache entry of ``session`` lives."""
    name = hashlib.sha256(session.encode()).hexdigest() + ".json"
    return Path(env["AWS_LOGIN_CACHE_DIRECTORY"]) / name


def cached_expiry(path: Path) -> float:
    """The ``expiresAt`` of a cache entry (strictly ``YYYY-MM-DDTHH:MM:SSZ``) as POSIX seconds."""
    stamp = json.loads(path.read_text())["accessToken"]["expiresAt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp), stamp
    return iso_instant(stamp)


def login_env(aws_env: dict[str, str], fake: FakeSignin, **extra: str) -> dict[str, str]:
    """``aws_env`` pointed at ``fake`` (us-east-1), plus ``extra``."""
    env = dict(aws_env, AWS_ENDPOINT_URL_SIGNIN=fake.url, AWS_REGION="us-east-1")
    env.update(extra)
    return env


@contextlib.contextmanager
def login_process(
    args: list[str], env: dict[str, str], *, pipe_stdin: bool = False, as_printed: bool = False
) -> Iterator[LoginHandle]:
    """A running ``python -m signin_token ARGS`` (``as_printed``: ``sh -c ARGS[0]``, a command
    line as a message printed it); stderr is pumped line by line."""
    proc = spawn(
        ["sh", "-c", args[0]] if as_printed else [sys.executable, "-m", "signin_token", *args],
        env,
        stdin=subprocess.PIPE if pipe_stdin else subprocess.DEVNULL,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    seen: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line)
            lines.put(line)
        lines.put(None)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        yield proc, lines, seen, thread
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        thread.join(10)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def login_url(handle: LoginHandle) -> str:
    """The authorize URL: the first stderr line that is a URL on its own."""
    lines = handle[1]
    while True:
        line = lines.get(timeout=30)
        assert line is not None, "the process ended without printing a URL: " + "".join(handle[2])
        if line.strip().startswith("http"):
            assert line == line.strip() + "\n", "the URL must be on a line of its own"
            return line.strip()


def login_finish(
    handle: LoginHandle, stdin_text: str | None = None, *, timeout: float = 60
) -> tuple[int, str, str]:
    """Optionally write ``stdin_text``, wait: (exit code, stdout, the whole stderr)."""
    proc, _, seen, thread = handle
    if stdin_text is not None:
        assert proc.stdin is not None
        proc.stdin.write(stdin_text)
        proc.stdin.close()
    rc = proc.wait(timeout=timeout)
    thread.join(30)
    assert proc.stdout is not None
    return rc, proc.stdout.read(), "".join(seen)


# The model's constrained shapes (service-2.json), checked against the file below.
MODEL_SHAPES: dict[str, tuple[int | None, int | None, str | None]] = {
    "AuthorizationCode": (1, 512, None),
    "ClientId": (None, None, "arn:aws:signin:::devtools/(cross-device|same-device)"),
    "CodeVerifier": (43, 128, "[A-Za-z0-9\\-._~]+"),
    "ExpiresIn": (1, 900, None),
    "GrantType": (None, None, "(authorization_code|refresh_token)"),
    "IdToken": (1, 4096, None),
    "RedirectUri": (1, 2048, None),
    "RefreshToken": (1, 2048, None),
}
REDIRECT_URI = "http://127.0.0.1:4321/oauth/callback"
AUTH_CODE_MEMBERS = {
    "client_id": st.SAME_DEVICE_CLIENT_ID,
    "grant_type": "authorization_code",
    "code": "code-1",
    "redirect_uri": REDIRECT_URI,
    "code_verifier": "v" * 43,
}
REFRESH_MEMBERS = {
    "client_id": st.SAME_DEVICE_CLIENT_ID,
    "grant_type": "refresh_token",
    "refresh_token": "rt-1",
}


def fake_client(fake: FakeSignin, waits: list[float] | None = None, **kw: Any) -> st.SigninClient:
    sleep = waits.append if waits is not None else (lambda _s: None)
    return st.SigninClient(endpoint_url=fake.url, environ={}, sleep=sleep, **kw)


def response_body(**over: Any) -> st.CreateOAuth2TokenResponseBody:
    values: dict[str, Any] = {
        "access_token": st.AccessToken("ASIAKEYID", "SECRETKEY", "SESSIONTOK"),
        "token_type": TOKEN_TYPE,
        "expires_in": 900,
        "refresh_token": "rt-2",
        "id_token": "id-tok",
    }
    values.update(over)
    return st.CreateOAuth2TokenResponseBody(**values)


# What is enforced: requests as the model says, except the refresh token (the service's
# own opaque token echoed back); responses only up to a memory bound (PROTOCOL.md §13).
MAX_TOKEN_CHARS = 64 * 1024
REFRESH_TOKEN_MAX = 12288  # today's model: refused beyond this in a request (exit 2, before I/O)


SAME_DEVICE_CLIENT = "arn:aws:signin:::devtools/same-device"


CACHE_ACCESS_TOKEN_KEYS = {"accessKeyId", "secretAccessKey", "sessionToken", "accountId", "expiresAt"}
OTHER_SESSION_ARN = "arn:aws:iam::111111111111:user/Other"
# The login advice: a command that works as printed (an absolute interpreter, or the console script).
LOGIN_COMMAND_RE = r"(?:\S*python[\w.]* -m signin_token|\S*signin-token) login --profile {profile}(?:\s|$)"


def store_entry(env: dict[str, str], entry: dict[str, Any], session: str = SESSION_ARN) -> Path:
    path = cache_path(env, session)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entry))
    path.chmod(0o600)
    return path


def set_expiry(path: Path, when: float) -> None:
    entry = json.loads(path.read_text())
    entry["accessToken"]["expiresAt"] = iso_stamp(when)
    path.write_text(json.dumps(entry))


def full_login(env: dict[str, str], *extra: str) -> tuple[int, str, str]:
    """A same-device login driven by the scripted browser."""
    with login_process(["login", "--no-browser", "--callback-timeout", "30", *extra], env) as h:
        status, page = browser_follow(login_url(h))
        assert status == 200, page
        return login_finish(h)


class TappedStream(io.StringIO):
    """An in-memory stream that also hands each complete line to ``lines``."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._partial = ""

    def write(self, text: str) -> int:
        self._partial += text
        *done, self._partial = self._partial.split("\n")
        for line in done:
            self.lines.put(line)
        return super().write(text)


def full_login_here(env: dict[str, str], *extra: str) -> Ran:
    """:func:`full_login` in-process: ``main`` runs in a thread, the scripted browser
    follows the URL it prints."""
    err = TappedStream()
    result: list[Ran] = []

    def run() -> None:
        try:
            result.append(
                run_here(["login", "--no-browser", "--callback-timeout", "30", *extra], env, stderr=err)
            )
        finally:
            err.lines.put(None)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        while True:
            line = err.lines.get(timeout=30)
            assert line is not None, "the login ended without printing a URL: " + err.getvalue()
            if line.startswith("http"):
                break
        status, page = browser_follow(line)
        assert status == 200, page
    finally:
        thread.join(60)
    (ran,) = result
    return ran


def need_botocore(*, crt: bool = True) -> None:
    """botocore (at least the version the pinned data comes from) and, with ``crt``,
    awscrt (its login needs the CRT) for a peer test, else skip (fail in CI)."""
    for name in ("botocore", "awscrt") if crt else ("botocore",):
        if importlib.util.find_spec(name) is None:
            need_peer(name, f"{name} is not importable")
    version = importlib.metadata.version("botocore")
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:3])
    if numbers < PINNED_BOTOCORE:
        pinned = ".".join(map(str, PINNED_BOTOCORE))
        need_peer(
            "botocore",
            f"botocore {version} is older than {pinned}, the peer version these tests compare with",
        )


def botocore_is_the_pinned_peer() -> bool:
    """Whether botocore is installed at the pinned version or newer: only then do its
    names (``xform_name``) and data compare with ours (older ones spell some differently)."""
    if importlib.util.find_spec("botocore") is None:
        return False
    numbers = tuple(int(n) for n in re.findall(r"\d+", importlib.metadata.version("botocore"))[:3])
    return numbers >= PINNED_BOTOCORE


HTML_PAGE = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>oops</body></html>"
DISCARD_REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"


def token_response_body(drop: str = "", **changes: Any) -> bytes:
    """A 200 token response body with one member dropped ("a.b" paths) or changed."""
    body: dict[str, Any] = {
        "accessToken": {"accessKeyId": "ASIAROB", "secretAccessKey": "rob-sk", "sessionToken": "rob-st"},
        "tokenType": TOKEN_TYPE,
        "expiresIn": 900,
        "refreshToken": "rt-rob",
        "idToken": fake_jwt({"sub": SESSION_ARN}),
    }
    body.update(changes)
    if drop:
        *parents, last = drop.split(".")
        target = body
        for name in parents:
            target = target[name]
        del target[last]
    return json.dumps(body).encode()


def assert_error_output(err: str, *, debug: bool, login: bool) -> None:
    """One ``error:`` line (plus the login hint for exit 3, or at most one ``hint:`` line
    saying what to do); a traceback only with --debug."""
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert all(c.isprintable() for c in errors[0]), err
    if debug:
        assert "Traceback (most recent call last)" in err, err
        return
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert lines[0] == errors[0], err
    if login:
        assert len(lines) == 2 and lines[1].startswith("To sign in again, run: "), err
    else:
        assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), err


def raw_http(
    port: int, data: bytes, *, timeout: float = 10, half_close: bool = True, quiet: bool = True
) -> bytes:
    """Send raw bytes to a loopback port, (half-)close, read the whole answer.  ``quiet``:
    a reset connection gives what was read so far instead of raising."""
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (ConnectionResetError, BrokenPipeError):
            if not quiet:
                raise
    return b"".join(chunks)


def key_secrets(pem: str) -> set[str]:
    """The private parts of a PEM: its base64 body (whole and each line), d in hex and decimal."""
    lines = pem.strip().splitlines()[1:-1]
    der = base64.b64decode("".join(lines))
    d = int.from_bytes(der[7:39], "big")
    return {"".join(lines), *lines, format(d, "064x"), format(d, "x"), format(d, "X"), str(d)}


def leaked(text: str, secrets_: set[str]) -> list[str]:
    return sorted(s for s in secrets_ if s and s in text)


@contextlib.contextmanager
def callback_server() -> Iterator[tuple[st._CallbackServer, str]]:
    """A callback server on a free loopback port, and the state it waits for (a fresh uuid4)."""
    state = str(uuid.uuid4())
    server = st._CallbackServer(state, port=0)
    try:
        yield server, state
    finally:
        server.close()


def real_callback(server: st._CallbackServer, state: str) -> tuple[str, str]:
    """The browser brings the real callback (the right state, a fresh code): it is answered
    200 and ends the wait with that code.  (The code, the page.)"""
    code = "real-" + uuid.uuid4().hex
    status, page = browser_follow(f"{server.redirect_uri}?code={code}&state={state}")
    assert status == 200
    assert server.wait(10) == {"code": code}
    return code, page


SERVED_URI_RE = r"http://127\.0\.0\.1:(\d+)(/\S*)"


class ServeProcess:
    """A running ``serve``: the process, what it printed, its stderr so far."""

    def __init__(self, proc: subprocess.Popen[str], url: str, token: str, stdout: str) -> None:
        self.proc = proc
        self.url = url
        self.token = token
        self.stdout = stdout
        self.stderr: list[str] = []
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname or ""
        self.port = parts.port or 0
        self.path = parts.path

    def get(
        self,
        token: str | None = "",
        *,
        path: str | None = None,
        method: str = "GET",
        headers: list[tuple[str, str]] | None = None,
        host: str | None = "",
    ) -> tuple[int, dict[str, str], bytes]:
        """One request on a new connection; ``token=""`` sends the server's own, and
        ``host=""`` the Host of its URL (``None``: no Host)."""
        import http.client

        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.putrequest(method, path or self.path, skip_host=host != "", skip_accept_encoding=True)
            if host:
                conn.putheader("Host", host)
            if token is not None:
                conn.putheader("Authorization", token or self.token)
            for name, value in headers or []:
                conn.putheader(name, value)
            conn.endheaders()
            response = conn.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            conn.close()

    def creds(self) -> dict[str, Any]:
        status, headers, body = self.get()
        assert status == 200, body
        assert headers["cache-control"] == "no-store"
        doc: dict[str, Any] = json.loads(body)
        return doc


@contextlib.contextmanager
def serving(
    env: dict[str, str], *args: str, lines: int = 2, launcher: list[str] | None = None
) -> Iterator[ServeProcess]:
    """``python -m signin_token serve ARGS`` until the block ends (then SIGTERM, exit 0);
    ``launcher`` replaces ``python -m signin_token``."""
    proc = spawn([*(launcher or [sys.executable, "-m", "signin_token"]), "serve", *args], env)
    killer = threading.Timer(120, proc.kill)  # never hang the suite
    killer.start()
    seen: list[str] = []
    assert proc.stderr is not None and proc.stdout is not None
    stderr = proc.stderr
    pump = threading.Thread(target=lambda: seen.extend(stderr), daemon=True)
    pump.start()
    try:
        printed = "".join(proc.stdout.readline() for _ in range(lines))
        assert printed.endswith("\n"), f"serve printed {printed!r}; stderr: {''.join(seen)}"
        if printed.startswith("{"):
            doc = json.loads(printed)
            url, token = doc["AWS_CONTAINER_CREDENTIALS_FULL_URI"], doc["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        else:
            found = dict(line.removeprefix("export ").split("=", 1) for line in printed.splitlines())
            url, token = (
                found["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
                found["AWS_CONTAINER_AUTHORIZATION_TOKEN"],
            )
            url, token = shlex.split(url)[0], shlex.split(token)[0]
        handle = ServeProcess(proc, url, token, printed)
        handle.stderr = seen
        yield handle
        if proc.poll() is None:
            proc.terminate()
        assert proc.wait(30) == 0, "".join(seen)
        assert proc.stdout.read() == ""  # nothing after the two lines
    finally:
        killer.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        pump.join(10)
        proc.stdout.close()
        proc.stderr.close()


class RawLoopbackServer:
    """A raw TCP server on 127.0.0.1 (``port``, ``url``): one thread accepts and hands each
    connection to ``handle``; ``close`` stops it and joins every thread in ``threads``."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.01)  # how soon close() is noticed
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self._serve, daemon=True)]
        self.threads[0].start()

    def close(self) -> None:
        self.stopped.set()
        for thread in list(self.threads):
            thread.join(10)
        self.sock.close()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    @staticmethod
    def read_head(conn: socket.socket) -> tuple[bytes, bytes] | None:
        """(head, what came after it) of one request; None if the client closes first."""
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        return head, rest

    @staticmethod
    def read_body(conn: socket.socket, head: bytes, rest: bytes) -> bytes:
        """The body: ``rest`` read on up to the head's Content-Length."""
        m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        while m is not None and len(rest) < int(m.group(1)):
            rest += conn.recv(65536)
        return rest


class HostileServer(RawLoopbackServer):
    """A raw loopback server answering every request with that very request
    echoed back in a broken place (``mode``, see ``answer``); ``received`` holds
    each raw request.  Sequential, one thread, stopped by ``close``."""

    MODES = (
        "status",
        "header",
        "long",
        "long-header",
        "many-headers",
        "chunk",
        "truncated",
        "truncated-length",
        "silent",
    )

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.received: list[bytes] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # the client may give up mid-answer
            self._exchange(conn)

    def _exchange(self, conn: socket.socket) -> None:
        request = self.read_head(conn)
        if request is None:
            return
        head, rest = request
        rest = self.read_body(conn, head, rest)
        self.received.append(head + b"\r\n\r\n" + rest)
        conn.sendall(self.answer((rest + b" " + head).replace(b"\r\n", b" ")))  # secrets first

    def answer(self, echo: bytes) -> bytes:
        ok = b"HTTP/1.1 200 OK\r\n"
        if self.mode == "status":  # a malformed status line
            return b"HTTP/1.1 4x0 " + echo + b"\r\n\r\n"
        if self.mode == "header":  # in error fields, then a line that is no field, then the body
            body = json.dumps({"error": echo.decode("latin-1"), "message": echo.decode("latin-1")})
            return (
                b"HTTP/1.1 502 Bad Gateway\r\nX-Amzn-RequestId: "
                + echo
                + b"\r\nX-Amzn-ErrorType: "
                + echo
                + b"\r\n"
                + echo
                + b"\r\n\r\n"
                + body.encode("latin-1")
            )
        if self.mode == "long":  # a status line over 64 KiB
            return b"HTTP/1.1 200 " + echo * (70000 // len(echo) + 1) + b"\r\n\r\n"
        if self.mode == "long-header":
            return ok + b"X-Echo: " + echo * (70000 // len(echo) + 1) + b"\r\n\r\n"
        if self.mode == "many-headers":
            return ok + b"".join(b"X-Echo-%d: %s\r\n" % (i, echo) for i in range(120)) + b"\r\n"
        if self.mode == "chunk":  # the echo as a chunk-size line
            return ok + b"Transfer-Encoding: chunked\r\n\r\n" + echo + b"\r\n"
        if self.mode == "truncated":  # a chunked body cut short
            return ok + b"Transfer-Encoding: chunked\r\n\r\nffff\r\n" + echo
        if self.mode == "truncated-length":  # a Content-Length body cut short
            return ok + b"Content-Length: 99999\r\n\r\n" + echo
        return b""  # silent: the connection is closed without an answer

    def proofs(self) -> list[str]:
        """The DPoP proofs the server was sent."""
        found = [re.search(rb"(?im)^dpop:\s*(\S+)", r) for r in self.received]
        return [m.group(1).decode() for m in found if m is not None]


# mode -> (exception class, what the message must still say)
HOSTILE_EXPECTED: dict[str, tuple[type[st.SigninTokenError], str]] = {
    "status": (st.TransportError, "failed: HTTP/1.1 4x0 "),
    "header": (st.ServiceError, "HTTP 502"),
    "long": (st.TransportError, "failed: got more than 65536 bytes when reading status line"),
    "long-header": (st.TransportError, "failed: got more than 65536 bytes when reading header line"),
    "many-headers": (st.TransportError, "failed: got more than 100 headers"),
    "chunk": (st.TransportError, "failed: IncompleteRead("),
    "truncated": (st.TransportError, "failed: IncompleteRead("),
    "truncated-length": (st.InvalidResponseError, "malformed token response"),
    "silent": (st.TransportError, "failed: Remote end closed connection without response"),
}


def hostile_secrets(server: HostileServer, *values: str, pem: str | None = None) -> set[str]:
    """Every secret that must not come back: ``values``, each proof sent and
    its signature, a PEM's private lines."""
    found = {v for v in values if v}
    for proof in server.proofs():
        found |= {proof, proof.rsplit(".", 1)[1], proof.split(".")[1]}
    if pem is not None:
        found |= key_secrets(pem)
    assert found
    return found


def exception_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception reachable through ``__cause__``/``__context__``."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is not None and all(item is not s for s in seen):
            seen.append(item)
            todo += [item.__cause__, item.__context__]
    return seen


def hostile_check_exception(exc: BaseException, server: HostileServer, secrets_: set[str]) -> None:
    """No secret in str/repr/traceback of ``exc`` or of anything chained to it, no library
    exception chained, and the message still names the origin and the failure."""
    kind, what = HOSTILE_EXPECTED[server.mode]
    assert isinstance(exc, kind), repr(exc)
    assert what in str(exc), str(exc)
    if kind is st.TransportError:
        assert str(exc).startswith(f"request to http://127.0.0.1:{server.port} failed: "), str(exc)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for item in exception_chain(exc):
        assert isinstance(item, (st.SigninTokenError, st._RedactedError)), repr(item)
        text += str(item) + repr(item) + repr(item.args) + repr(vars(item))
    assert leaked(text, secrets_) == [], text[:3000]
    if kind is not st.ServiceError:  # a stand-in naming the original type
        assert isinstance(exc.__cause__, st._RedactedError), repr(exc.__cause__)
        assert exc.__suppress_context__


class TLSFakeSignin(FakeSignin):
    """The strict fake over TLS (``cert``/``key`` files), known as ``https://host[:port]``."""

    def __init__(self, cert: Path, key: Path, host: str = "127.0.0.1", *, default_port: bool = False) -> None:
        super().__init__()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://{host}" if default_port else f"https://{host}:{self.port}"
        self.token_url = self.url + "/v1/token"


def tls_der_int(value: int) -> bytes:
    return der_tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def tls_certificate(
    key: st.DPoPKey, subject: str, issuer_key: st.DPoPKey, issuer: str, *, names: tuple[str, ...] = ()
) -> str:
    """An X.509 v3 certificate (RFC 5280) in PEM, built by hand and signed (ES256) with
    the module's own signer: a CA when ``names`` is empty, else a server certificate
    for those DNS names / IPv4 addresses."""

    def oid(text: str) -> bytes:
        return der_tlv(0x06, bytes.fromhex(text))

    def name(cn: str) -> bytes:
        return der_tlv(0x30, der_tlv(0x31, der_tlv(0x30, oid("550403") + der_tlv(0x0C, cn.encode()))))

    def ext(ident: str, value: bytes, critical: bool = False) -> bytes:
        flag = der_tlv(0x01, b"\xff") if critical else b""
        return der_tlv(0x30, oid(ident) + flag + der_tlv(0x04, value))

    def point(k: st.DPoPKey) -> bytes:
        return b"\x04" + b64url_decode(k.public_jwk["x"]) + b64url_decode(k.public_jwk["y"])

    def utc(when: float) -> bytes:
        return der_tlv(0x17, time.strftime("%y%m%d%H%M%SZ", time.gmtime(when)).encode())

    ca = not names
    extensions = [
        ext("551d13", der_tlv(0x30, der_tlv(0x01, b"\xff") if ca else b""), critical=True),
        ext("551d0f", der_tlv(0x03, b"\x01\x06" if ca else b"\x07\x80"), critical=True),
        ext("551d0e", der_tlv(0x04, hashlib.sha256(point(key)).digest()[:20])),
        ext("551d23", der_tlv(0x30, der_tlv(0x80, hashlib.sha256(point(issuer_key)).digest()[:20]))),
    ]
    if names:
        alt = b"".join(
            der_tlv(0x87, socket.inet_aton(n)) if n[0].isdigit() else der_tlv(0x82, n.encode()) for n in names
        )
        extensions += [
            ext("551d11", der_tlv(0x30, alt)),
            ext("551d25", der_tlv(0x30, oid("2b06010505070301"))),
        ]
    algorithm = der_tlv(0x30, oid("2a8648ce3d040302"))  # ecdsa-with-SHA256
    spki = der_tlv(0x30, der_tlv(0x30, oid(OID_EC) + oid(OID_P256)) + der_tlv(0x03, b"\x00" + point(key)))
    tbs = der_tlv(
        0x30,
        der_tlv(0xA0, der_tlv(0x02, b"\x02"))
        + tls_der_int(secrets.randbits(63) | 1)
        + algorithm
        + name(issuer)
        + der_tlv(0x30, utc(time.time() - 3600) + utc(time.time() + 86400))
        + name(subject)
        + spki
        + der_tlv(0xA3, der_tlv(0x30, b"".join(extensions))),
    )
    raw = issuer_key.sign(tbs)
    signature = der_tlv(
        0x30, tls_der_int(int.from_bytes(raw[:32], "big")) + tls_der_int(int.from_bytes(raw[32:], "big"))
    )
    return pem_armor("CERTIFICATE", der_tlv(0x30, tbs + algorithm + der_tlv(0x03, b"\x00" + signature)))


PROXIED_HOST = "signin.example.invalid"  # never resolved: only a proxy is asked for it


@pytest.fixture
def tls_files(tmp_path: Path) -> dict[str, Path]:
    """A CA, a server certificate and key for 127.0.0.1 and PROXIED_HOST, and another CA."""
    ca_key, server_key, other_key = st.DPoPKey.generate(), st.DPoPKey.generate(), st.DPoPKey.generate()
    files = {
        "ca": tls_certificate(ca_key, "test CA", ca_key, "test CA"),
        "cert": tls_certificate(server_key, "server", ca_key, "test CA", names=("127.0.0.1", PROXIED_HOST)),
        "key": server_key.to_pem(),
        "other-ca": tls_certificate(other_key, "other CA", other_key, "other CA"),
    }
    paths = {}
    for label, text in files.items():
        paths[label] = tmp_path / f"{label}.pem"
        paths[label].write_text(text)
    return paths


NOBODY_UID = 65534


def tree_state(root: Path, skip: Path | None = None) -> dict[str, tuple[Any, ...]]:
    """Every path under ``root`` (but ``skip`` and what is under it): its kind,
    mode and content or link target, to prove nothing else was written."""
    found: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            if skip is not None and (path == skip or skip in path.parents):
                continue
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[str(path)] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                found[str(path)] = ("file", stat.S_IMODE(info.st_mode), info.st_uid, path.read_bytes())
            else:
                found[str(path)] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid)
        dirnames[:] = [d for d in dirnames if skip is None or Path(dirpath) / d != skip]
    return found


def file_state(path: Path) -> tuple[int, int, int, int, bytes]:
    """What proves a file was neither rewritten nor replaced: inode, mode, owner, mtime, bytes."""
    info = os.lstat(path)
    return info.st_ino, info.st_mode, info.st_uid, info.st_mtime_ns, path.read_bytes()


def run_cli_bytes(
    args: list[Any], env: dict[str, Any], *, timeout: float = 60, as_nobody: bool = False
) -> subprocess.CompletedProcess[str]:
    """``python -m signin_token ARGS`` (arguments and environment may hold bytes),
    optionally as the unprivileged user ``nobody`` (setpriv)."""
    prefix = (
        ["setpriv", f"--reuid={NOBODY_UID}", f"--regid={NOBODY_UID}", "--clear-groups"] if as_nobody else []
    )
    return subprocess.run(
        [*prefix, sys.executable, "-m", "signin_token", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(HERE),
        check=False,
    )


def assert_no_network(fake: FakeSignin) -> None:
    """The fake saw no token request and issued no authorization code."""
    assert fake.token_calls() == []
    with fake.lock:
        assert fake.codes == {}


SMALL_CONFIG = "# mine\n[default]\noutput = json\n\n[profile dev]\nregion = eu-west-1\n"


def config_file_with(env: dict[str, Any], text: str = SMALL_CONFIG) -> tuple[Path, bytes]:
    """A config file with ``text``; (its path, its bytes)."""
    config = Path(env["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_bytes(text.encode())
    config.chmod(0o600)
    return config, config.read_bytes()


# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------


# The model's two revisions beside a checkout: the first (one operation, CreateOAuth2Token),
# which the module was built from, and today's as botocore 1.44.8 ships it (16 operations).
FIRST_MODEL = HERE.parent / "shared" / "service-2.json"
PINNED_DIR = HERE.parent / "shared" / "signin-2023-01-01"
PINNED_BOTOCORE = (1, 44, 8)  # the botocore the pinned data comes from

# Today's model reduced to what the tests below read (derived once from
# PINNED_DIR/service-2.json, and checked against it whenever it is there): the suite
# needs nothing beside the checkout and never reads an installed botocore's data.
PINNED_MODEL_FACTS: dict[str, Any] = {
    "metadata": {
        "apiVersion": "2023-01-01",
        "endpointPrefix": "signin",
        "signingName": "signin",
        "serviceId": "Signin",
        "serviceFullName": "AWS Sign-In Service",
        "protocol": "rest-json",
        "signatureVersion": "v4",
        "uid": "signin-2023-01-01",
    },
    "operations": {
        **{
            name: {}
            for name in (
                "BatchRevokeSessions",
                "CreateBearerToken",
                "CreateOAuth2TokenWithIAM",
                "CreateOAuth2TokenWithTokenExchange",
                "DeleteConsoleAuthorizationConfiguration",
                "DeleteResourcePermissionStatement",
                "GetConsoleAuthorizationConfiguration",
                "GetResourcePolicy",
                "GetSession",
                "IntrospectOAuth2TokenWithIAM",
                "ListResourcePermissionStatements",
                "ListSessions",
                "PutConsoleAuthorizationConfiguration",
                "PutResourcePermissionStatement",
                "RevokeOAuth2TokenWithIAM",
            )
        },
        "CreateOAuth2Token": {
            "http": {"method": "POST", "requestUri": "/v1/token", "responseCode": 200},
            "errors": [
                {"shape": "TooManyRequestsError"},
                {"shape": "InternalServerException"},
                {"shape": "ValidationException"},
                {"shape": "AccessDeniedException"},
            ],
        },
    },
    "shapes": {
        "OAuth2ErrorCode": {
            "type": "string",
            "enum": [
                "TOKEN_EXPIRED",
                "USER_CREDENTIALS_CHANGED",
                "INSUFFICIENT_PERMISSIONS",
                "AUTHCODE_EXPIRED",
                "server_error",
                "INVALID_REQUEST",
                "RESOURCE_NOT_FOUND",
                "CONFLICT",
                "SERVICE_QUOTA_EXCEEDED",
                "unsupported_grant_type",
                "invalid_request",
                "invalid_grant",
                "invalid_scope",
                "invalid_target",
                "invalid_client",
                "rate_exceeded",
                "service_unavailable",
            ],
        },
        "AuthorizationCode": {"type": "string", "min": 1, "max": 512},
        "ClientId": {"type": "string", "pattern": "arn:aws:signin:::devtools/(cross-device|same-device)"},
        "CodeVerifier": {"type": "string", "min": 43, "max": 128, "pattern": "[A-Za-z0-9\\-._~]+"},
        "ExpiresIn": {"type": "integer", "min": 1, "max": 900},
        "GrantType": {"type": "string", "pattern": "(authorization_code|refresh_token)"},
        "IdToken": {"type": "string", "min": 1, "max": 4096},
        "RedirectUri": {"type": "string", "min": 1, "max": 2048},
        "RefreshToken": {"type": "string", "min": 1, "max": 12288, "sensitive": True},
        "TokenType": {"type": "string", "pattern": "aws_sigv4"},
        "CreateOAuth2TokenRequestBody": {
            "type": "structure",
            "required": ["clientId", "grantType"],
            "members": {
                m: {}
                for m in ("clientId", "grantType", "code", "redirectUri", "codeVerifier", "refreshToken")
            },
        },
        "AccessToken": {
            "type": "structure",
            "required": ["accessKeyId", "secretAccessKey", "sessionToken"],
            "sensitive": True,
        },
        "CreateOAuth2TokenResponseBody": {
            "type": "structure",
            "members": {m: {} for m in ("accessToken", "tokenType", "expiresIn", "refreshToken", "idToken")},
        },
    },
}


def projected(data: Any, like: Any) -> Any:
    """``data`` cut down to the keys ``like`` has, at every depth (a missing key: ``KeyError``)."""
    if isinstance(like, dict) and like:
        return {key: projected(data[key], value) for key, value in like.items()}
    if isinstance(like, dict):  # {}: the key's presence is the fact
        return {}
    return data


def load_model(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_bytes()))


@pytest.fixture(params=["first-revision", "pinned"])
def model(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A revision of the service model: the first (``../shared/service-2.json``, skipped
    when not beside the checkout), or today's pinned one (``../shared/signin-2023-01-01/``,
    else the facts above, which hold all that the tests read of it)."""
    if request.param == "first-revision":
        if not FIRST_MODEL.exists():
            pytest.skip(f"the model's first revision {FIRST_MODEL} is not beside this checkout")
        return load_model(FIRST_MODEL)
    pinned = PINNED_DIR / "service-2.json"
    return load_model(pinned) if pinned.exists() else copy.deepcopy(PINNED_MODEL_FACTS)


def todays_model() -> dict[str, Any]:
    """Today's model, pinned beside a checkout (``../shared/signin-2023-01-01``, botocore
    1.44.8): the one the module implements in full; skipped when absent."""
    path = HERE.parent / "shared" / "signin-2023-01-01" / "service-2.json"
    if not path.exists():
        pytest.skip(f"today's service model is not at {path}")
    model: dict[str, Any] = json.loads(path.read_text())
    return model


def model_is_ours(model: dict[str, Any]) -> bool:
    """True for the revision the module implements (the first, ``../shared/service-2.json``):
    only then must every constrained shape and the error enum match exactly.  Today's
    (the pinned one) adds operations, shapes and error codes and raises response
    maxima; the module must stay compatible with it (checked always)."""
    return len(model["operations"]) == 1


class TestServiceMetadata:
    """Service metadata and enums equal the model file (service-2.json ``metadata``, PROTOCOL.md §5)."""

    def test_pinned_facts_are_the_pinned_model(self) -> None:
        """The facts the suite falls back on are today's pinned model, cut down."""
        pinned = PINNED_DIR / "service-2.json"
        if not pinned.exists():
            pytest.skip(f"the pinned model {pinned} is not beside this checkout")
        data = load_model(pinned)
        assert set(data["operations"]) == set(PINNED_MODEL_FACTS["operations"])
        assert projected(data, PINNED_MODEL_FACTS) == PINNED_MODEL_FACTS

    @pytest.mark.parametrize(
        ("constant", "key"),
        [
            ("API_VERSION", "apiVersion"),
            ("ENDPOINT_PREFIX", "endpointPrefix"),
            ("SIGNING_NAME", "signingName"),
            ("SERVICE_ID", "serviceId"),
            ("SERVICE_FULL_NAME", "serviceFullName"),
            ("PROTOCOL", "protocol"),
            ("SIGNATURE_VERSION", "signatureVersion"),
            ("UID", "uid"),
        ],
    )
    def test_constant_matches_model(self, constant: str, key: str, model: dict[str, Any]) -> None:
        assert getattr(st, constant) == model["metadata"][key]

    @pytest.mark.parametrize(
        ("constant", "value"),
        [
            ("API_VERSION", "2023-01-01"),
            ("ENDPOINT_PREFIX", "signin"),
            ("SIGNING_NAME", "signin"),
            ("SERVICE_ID", "Signin"),
            ("SERVICE_FULL_NAME", "AWS Sign-In Service"),
            ("PROTOCOL", "rest-json"),
            ("SIGNATURE_VERSION", "v4"),
            ("UID", "signin-2023-01-01"),
        ],
    )
    def test_constant_literal(self, constant: str, value: str) -> None:
        assert getattr(st, constant) == value

    def test_operation_http_binding(self, model: dict[str, Any]) -> None:
        op = model["operations"]["CreateOAuth2Token"]
        assert op["http"] == {"method": "POST", "requestUri": "/v1/token", "responseCode": 200}
        errors = {e["shape"] for e in op["errors"]}
        modeled = {
            "TooManyRequestsError",
            "InternalServerException",
            "ValidationException",
            "AccessDeniedException",
        }
        assert errors == modeled if model_is_ours(model) else errors >= modeled
        for name in ("TooManyRequestsError", "InternalServerException", "ValidationException"):
            cls = getattr(st, name)
            assert issubclass(cls, st.ServiceError) and issubclass(cls, st.SigninTokenError)
        assert issubclass(st.AccessDeniedException, st.ServiceError)

    def test_error_code_enum_matches_model(self) -> None:
        """Today's model's 17 codes, in its order; the first model's six come first."""
        pinned = PINNED_DIR / "service-2.json"
        today = load_model(pinned) if pinned.exists() else PINNED_MODEL_FACTS
        values = today["shapes"]["OAuth2ErrorCode"]["enum"]
        ours = [m.value for m in st.OAuth2ErrorCode]
        assert ours == values
        if FIRST_MODEL.exists():
            first = load_model(FIRST_MODEL)["shapes"]["OAuth2ErrorCode"]["enum"]
            assert ours[: len(first)] == first
        for value in ours:
            member = st.OAuth2ErrorCode(value)
            assert isinstance(member, str) and member == value

    def test_error_code_enum_literal(self) -> None:
        assert [m.value for m in st.OAuth2ErrorCode] == [
            "TOKEN_EXPIRED",
            "USER_CREDENTIALS_CHANGED",
            "INSUFFICIENT_PERMISSIONS",
            "AUTHCODE_EXPIRED",
            "server_error",
            "INVALID_REQUEST",
            "RESOURCE_NOT_FOUND",
            "CONFLICT",
            "SERVICE_QUOTA_EXCEEDED",
            "unsupported_grant_type",
            "invalid_request",
            "invalid_grant",
            "invalid_scope",
            "invalid_target",
            "invalid_client",
            "rate_exceeded",
            "service_unavailable",
        ]
        with pytest.raises(ValueError):
            st.OAuth2ErrorCode("SERVER_ERROR")  # the model spells it lower-case

    def test_constraint_table_is_the_model(self, model: dict[str, Any]) -> None:
        """The tables below cover every constrained shape of the model, TokenType
        excepted (its pattern is not enforced: PROTOCOL.md §5)."""
        shapes = model["shapes"]
        constrained = {
            name: (s.get("min"), s.get("max"), s.get("pattern"))
            for name, s in shapes.items()
            if s["type"] in ("string", "integer") and {"min", "max", "pattern"} & set(s)
        }
        assert constrained.pop("TokenType") == (None, None, "aws_sigv4")
        if model_is_ours(model):
            assert constrained == MODEL_SHAPES
            return
        # A newer revision: the request-side shapes are unchanged, and what the service may
        # now send (longer tokens) still fits the module's 64 KiB response bound.
        for name in ("AuthorizationCode", "ClientId", "CodeVerifier", "GrantType", "RedirectUri"):
            assert constrained[name] == MODEL_SHAPES[name], name
        for name in ("IdToken", "RefreshToken"):
            low, high, _ = constrained[name]
            assert low == 1 and high is not None and MODEL_SHAPES[name][1] <= high <= 65536, name
        assert constrained["ExpiresIn"][0] == 1

    def test_required_members_match_model(self, model: dict[str, Any]) -> None:
        shapes = model["shapes"]
        assert shapes["CreateOAuth2TokenRequestBody"]["required"] == ["clientId", "grantType"]
        assert set(shapes["AccessToken"]["required"]) == set(st.AccessToken("a", "b", "c").to_dict())
        assert shapes["AccessToken"]["sensitive"] is True
        assert shapes["RefreshToken"]["sensitive"] is True
        assert set(shapes["CreateOAuth2TokenRequestBody"]["members"]) == set(
            st.CreateOAuth2TokenRequestBody(**AUTH_CODE_MEMBERS).to_dict()
        ) | {"refreshToken"}
        assert set(shapes["CreateOAuth2TokenResponseBody"]["members"]) == set(response_body().to_dict())


# --------------------------------------------------------------------------
# Service model
# --------------------------------------------------------------------------


def boundary_cases() -> list[Any]:
    """min-1, min, max, max+1 for every length/value-constrained member (no max: a large value)."""
    model = {shape: MODEL_SHAPES[shape][:2] for shape in MODEL_SHAPES}
    memory = (1, MAX_TOKEN_CHARS)
    where = [
        ("AuthorizationCode", model["AuthorizationCode"], "auth", "code", "code"),
        ("RedirectUri", model["RedirectUri"], "auth", "redirect_uri", "redirectUri"),
        ("CodeVerifier", model["CodeVerifier"], "auth", "code_verifier", "codeVerifier"),
        ("RefreshToken", (1, REFRESH_TOKEN_MAX), "refresh", "refresh_token", "refreshToken"),
        ("RefreshToken", memory, "response", "refresh_token", "refreshToken"),
        ("IdToken", memory, "response", "id_token", "idToken"),
        ("TokenType", memory, "response", "token_type", "tokenType"),
        ("ExpiresIn", (1, None), "response", "expires_in", "expiresIn"),
    ]
    cases = []
    for shape, (low, high), target, attr, wire in where:
        assert low is not None
        sizes = [(low - 1, False), (low, True)]
        sizes += [(high, True), (high + 1, False)] if high is not None else [(2**31, True)]
        for size, ok in sizes:
            cases.append(pytest.param(shape, target, attr, wire, size, ok, id=f"{target}-{wire}-{size}"))
    return cases


CREDENTIAL_MEMBERS = ("accessKeyId", "secretAccessKey", "sessionToken")


def response_wire(**over: Any) -> dict[str, Any]:
    """A 200 token response body (wire names); ``over`` replaces top-level members."""
    wire: dict[str, Any] = json.loads(token_response_body(**over))
    return wire


def with_member(wire: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """``wire`` with ``field`` ("a" or "accessToken.b") set to ``value``, or removed for ``None``."""
    out = copy.deepcopy(wire)
    *parents, last = field.split(".")
    target = out
    for name in parents:
        target = target[name]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return out


def refresh_answered_with(fake: FakeSignin, wire: dict[str, Any]) -> st.CreateOAuth2TokenResponseBody:
    """A refresh through the client that the fake answers with ``wire``."""
    fake.faults.append(("raw", 200, json.dumps(wire).encode(), "application/json"))
    key = st.DPoPKey.generate()
    return fake_client(fake).create_oauth2_token(refresh_request(fake, key), key).token_output


class TestModelRoundTrip:
    """The model's structures (service-2.json shapes) to and from the wire; OAuth
    snake_case accepted on input (PROTOCOL.md §5)."""

    def test_access_token_round_trip(self) -> None:
        token = st.AccessToken("ASIAKEYID", "SECRETKEY", "SESSIONTOK")
        wire = {"accessKeyId": "ASIAKEYID", "secretAccessKey": "SECRETKEY", "sessionToken": "SESSIONTOK"}
        assert token.to_dict() == wire
        assert st.AccessToken.from_dict(wire) == token
        snake = {
            "access_key_id": "ASIAKEYID",
            "secret_access_key": "SECRETKEY",
            "session_token": "SESSIONTOK",
        }
        assert st.AccessToken.from_dict(snake) == token

    @pytest.mark.parametrize(
        ("values", "wire", "form"),
        [
            (
                AUTH_CODE_MEMBERS,
                {
                    "clientId": st.SAME_DEVICE_CLIENT_ID,
                    "grantType": "authorization_code",
                    "code": "code-1",
                    "redirectUri": REDIRECT_URI,
                    "codeVerifier": "v" * 43,
                },
                {
                    "client_id": st.SAME_DEVICE_CLIENT_ID,
                    "grant_type": "authorization_code",
                    "code": "code-1",
                    "redirect_uri": REDIRECT_URI,
                    "code_verifier": "v" * 43,
                },
            ),
            (
                REFRESH_MEMBERS,
                {"clientId": st.SAME_DEVICE_CLIENT_ID, "grantType": "refresh_token", "refreshToken": "rt-1"},
                {
                    "client_id": st.SAME_DEVICE_CLIENT_ID,
                    "grant_type": "refresh_token",
                    "refresh_token": "rt-1",
                },
            ),
        ],
        ids=["authorization_code", "refresh_token"],
    )
    def test_request_body_round_trip(
        self, values: dict[str, str], wire: dict[str, str], form: dict[str, str]
    ) -> None:
        body = st.CreateOAuth2TokenRequestBody(**values)
        assert body.to_dict() == wire
        assert body.to_form() == form
        assert st.CreateOAuth2TokenRequestBody.from_dict(wire) == body
        assert st.CreateOAuth2TokenRequestBody.from_dict(form) == body
        request = st.CreateOAuth2TokenRequest(body)
        assert request.token_input is body
        assert request.to_dict() == {"tokenInput": wire}
        assert st.CreateOAuth2TokenRequest.from_dict({"tokenInput": wire}) == request

    def test_request_from_dict_rejects_unknown_member(self) -> None:
        wire = dict(st.CreateOAuth2TokenRequestBody(**REFRESH_MEMBERS).to_dict(), scope="openid")
        with pytest.raises(st.ParamValidationError) as info:
            st.CreateOAuth2TokenRequestBody.from_dict(wire)
        assert info.value.field == "scope"

    @pytest.mark.parametrize("cls", [st.CreateOAuth2TokenRequest, st.CreateOAuth2TokenResponse])
    def test_wrapper_requires_payload(self, cls: Any) -> None:
        with pytest.raises(st.ParamValidationError) as info:
            cls.from_dict({})
        assert info.value.field in ("tokenInput", "tokenOutput")

    @pytest.mark.parametrize("with_optional", [True, False], ids=["code-redemption", "refresh"])
    def test_response_round_trip(self, with_optional: bool) -> None:
        over = {} if with_optional else {"refresh_token": None, "id_token": None}
        body = response_body(**over)
        wire: dict[str, Any] = {
            "accessToken": {
                "accessKeyId": "ASIAKEYID",
                "secretAccessKey": "SECRETKEY",
                "sessionToken": "SESSIONTOK",
            },
            "tokenType": TOKEN_TYPE,
            "expiresIn": 900,
        }
        if with_optional:
            wire.update(refreshToken="rt-2", idToken="id-tok")
        assert body.to_dict() == wire
        assert st.CreateOAuth2TokenResponseBody.from_dict(wire) == body
        response = st.CreateOAuth2TokenResponse(body)
        assert response.to_dict() == {"tokenOutput": wire}
        assert st.CreateOAuth2TokenResponse.from_dict({"tokenOutput": wire}) == response

    def test_response_from_snake_case(self) -> None:
        snake = {
            "access_token": {
                "access_key_id": "ASIAKEYID",
                "secret_access_key": "SECRETKEY",
                "session_token": "SESSIONTOK",
            },
            "token_type": TOKEN_TYPE,
            "expires_in": 900,
            "refresh_token": "rt-2",
            "id_token": "id-tok",
        }
        assert st.CreateOAuth2TokenResponseBody.from_dict(snake) == response_body()

    @pytest.mark.parametrize("token_type", [TOKEN_TYPE, "aws_sigv4", "Bearer"])
    def test_token_type_kept_verbatim(self, token_type: str) -> None:
        wire = dict(response_body().to_dict(), tokenType=token_type)
        assert st.CreateOAuth2TokenResponseBody.from_dict(wire).token_type == token_type

    def test_refresh_response_without_refresh_token(self) -> None:
        wire = response_body().to_dict()
        del wire["refreshToken"], wire["idToken"]
        body = st.CreateOAuth2TokenResponseBody.from_dict(wire)
        assert body.refresh_token is None and body.id_token is None
        assert "refreshToken" not in body.to_dict()

    def test_frozen(self) -> None:
        body = st.CreateOAuth2TokenRequestBody(**REFRESH_MEMBERS)
        with pytest.raises(AttributeError):
            body.refresh_token = "other"  # type: ignore[misc]


class TestModelSecrets:
    """Sensitive members (service-2.json ``sensitive``: AccessToken, RefreshToken;
    also the code and PKCE verifier) never appear in repr()/str()."""

    def test_access_token(self) -> None:
        token = st.AccessToken("ASIAKEYID", "SECRETKEY", "SESSIONTOK")
        for text in (repr(token), str(token), repr(response_body()), str(response_body())):
            for secret in ("ASIAKEYID", "SECRETKEY", "SESSIONTOK", "rt-2", "id-tok"):
                assert secret not in text

    def test_request_body(self) -> None:
        auth = st.CreateOAuth2TokenRequestBody(
            **dict(AUTH_CODE_MEMBERS, code="CODESECRET", code_verifier="VERIFIERSECRET" * 4)
        )
        refresh = st.CreateOAuth2TokenRequestBody(**dict(REFRESH_MEMBERS, refresh_token="REFRESHSECRET"))
        texts = [repr(auth), str(auth), repr(refresh), repr(st.CreateOAuth2TokenRequest(refresh))]
        for text in texts:
            for secret in ("CODESECRET", "VERIFIERSECRET", "REFRESHSECRET"):
                assert secret not in text
        assert st.SAME_DEVICE_CLIENT_ID in repr(auth)  # not secret: still shown

    def test_response_wrapper(self) -> None:
        response = st.CreateOAuth2TokenResponse(response_body(refresh_token="REFRESHSECRET"))
        assert "REFRESHSECRET" not in repr(response) and "SECRETKEY" not in str(response)

    def test_pkce_pair_and_key(self) -> None:
        pair = st.generate_pkce()
        assert pair.code_verifier not in repr(pair)
        key = st.DPoPKey.from_private_value(RFC6979_D)
        for text in (repr(key), str(key)):
            assert f"{RFC6979_D:x}" not in text.lower() and str(RFC6979_D) not in text
            assert key.to_pem() not in text


class TestValidationBoundaries:
    """Every length and value constraint of service-2.json at min-1, min, max, max+1."""

    @staticmethod
    def build(target: str, **over: Any) -> Any:
        if target == "response":
            return response_body(**over)
        base = AUTH_CODE_MEMBERS if target == "auth" else REFRESH_MEMBERS
        return st.CreateOAuth2TokenRequestBody(**dict(base, **over))

    @pytest.mark.parametrize(("shape", "target", "attr", "wire", "size", "ok"), boundary_cases())
    def test_boundary(self, shape: str, target: str, attr: str, wire: str, size: int, ok: bool) -> None:
        value: Any = size if shape == "ExpiresIn" else "Z" * size
        if ok:
            assert getattr(self.build(target, **{attr: value}), attr) == value
            return
        with pytest.raises(st.ParamValidationError) as info:
            self.build(target, **{attr: value})
        exc = info.value
        assert isinstance(exc, ValueError) and isinstance(exc, st.SigninTokenError)
        assert exc.field == wire and exc.rule
        if isinstance(value, str) and len(value) >= 4:
            assert value not in str(exc) and value not in repr(exc)
        # The same rule applies when reading the wire form.
        wire_body = self.build(target).to_dict()
        wire_body[wire] = value
        cls = st.CreateOAuth2TokenResponseBody if target == "response" else st.CreateOAuth2TokenRequestBody
        with pytest.raises(st.ParamValidationError) as again:
            cls.from_dict(wire_body)
        assert again.value.field == wire

    @pytest.mark.parametrize("value", [0, -1, -900, -(2**31)])
    def test_expires_in_out_of_range(self, value: int) -> None:
        with pytest.raises(st.ParamValidationError) as info:
            response_body(expires_in=value)
        assert info.value.field == "expiresIn"


class TestValidationPatterns:
    """Full-match patterns of ClientId, GrantType and CodeVerifier (service-2.json,
    RFC 7636 §4.1 unreserved characters)."""

    @pytest.mark.parametrize(
        ("client_id", "ok"),
        [
            ("arn:aws:signin:::devtools/same-device", True),
            ("arn:aws:signin:::devtools/cross-device", True),
            ("arn:aws:signin:::devtools/same-device ", False),
            (" arn:aws:signin:::devtools/same-device", False),
            ("arn:aws:signin:::devtools/same-device\n", False),
            ("xarn:aws:signin:::devtools/same-device", False),
            ("arn:aws:signin:::devtools/same-devicex", False),
            ("arn:aws:signin:::devtools/other-device", False),
            ("arn:aws:signin:::devtools/", False),
            ("ARN:AWS:SIGNIN:::DEVTOOLS/SAME-DEVICE", False),
            ("", False),
        ],
    )
    def test_client_id(self, client_id: str, ok: bool) -> None:
        if ok:
            assert (
                st.CreateOAuth2TokenRequestBody(**dict(REFRESH_MEMBERS, client_id=client_id)).client_id
                == client_id
            )
            return
        with pytest.raises(st.ParamValidationError) as info:
            st.CreateOAuth2TokenRequestBody(**dict(REFRESH_MEMBERS, client_id=client_id))
        assert info.value.field == "clientId"

    @pytest.mark.parametrize(
        "grant_type",
        [
            "client_credentials",
            "refresh_token ",
            "REFRESH_TOKEN",
            "authorization_code\n",
            "refresh",
            "",
            "password",
        ],
    )
    def test_grant_type_refused(self, grant_type: str) -> None:
        with pytest.raises(st.ParamValidationError) as info:
            st.CreateOAuth2TokenRequestBody(**dict(REFRESH_MEMBERS, grant_type=grant_type))
        assert info.value.field == "grantType"

    @pytest.mark.parametrize(
        ("verifier", "ok"),
        [
            ("A" * 43, True),
            ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~", True),
            ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", True),
            ("a" * 42 + "+", False),
            ("a" * 42 + "/", False),
            ("a" * 42 + "=", False),
            ("a" * 42 + " ", False),
            ("a" * 42 + "\u00e9", False),
            ("a" * 43 + "\n", False),
            ("a" * 20 + "%20" + "a" * 20, False),
        ],
    )
    def test_code_verifier_charset(self, verifier: str, ok: bool) -> None:
        if ok:
            st.CreateOAuth2TokenRequestBody(**dict(AUTH_CODE_MEMBERS, code_verifier=verifier))
            assert st.pkce_challenge(verifier)
            return
        for build in (
            lambda: st.CreateOAuth2TokenRequestBody(**dict(AUTH_CODE_MEMBERS, code_verifier=verifier)),
            lambda: st.pkce_challenge(verifier),
        ):
            with pytest.raises(st.ParamValidationError) as info:
                build()
            assert info.value.field == "codeVerifier"
            assert verifier not in str(info.value)


class TestValidationGrantRules:
    """authorization_code needs code, redirect_uri, code_verifier and no
    refresh_token; refresh_token needs refresh_token only (service-2.json
    CreateOAuth2TokenRequestBody documentation, PROTOCOL.md §5)."""

    @pytest.mark.parametrize(
        ("base", "over", "field", "word"),
        [
            (AUTH_CODE_MEMBERS, {"code": None}, "code", "required"),
            (AUTH_CODE_MEMBERS, {"redirect_uri": None}, "redirectUri", "required"),
            (AUTH_CODE_MEMBERS, {"code_verifier": None}, "codeVerifier", "required"),
            (AUTH_CODE_MEMBERS, {"refresh_token": "rt-SECRET"}, "refreshToken", "not allowed"),
            (REFRESH_MEMBERS, {"refresh_token": None}, "refreshToken", "required"),
            (REFRESH_MEMBERS, {"code": "code-SECRET"}, "code", "not allowed"),
            (REFRESH_MEMBERS, {"redirect_uri": REDIRECT_URI}, "redirectUri", "not allowed"),
            (REFRESH_MEMBERS, {"code_verifier": "SECRET" * 8}, "codeVerifier", "not allowed"),
            (REFRESH_MEMBERS, {"client_id": None}, "clientId", "required"),
            (REFRESH_MEMBERS, {"grant_type": None}, "grantType", "required"),
        ],
    )
    def test_rule(self, base: dict[str, str], over: dict[str, Any], field: str, word: str) -> None:
        with pytest.raises(st.ParamValidationError) as info:
            st.CreateOAuth2TokenRequestBody(**dict(base, **over))
        assert info.value.field == field
        assert word in info.value.rule
        assert "SECRET" not in str(info.value)

    def test_rule_applies_to_wire_input(self) -> None:
        with pytest.raises(st.ParamValidationError) as info:
            st.CreateOAuth2TokenRequestBody.from_dict(
                {"clientId": st.SAME_DEVICE_CLIENT_ID, "grantType": "refresh_token", "code": "c"}
            )
        assert info.value.field in ("code", "refreshToken")


class TestValidationTypes:
    """Wrong Python types are TypeError, not ParamValidationError (bool is not an int here)."""

    @pytest.mark.parametrize(
        "build",
        [
            lambda: st.CreateOAuth2TokenRequestBody(**dict(REFRESH_MEMBERS, client_id=123)),
            lambda: st.CreateOAuth2TokenRequestBody(**dict(REFRESH_MEMBERS, refresh_token=b"rt")),
            lambda: st.CreateOAuth2TokenRequestBody(**dict(AUTH_CODE_MEMBERS, code=["c"])),
            lambda: response_body(expires_in="900"),
            lambda: response_body(expires_in=900.0),
            lambda: response_body(expires_in=True),
            lambda: response_body(token_type=1),
            lambda: response_body(access_token={"accessKeyId": "a"}),
            lambda: st.AccessToken(1, "b", "c"),  # type: ignore[arg-type]
            lambda: st.CreateOAuth2TokenRequest({"clientId": "x"}),  # type: ignore[arg-type]
            lambda: st.CreateOAuth2TokenResponse({}),  # type: ignore[arg-type]
            lambda: st.CreateOAuth2TokenRequestBody.from_dict([]),  # type: ignore[arg-type]
            lambda: st.CreateOAuth2TokenResponseBody.from_dict({"accessToken": "x"}),
        ],
    )
    def test_type_error(self, build: Any) -> None:
        with pytest.raises(TypeError):
            build()

    def test_bool_expires_in_is_type_error_even_when_in_range(self) -> None:
        with pytest.raises(TypeError):
            st.CreateOAuth2TokenResponseBody.from_dict(dict(response_body().to_dict(), expiresIn=True))


class TestModelLiberalResponses:
    """Responses are held to type, presence and a 64 KiB memory bound only, as the AWS CLI,
    botocore and the JS SDK validate no response (PROTOCOL.md §13); requests stay held to
    service-2.json, except the echoed refresh token (same memory bound)."""

    @pytest.mark.parametrize("size", [4097, 10_000, MAX_TOKEN_CHARS])
    def test_long_tokens_and_credentials_parse(self, fake: FakeSignin, size: int) -> None:
        long = {name: name[0] * size for name in ("tokenType", "idToken", "refreshToken")}
        access = {name: name[0].upper() * size for name in CREDENTIAL_MEMBERS}
        wire = response_wire(accessToken=access, **long)
        for body in (st.CreateOAuth2TokenResponseBody.from_dict(wire), refresh_answered_with(fake, wire)):
            assert body.to_dict() == wire
            assert (body.token_type, body.id_token, body.refresh_token) == (
                long["tokenType"],
                long["idToken"],
                long["refreshToken"],
            )

    @pytest.mark.parametrize("expires_in", [901, 3600, 43200, 86400, 2**31, 10**30])
    def test_any_positive_expires_in_parses(self, fake: FakeSignin, expires_in: int) -> None:
        wire = response_wire(expiresIn=expires_in)
        assert st.CreateOAuth2TokenResponseBody.from_dict(wire).expires_in == expires_in
        assert refresh_answered_with(fake, wire).expires_in == expires_in

    def test_expires_at_follows_expires_in_and_ends_at_year_9999(self) -> None:
        now = 1_700_000_000.0
        at = response_body(expires_in=86400).expires_at(now)
        assert at.tzinfo is not None and at.timestamp() == now + 86400
        for huge in (2**40, 10**30):
            at = response_body(expires_in=huge).expires_at(now)
            assert (at.year, at.tzinfo) == (9999, datetime.timezone.utc)

    @pytest.mark.parametrize(
        "field", ["tokenType", "idToken", "refreshToken", *(f"accessToken.{n}" for n in CREDENTIAL_MEMBERS)]
    )
    def test_over_memory_bound_refused_naming_the_field(self, fake: FakeSignin, field: str) -> None:
        value = "Q" * (MAX_TOKEN_CHARS + 1)
        wire = with_member(response_wire(), field, value)
        with pytest.raises(st.ParamValidationError) as info:
            st.CreateOAuth2TokenResponseBody.from_dict(wire)
        assert info.value.field == field and str(MAX_TOKEN_CHARS) in info.value.rule
        with pytest.raises(st.InvalidResponseError) as again:
            refresh_answered_with(fake, wire)
        assert field in str(again.value) and "QQQQ" not in str(again.value)
        access = response_wire()["accessToken"]
        assert access["secretAccessKey"] not in str(again.value)
        assert access["sessionToken"] not in str(again.value)

    def test_unknown_members_ignored_at_both_levels(self, fake: FakeSignin) -> None:
        wire = response_wire(futureMember={"nested": [1, 2]}, issuedTokenType="urn:x", scope="openid")
        wire["accessToken"] = dict(wire["accessToken"], accountId=ACCOUNT, expiration=12, extra=None)
        known = response_wire()
        for body in (st.CreateOAuth2TokenResponseBody.from_dict(wire), refresh_answered_with(fake, wire)):
            assert body.to_dict() == known
        wrapped = st.CreateOAuth2TokenResponse.from_dict({"tokenOutput": wire, "ResponseMetadata": {}})
        assert wrapped.token_output.to_dict() == known

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("expiresIn", "3600"),
            ("expiresIn", 3600.0),
            ("expiresIn", True),
            ("expiresIn", [3600]),
            ("tokenType", 1),
            ("idToken", {"sub": SESSION_ARN}),
            ("refreshToken", ["rt"]),
            ("accessToken", "ASIA"),
            ("accessToken.accessKeyId", 12),
            ("accessToken.sessionToken", False),
        ],
    )
    def test_wrong_types_are_still_typed_errors(self, fake: FakeSignin, field: str, value: Any) -> None:
        wire = with_member(response_wire(), field, value)
        with pytest.raises(TypeError) as info:
            st.CreateOAuth2TokenResponseBody.from_dict(wire)
        assert field.rsplit(".", 1)[-1] in str(info.value)
        with pytest.raises(st.InvalidResponseError):
            refresh_answered_with(fake, wire)

    @pytest.mark.parametrize(("field", "value"), [("expiresIn", 0), ("expiresIn", -1), ("tokenType", "")])
    def test_out_of_range_values_are_still_refused(self, fake: FakeSignin, field: str, value: Any) -> None:
        wire = with_member(response_wire(), field, value)
        with pytest.raises(st.ParamValidationError) as info:
            st.CreateOAuth2TokenResponseBody.from_dict(wire)
        assert info.value.field == field
        with pytest.raises(st.InvalidResponseError):
            refresh_answered_with(fake, wire)

    @pytest.mark.parametrize(
        "field", ["accessToken", *(f"accessToken.{n}" for n in CREDENTIAL_MEMBERS), "tokenType", "expiresIn"]
    )
    def test_missing_required_member_is_a_typed_error(self, fake: FakeSignin, field: str) -> None:
        wire = with_member(response_wire(), field, None)
        with pytest.raises(st.ParamValidationError) as info:
            st.CreateOAuth2TokenResponseBody.from_dict(wire)
        assert info.value.field == field and "required" in info.value.rule
        with pytest.raises(st.InvalidResponseError) as again:
            refresh_answered_with(fake, wire)
        assert field in str(again.value)

    def test_refresh_request_with_a_3000_char_token_reaches_the_fake(self, fake: FakeSignin) -> None:
        key = st.DPoPKey.generate()
        token = fake.seed_session(key, length=3000)
        assert len(token) == 3000
        body = st.CreateOAuth2TokenRequestBody(
            client_id=st.SAME_DEVICE_CLIENT_ID, grant_type="refresh_token", refresh_token=token
        )
        assert st.CreateOAuth2TokenRequestBody.from_dict(body.to_dict()) == body
        out = fake_client(fake).create_oauth2_token(st.CreateOAuth2TokenRequest(body), key)
        assert out.token_output.access_token.access_key_id.startswith("ASIA")
        (call,) = fake.token_calls("refresh_token")
        assert call["json"]["refreshToken"] == token and call["jkt"] == key.thumbprint()

    def test_refresh_request_past_the_model_maximum_is_refused_before_sending(
        self, fake: FakeSignin, tmp_path: Path
    ) -> None:
        """Today's model: RefreshToken at most 12288 characters in a request."""
        with pytest.raises(st.ParamValidationError) as info:
            st.CreateOAuth2TokenRequestBody(
                **dict(REFRESH_MEMBERS, refresh_token="R" * (REFRESH_TOKEN_MAX + 1))
            )
        assert info.value.field == "refreshToken" and str(REFRESH_TOKEN_MAX) in info.value.rule
        assert "RRRR" not in str(info.value)
        key_file = tmp_path / "key.pem"
        key_file.write_text(st.DPoPKey.generate().to_pem())
        over = "R" * (REFRESH_TOKEN_MAX + 1)
        rc, out, err = run_main(token_refresh_argv(fake.url, key_file, over))
        assert (rc, out) == (2, "") and "refreshToken" in err and "RRRR" not in err, err
        assert fake.token_calls() == []
        key = st.DPoPKey.generate()
        at_max = fake.seed_session(key, length=REFRESH_TOKEN_MAX)
        body = st.CreateOAuth2TokenRequestBody(**dict(REFRESH_MEMBERS, refresh_token=at_max))
        fake_client(fake).create_oauth2_token(st.CreateOAuth2TokenRequest(body), key)
        (call,) = fake.token_calls("refresh_token")
        assert call["json"]["refreshToken"] == at_max

    @pytest.mark.parametrize(
        ("over", "field"),
        [
            ({"code": "c" * 513}, "code"),
            ({"redirect_uri": "r" * 2049}, "redirectUri"),
            ({"code_verifier": "v" * 129}, "codeVerifier"),
            ({"code_verifier": "v" * 42 + "+"}, "codeVerifier"),
            ({"client_id": "arn:aws:signin:::devtools/other"}, "clientId"),
            ({"grant_type": "password"}, "grantType"),
            ({"refresh_token": "rt"}, "refreshToken"),
        ],
    )
    def test_requests_are_still_held_to_the_model(self, over: dict[str, str], field: str) -> None:
        with pytest.raises(st.ParamValidationError) as info:
            st.CreateOAuth2TokenRequestBody(**dict(AUTH_CODE_MEMBERS, **over))
        assert info.value.field == field

    def test_cli_session_with_long_tokens_logs_in_and_refreshes(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        fake.long_tokens = 3000
        fake.expires_in = 86400
        env = login_env(aws_env, fake)
        rc, _, err = full_login_here(env)
        assert rc == 0, err
        entry = json.loads(cache_path(env).read_text())
        assert len(entry["refreshToken"]) == 3000 and len(entry["idToken"]) > 4096
        assert cached_expiry(cache_path(env)) > time.time() + 86000
        forced = run_here(["refresh", "--force"], env)
        assert forced.returncode == 0, forced.stderr
        (refresh,) = fake.token_calls("refresh_token")
        assert refresh["json"]["refreshToken"] == entry["refreshToken"]

    @pytest.mark.parametrize("expires_in", [901, 43200, 10**30])
    def test_cli_accepts_long_lifetimes(
        self, fake: FakeSignin, aws_env: dict[str, str], expires_in: int
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        fake.expires_in = expires_in
        code, out, err = run_main(["credentials"])
        assert code == 0, err
        expiration = iso_instant(json.loads(out)["Expiration"])
        if expires_in < 10**9:
            assert abs(expiration - (time.time() + expires_in)) < 120
        else:
            assert time.gmtime(expiration).tm_year == 9999
        assert cached_expiry(path) == int(expiration)


# Today's model (../shared/signin-2023-01-01), one valid input per operation by the
# model's member names, and one service answer per operation by wire names.
PRINCIPAL = "arn:aws:iam::123456789012:user/alice"
SESSION = "arn:aws:signin:us-east-1:123456789012:session/5f0e8d"
STATEMENT = "A" * 63 + "/"
API_INPUTS: dict[str, dict[str, Any]] = {
    "BatchRevokeSessions": {"sessionArns": [SESSION], "principalArn": PRINCIPAL, "reason": "offboarding"},
    "CreateBearerToken": {
        "grantType": "client_credentials",
        "resource": "https://mcp.example",
        "durationSeconds": 900,
    },
    "CreateOAuth2TokenWithIAM": {"grantType": "client_credentials", "resource": "https://mcp.example"},
    "CreateOAuth2TokenWithTokenExchange": {
        "grantType": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subjectToken": "subject-token-SECRET-1234",
        "subjectTokenType": "urn:ietf:params:oauth:token-type:access_token",
        "clientId": "my-client",
        "resource": "https://mcp.example",
        "scope": "openid",
    },
    "DeleteConsoleAuthorizationConfiguration": {"targetId": "123456789012"},
    "DeleteResourcePermissionStatement": {"statementId": STATEMENT},
    "GetConsoleAuthorizationConfiguration": {"targetId": "o-abcdefghij"},
    "GetResourcePolicy": {},
    "GetSession": {"sessionArn": SESSION, "principalArn": "arn:aws:iam::123456789012:*"},
    "IntrospectOAuth2TokenWithIAM": {"token": "ASORintrospect-SECRET-5678", "tokenTypeHint": "refresh_token"},
    "ListResourcePermissionStatements": {"maxResults": 10},
    "ListSessions": {
        "principalArn": PRINCIPAL,
        "maxResults": 2,
        "status": "ACTIVE",
        "issuedAfter": 1700000000,
    },
    "PutConsoleAuthorizationConfiguration": {"targetId": "r-abcd12345678"},
    "PutResourcePermissionStatement": {
        "sourceVpc": "vpc-0123abcd",
        "requestedRegion": "eu-west-1",
        "excludedPrincipal": "arn:aws:iam::123456789012:role/breakglass",
        "clientToken": "caller-chosen-token",
    },
    "RevokeOAuth2TokenWithIAM": {"token": "ASORrevoke-SECRET-9012"},
}
API_SESSION = {
    "sessionArn": SESSION,
    "principalArn": PRINCIPAL,
    "issuedAt": 1700000000,
    "expiresAt": 1700043200,
    "status": "ACTIVE",
    "clientType": "CLI",
}
CONSOLE_CONFIG = {"targetId": "123456789012", "scope": "ACCOUNT", "consoleAuthorizationEnabled": True}
API_OUTPUTS: dict[str, dict[str, Any]] = {
    "BatchRevokeSessions": {
        "revokedSessions": [{"sessionArn": SESSION}],
        "errors": [{"sessionArn": SESSION + "x", "code": "NotFound", "message": "no such session"}],
    },
    "CreateBearerToken": {"access_token": "bearer-SECRET-abcdef", "token_type": "Bearer", "expires_in": 900},
    "CreateOAuth2TokenWithIAM": {
        "access_token": "oauth-SECRET-abcdef",
        "token_type": "Bearer",
        "expires_in": 3600,
    },
    "CreateOAuth2TokenWithTokenExchange": {
        "access_token": "exchanged-SECRET-abcdef",
        "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "openid",
    },
    "DeleteConsoleAuthorizationConfiguration": CONSOLE_CONFIG,
    "DeleteResourcePermissionStatement": {},
    "GetConsoleAuthorizationConfiguration": CONSOLE_CONFIG,
    "GetResourcePolicy": {
        "signinResourceBasedPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": ["signin:AuthorizeOAuth2Access"],
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:SourceVpc": ["vpc-0123abcd"]}},
                }
            ],
        }
    },
    "GetSession": dict(
        API_SESSION, userAgent="aws-cli/2.36.7", lastUsedAt=1700001000, issuedInRegion="us-east-1"
    ),
    "IntrospectOAuth2TokenWithIAM": {
        "active": True,
        "client_id": "arn:aws:signin:::devtools/same-device",
        "token_type": "refresh_token",
        "exp": 1700043200,
        "account_id": "123456789012",
        "signin_session": SESSION,
    },
    "ListResourcePermissionStatements": {
        "permissionStatements": [
            {"sid": STATEMENT, "condition": {"StringEquals": {"aws:SourceVpc": ["vpc-1"]}}}
        ]
    },
    "ListSessions": {"items": [API_SESSION]},
    "PutConsoleAuthorizationConfiguration": CONSOLE_CONFIG,
    "PutResourcePermissionStatement": {"statementId": STATEMENT},
    "RevokeOAuth2TokenWithIAM": {},
}
API_OPERATIONS = sorted(API_INPUTS)


def wire_form(shapes: dict[str, Any], shape: str, value: Any) -> Any:
    """``value`` (by the model's member names) renamed to wire names, read from the model file."""
    spec = shapes[shape]
    if spec["type"] == "structure":
        return {
            spec["members"][name].get("locationName", name): wire_form(
                shapes, spec["members"][name]["shape"], v
            )
            for name, v in value.items()
        }
    if spec["type"] == "list":
        return [wire_form(shapes, spec["member"]["shape"], v) for v in value]
    if spec["type"] == "map":
        return {k: wire_form(shapes, spec["value"]["shape"], v) for k, v in value.items()}
    return value


class TestModelWholeApi:
    """Every structure of today's model is a class with the model's members (snake_case),
    wire names as the model says, sensitive members hidden, dataclass tools working."""

    def test_every_structure_is_a_class(self) -> None:
        model = todays_model()
        for name, spec in model["shapes"].items():
            if spec["type"] != "structure":
                continue
            cls = getattr(st, name)
            assert name in st.__all__, name
            if spec.get("exception"):
                assert issubclass(cls, st.ServiceError), name
                continue
            assert dataclasses.is_dataclass(cls), name
            attrs = {f.name for f in dataclasses.fields(cls)}
            snake = {re.sub(r"(?<!^)(?=[A-Z])", "_", m).lower() for m in spec["members"]}
            if name not in ("CreateOAuth2TokenRequestBody", "CreateOAuth2TokenResponseBody", "AccessToken"):
                assert attrs == snake, name

    def test_member_table_is_the_model(self) -> None:
        shapes = todays_model()["shapes"]
        for name, rows in st._MEMBERS.items():
            spec = shapes[name]
            assert [r[1] for r in rows] == list(spec["members"]), name
            for _attr, member, wire, shape, required, sensitive in rows:
                m = spec["members"][member]
                assert (wire, shape, required) == (
                    m.get("locationName", member),
                    m["shape"],
                    member in spec.get("required", []),
                ), (name, member)
                assert sensitive == bool(shapes[shape].get("sensitive")), (name, member)
        for shape, (kind, low, high, pattern, extra) in st._RULES.items():
            spec = shapes[shape]
            assert (kind, low, high, pattern) == (
                spec["type"],
                spec.get("min"),
                spec.get("max"),
                spec.get("pattern"),
            )
            if "enum" in spec:
                assert list(extra) == spec["enum"]

    def test_operation_table_is_the_model(self) -> None:
        model = todays_model()
        assert sorted(st._OPERATIONS) == sorted(model["operations"])
        for name, spec in model["operations"].items():
            op = st._OPERATIONS[name]
            uri = op.path + (f"?{op.query}" if op.query else "")
            assert (op.method, uri, op.input, op.output) == (
                spec["http"]["method"],
                spec["http"]["requestUri"],
                spec["input"]["shape"],
                spec["output"]["shape"],
            )
            assert op.auth == ("none" if spec.get("auth") == ["smithy.api#noAuth"] else "sigv4"), name
            assert op.context == {k: v["value"] for k, v in spec.get("staticContextParams", {}).items()}
            assert list(op.errors) == [e["shape"] for e in spec["errors"]]
            members = model["shapes"][spec["input"]["shape"]]["members"]
            assert list(op.idempotency) == [
                re.sub(r"(?<!^)(?=[A-Z])", "_", m).lower()
                for m, s in members.items()
                if s.get("idempotencyToken")
            ]
        names = {op.cli_name for op in st._OPERATIONS.values()}
        assert {"list-sessions", "batch-revoke-sessions", "create-oauth2-token-with-iam"} <= names
        assert "introspect-oauth2-token-with-iam" in names and len(names) == 16
        if botocore_is_the_pinned_peer():  # peer: the AWS CLI's spelling
            from botocore import xform_name

            for name, op in st._OPERATIONS.items():
                assert (op.python_name, op.cli_name) == (xform_name(name), xform_name(name, "-"))

    @pytest.mark.parametrize("name", API_OPERATIONS)
    def test_round_trip_by_member_and_wire_names(self, name: str) -> None:
        shapes = todays_model()["shapes"]
        op = st._OPERATIONS[name]
        request = getattr(st, op.input).from_dict(API_INPUTS[name], wire=False)
        assert request.to_dict(wire=False) == API_INPUTS[name]
        assert request.to_dict() == wire_form(shapes, op.input, API_INPUTS[name])
        assert getattr(st, op.input).from_dict(request.to_dict()) == request
        out = getattr(st, op.output).from_dict(API_OUTPUTS[name])
        assert out.to_dict() == API_OUTPUTS[name]
        assert wire_form(shapes, op.output, out.to_dict(wire=False)) == API_OUTPUTS[name]
        assert dataclasses.replace(out) == out and dataclasses.asdict(out).keys() == {
            f.name for f in dataclasses.fields(out)
        }

    def test_sensitive_members_hidden_from_repr(self) -> None:
        for name in (
            "IntrospectOAuth2TokenWithIAM",
            "RevokeOAuth2TokenWithIAM",
            "CreateOAuth2TokenWithTokenExchange",
        ):
            op = st._OPERATIONS[name]
            request = getattr(st, op.input).from_dict(API_INPUTS[name], wire=False)
            assert "SECRET" not in repr(request) and "<sensitive>" in repr(request), name
        for name in ("CreateBearerToken", "CreateOAuth2TokenWithIAM", "CreateOAuth2TokenWithTokenExchange"):
            out = getattr(st, st._OPERATIONS[name].output).from_dict(API_OUTPUTS[name])
            assert "SECRET" not in repr(out) and "access_token=<sensitive>" in repr(out), name
        assert "alice" in repr(st.GetSessionInput(session_arn=SESSION, principal_arn=PRINCIPAL))

    def test_enums_are_the_model(self) -> None:
        shapes = todays_model()["shapes"]
        assert [m.value for m in st.SessionStatus] == shapes["SessionStatus"]["enum"]
        assert [m.value for m in st.ClientType] == shapes["ClientType"]["enum"]
        request = st.ListSessionsInput(status=st.SessionStatus.REVOKED)
        assert (
            request.to_dict() == {"status": "REVOKED"}
            and json.dumps(request.to_dict()) == '{"status": "REVOKED"}'
        )

    def test_frozen_and_lists_kept_as_tuples(self) -> None:
        request = st.BatchRevokeSessionsInput(session_arns=[SESSION])
        assert request.session_arns == (SESSION,) and hash(request) == hash(
            st.BatchRevokeSessionsInput((SESSION,))
        )
        with pytest.raises(dataclasses.FrozenInstanceError):
            request.reason = "x"  # type: ignore[misc]

    def test_classes_made_on_first_use_not_at_import(self) -> None:
        code = (
            "import signin_token as st, dataclasses\n"
            "names = [*st._MEMBERS, 'AccessToken', 'CreateOAuth2TokenRequest', 'CreateOAuth2TokenResponse',\n"
            "         'CreateOAuth2TokenRequestBody', 'CreateOAuth2TokenResponseBody']\n"
            "lazy = [n for n in names if '__dataclass_params__' not in vars(getattr(st, n))]\n"
            "assert len(lazy) == len(names) == 41, lazy\n"
            "assert dataclasses.is_dataclass(st.Session) and '__dataclass_params__' in vars(st.Session)\n"
            "st.ListSessionsInput(max_results=3)\n"
            "assert '__dataclass_params__' in vars(st.ListSessionsInput)\n"
            "assert '__dataclass_params__' not in vars(st.GetSessionInput)\n"
            "print('ok')\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=HERE, capture_output=True, text=True, check=False
        )
        assert out.stdout == "ok\n", out.stderr

    @pytest.mark.parametrize(("expires_in", "made"), [(3600, []), (60, ["CreateOAuth2TokenRequestBody"])])
    def test_valid_cache_makes_no_model_class(
        self, fake: FakeSignin, aws_env: dict[str, str], expires_in: float, made: list[str]
    ) -> None:
        write_session(aws_env, fake, expires_in=expires_in)
        probe = (
            "import io, signin_token as st\n"
            "pending = {c.__name__ for c in st._PENDING}\n"
            "rc = st.main(['credentials'], stdout=io.StringIO())\n"
            "print(rc, sorted(pending - {c.__name__ for c in st._PENDING}))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe], env=aws_env, cwd=HERE, capture_output=True, text=True, check=False
        )
        rc, _, names = out.stdout.partition(" ")
        assert rc == "0", out.stderr
        assert (names.strip() == "[]") is (made == []) and all(n in names for n in made), out.stdout

    def test_subclass_of_a_class_not_made_yet(self) -> None:
        code = (
            "import signin_token as st, dataclasses\n"
            "class Mine(st.GetSessionInput): pass\n"
            "assert Mine(session_arn='s').session_arn == 's'\n"
            "class Other(st.ListSessionsInput): pass\n"
            "assert [f.name for f in dataclasses.fields(Other)][:2] == ['principal_arn', 'max_results']\n"
            "print('ok')\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=HERE, capture_output=True, text=True, check=False
        )
        assert out.stdout == "ok\n", out.stderr

    def test_classes_made_once_under_threads(self) -> None:
        code = (
            "import signin_token as st, threading\n"
            "errors = []\n"
            "def make():\n"
            "    try:\n"
            "        for _ in range(50): st.GetSessionInput(session_arn='s')\n"
            "    except Exception as exc: errors.append(exc)\n"
            "threads = [threading.Thread(target=make) for _ in range(8)]\n"
            "[t.start() for t in threads]; [t.join() for t in threads]\n"
            "print(errors)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=HERE, capture_output=True, text=True, check=False
        )
        assert out.stdout == "[]\n", out.stderr


# One broken rule of each kind: operation, members (by member names), member named, rule.
VALIDATION_CASES = [
    ("GetSession", {}, "sessionArn", "is required"),
    ("BatchRevokeSessions", {"sessionArns": []}, "sessionArns", "length must be at least 1"),
    ("BatchRevokeSessions", {"sessionArns": [SESSION] * 6}, "sessionArns", "length must be at most 5"),
    ("BatchRevokeSessions", {"sessionArns": [""]}, "sessionArns[0]", "length must be at least 1"),
    (
        "BatchRevokeSessions",
        {"sessionArns": [SESSION], "reason": "r" * 257},
        "reason",
        "length must be at most 256",
    ),
    ("ListSessions", {"maxResults": 0}, "maxResults", "value must be at least 1"),
    ("ListSessions", {"maxResults": 101}, "maxResults", "value must be at most 100"),
    (
        "CreateBearerToken",
        {"grantType": "client_credentials", "resource": "r", "durationSeconds": 299},
        "durationSeconds",
        "value must be at least 300",
    ),
    ("ListSessions", {"status": "EXPIRED"}, "status", "must be one of ACTIVE, REVOKED"),
    ("ListSessions", {"principalArn": "arn:aws:iam::12345:user/alice"}, "principalArn", "must match"),
    ("GetConsoleAuthorizationConfiguration", {"targetId": "12345678901x"}, "targetId", "must match"),
    ("RevokeOAuth2TokenWithIAM", {"token": "ASOAnot-a-refresh-token"}, "token", "must match"),
    ("CreateOAuth2TokenWithIAM", {"grantType": "password", "resource": "r"}, "grantType", "must match"),
    ("PutResourcePermissionStatement", {"clientToken": "with space"}, "clientToken", "must match"),
    ("PutResourcePermissionStatement", {"clientToken": "t" * 65}, "clientToken", "length must be at most 64"),
    ("ListSessions", {"unknownMember": 1}, "unknownMember", "is not a member of ListSessionsInput"),
]


class TestModelWholeApiValidation:
    """Every rule kind of the model (required, length, range, pattern, enum, type, unknown
    member) is checked when a request is built, naming the member and the rule; responses
    only by type and presence; the offending value never in the message."""

    @pytest.mark.parametrize(("name", "members", "field", "rule"), VALIDATION_CASES)
    def test_rule_named(self, name: str, members: dict[str, Any], field: str, rule: str) -> None:
        cls = getattr(st, st._OPERATIONS[name].input)
        with pytest.raises(st.ParamValidationError) as info:
            cls.from_dict(members, wire=False)
        assert info.value.field == field and info.value.rule.startswith(rule), info.value
        assert str(info.value).startswith(f"Invalid parameter {field}: {rule}")

    @pytest.mark.parametrize(
        ("members", "message"),
        [
            ({"maxResults": "10"}, "maxResults must be int, not str"),
            ({"maxResults": True}, "maxResults must be int, not bool"),
            ({"issuedAfter": 1.5}, "issuedAfter must be int, not float"),
            ({"clientId": 7}, "clientId must be str, not int"),
        ],
    )
    def test_types(self, members: dict[str, Any], message: str) -> None:
        with pytest.raises(TypeError, match=re.escape(message)):
            st.ListSessionsInput.from_dict(members, wire=False)

    def test_a_secret_never_in_the_message(self) -> None:
        secret = "ASOA" + "s3cr3t" * 3
        with pytest.raises(st.ParamValidationError) as info:
            st.RevokeOAuth2TokenWithIAMRequest(token=secret)
        assert "s3cr3t" not in str(info.value) and "s3cr3t" not in repr(info.value)

    def test_wire_names_refused_where_member_names_are_read(self) -> None:
        with pytest.raises(st.ParamValidationError, match="grant_type: is not a member"):
            st.CreateBearerTokenRequest.from_dict(
                {"grant_type": "client_credentials", "resource": "r"}, wire=False
            )

    def test_responses_liberal(self) -> None:
        out = st.ListSessionsOutput.from_dict(
            {
                "items": [dict(API_SESSION, status="SUSPENDED", brandNew=1)],
                "nextToken": "not a /valid token!",
                "x": 2,
            }
        )
        assert out.items[0].status == "SUSPENDED" and out.next_token == "not a /valid token!"
        with pytest.raises(st.ParamValidationError, match="items: is required"):
            st.ListSessionsOutput.from_dict({})
        with pytest.raises(TypeError, match="issuedAt must be int"):
            st.ListSessionsOutput.from_dict({"items": [dict(API_SESSION, issuedAt="yesterday")]})


# --------------------------------------------------------------------------
# P-256 and ECDSA (FIPS 186-4 D.1.2.3, RFC 6979)
# --------------------------------------------------------------------------


class TestECDSA:
    """ES256 signing with RFC 6979 deterministic nonces: RFC 6979 A.2.5 (P-256, SHA-256)."""

    @pytest.mark.parametrize(
        ("message", "r", "s"),
        [
            (
                b"sample",
                "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
                "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
            ),
            (
                b"test",
                "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
                "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083",
            ),
        ],
    )
    def test_rfc6979_vector(self, message: bytes, r: str, s: str) -> None:
        key = st.DPoPKey.from_private_value(RFC6979_D)
        signature = key.sign(message)
        assert signature == bytes.fromhex(r + s)
        assert es256_verify(key.public_jwk, message, signature)
        assert not es256_verify(key.public_jwk, message + b"x", signature)

    def test_both_fixed_base_tables_in_a_fresh_process(self) -> None:
        """A fresh process signs its first proofs with the small table and later ones with the
        large table; the RFC 6979 "sample" signature must come out the same from both."""
        script = (
            "import signin_token as st\n"
            f"key = st.DPoPKey.from_private_value({RFC6979_D})\n"
            "first = key.sign(b'sample').hex()\n"
            "for _ in range(40):\n"
            "    key.sign(b'warm-up')\n"
            "print(first, key.sign(b'sample').hex(), sorted(st._G_TABLES))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, cwd=str(HERE), check=True
        ).stdout.split(" ", 2)
        expected = (
            "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
            "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"
        )
        assert out[0] == expected and out[1] == expected
        assert out[2].strip() == f"[{st._SMALL_WINDOW}, {st._LARGE_WINDOW}]"  # both were used

    def test_public_key(self) -> None:
        jwk = st.DPoPKey.from_private_value(RFC6979_D).public_jwk
        assert jwk == {
            "kty": "EC",
            "x": b64url(int_bytes(RFC6979_UX)),
            "y": b64url(int_bytes(RFC6979_UY)),
            "crv": "P-256",
        }
        assert affine_mul(RFC6979_D, P256_G) == (RFC6979_UX, RFC6979_UY)

    @pytest.mark.parametrize("d", [1, 2, 3, 43, 379, P256_N - 1, P256_N // 2, 2**255])
    def test_public_point_matches_independent_arithmetic(self, d: int) -> None:
        jwk = st.DPoPKey.from_private_value(d).public_jwk
        point = affine_mul(d, P256_G)
        assert point is not None
        assert jwk["x"] == b64url(int_bytes(point[0])) and jwk["y"] == b64url(int_bytes(point[1]))
        assert len(b64url_decode(jwk["x"])) == 32 and len(b64url_decode(jwk["y"])) == 32

    @pytest.mark.parametrize("d", [1, 43, 379, P256_N - 1])
    def test_signatures_verify_independently(self, d: int) -> None:
        key = st.DPoPKey.from_private_value(d)
        for message in (b"", b"sample", bytes(range(256))):
            signature = key.sign(message)
            assert len(signature) == 64
            assert es256_verify(key.public_jwk, message, signature)
            assert key.sign(message) == signature  # deterministic

    @pytest.mark.parametrize("message", ["text", None, 123])
    def test_sign_requires_bytes(self, message: Any) -> None:
        with pytest.raises(TypeError):
            st.DPoPKey.from_private_value(RFC6979_D).sign(message)

    def test_cryptography_verifies(self) -> None:
        pytest.importorskip("cryptography")
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        key = st.DPoPKey.generate()
        jwk = key.public_jwk
        public = ec.EllipticCurvePublicNumbers(
            int.from_bytes(b64url_decode(jwk["x"]), "big"),
            int.from_bytes(b64url_decode(jwk["y"]), "big"),
            ec.SECP256R1(),
        ).public_key()
        signature = key.sign(b"message")
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        assert public.verify(der, b"message", ec.ECDSA(hashes.SHA256())) is None  # raises when invalid
        tampered = bytearray(der)
        tampered[-1] ^= 1
        with pytest.raises(InvalidSignature):
            public.verify(bytes(tampered), b"message", ec.ECDSA(hashes.SHA256()))
        with pytest.raises(InvalidSignature):
            public.verify(der, b"messagf", ec.ECDSA(hashes.SHA256()))

    @pytest.mark.parametrize("d", [0, -1, P256_N, P256_N + 1, 2**256])
    def test_scalar_out_of_range(self, d: int) -> None:
        with pytest.raises(st.InvalidKeyError):
            st.DPoPKey.from_private_value(d)

    @pytest.mark.parametrize("d", [1.0, "1", True, None])
    def test_scalar_type(self, d: Any) -> None:
        with pytest.raises(TypeError):
            st.DPoPKey.from_private_value(d)

    def test_key_equality(self) -> None:
        a, b = st.DPoPKey.from_private_value(RFC6979_D), st.DPoPKey.from_private_value(RFC6979_D)
        assert a == b and hash(a) == hash(b)
        assert a != st.DPoPKey.from_private_value(RFC6979_D - 1)
        assert st.DPoPKey.generate() != st.DPoPKey.generate()


# --------------------------------------------------------------------------
# Keys at rest: SEC 1 / RFC 5915 and PKCS #8 DER in PEM, and JWK
# --------------------------------------------------------------------------


class TestPEM:
    """The DPoP key at rest (PROTOCOL.md §7): SEC 1 / RFC 5915 written byte-exactly;
    SEC 1 and PKCS #8 (RFC 5208, RFC 5915 §2) read."""

    def test_to_pem_rfc6979_key(self) -> None:
        der = sec1_spec_der(RFC6979_D, RFC6979_UX, RFC6979_UY)
        assert len(der) == 121
        b64 = base64.b64encode(der).decode()
        expected = (
            "-----BEGIN EC PRIVATE KEY-----\n"
            + "\n".join([b64[:64], b64[64:128], b64[128:]])
            + "\n-----END EC PRIVATE KEY-----\n"
        )
        pem = st.DPoPKey.from_private_value(RFC6979_D).to_pem()
        assert pem == expected
        assert all(len(line) <= 64 for line in pem.splitlines())
        assert pem.endswith("-----\n") and not pem.endswith("\n\n")
        assert sec1_key_der() == der  # the test's DER builder agrees with the spec layout

    @pytest.mark.parametrize("d", [1, 43, 379, P256_N - 1])
    def test_to_pem_pads_coordinates(self, d: int) -> None:
        point = affine_mul(d, P256_G)
        assert point is not None
        pem = st.DPoPKey.from_private_value(d).to_pem()
        assert pem == pem_armor("EC PRIVATE KEY", sec1_spec_der(d, point[0], point[1]))
        assert st.DPoPKey.from_pem(pem) == st.DPoPKey.from_private_value(d)

    def test_leading_zero_premise(self) -> None:
        """d = 43 and d = 379 have a y / x coordinate below 2**248 (a leading zero byte)."""
        y43, x379 = affine_mul(43, P256_G), affine_mul(379, P256_G)
        assert y43 is not None and x379 is not None
        assert y43[1] < 2**248 and x379[0] < 2**248

    def test_round_trip_generated(self) -> None:
        key = st.DPoPKey.generate()
        again = st.DPoPKey.from_pem(key.to_pem())
        assert again == key and again.public_jwk == key.public_jwk
        assert len(base64.b64decode("".join(key.to_pem().splitlines()[1:-1]))) == 121

    @pytest.mark.parametrize(
        "transform",
        [
            lambda pem: pem,
            lambda pem: pem.encode("ascii"),
            lambda pem: pem.replace("\n", "\r\n"),
            lambda pem: pem.rstrip("\n"),
            lambda pem: "\n\n" + pem + "\n\n",
        ],
        ids=["str", "bytes", "crlf", "no-final-newline", "surrounding-blank-lines"],
    )
    def test_from_pem_spellings(self, transform: Any) -> None:
        pem = pem_armor("EC PRIVATE KEY", sec1_key_der())
        assert st.DPoPKey.from_pem(transform(pem)) == st.DPoPKey.from_private_value(RFC6979_D)

    @pytest.mark.parametrize(
        "der",
        [
            sec1_key_der(oid=None),
            sec1_key_der(public=False),
            sec1_key_der(oid=None, public=False),
        ],
        ids=["no-params", "no-public-key", "bare"],
    )
    def test_from_pem_sec1_optional_members(self, der: bytes) -> None:
        key = st.DPoPKey.from_pem(pem_armor("EC PRIVATE KEY", der))
        assert key == st.DPoPKey.from_private_value(RFC6979_D)
        assert key.public_jwk["x"] == b64url(int_bytes(RFC6979_UX))

    @pytest.mark.parametrize(
        "inner",
        [sec1_key_der(oid=None), sec1_key_der(), sec1_key_der(oid=None, public=False)],
        ids=["openssl-style", "with-params", "no-public-key"],
    )
    def test_from_pem_pkcs8(self, inner: bytes) -> None:
        pem = pem_armor("PRIVATE KEY", pkcs8_key_der(inner))
        assert st.DPoPKey.from_pem(pem) == st.DPoPKey.from_private_value(RFC6979_D)

    def test_pkcs8_matches_cryptography(self) -> None:
        pytest.importorskip("cryptography")
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        private = ec.derive_private_key(RFC6979_D, ec.SECP256R1())
        pkcs8 = private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        assert pkcs8 == pkcs8_key_der(sec1_key_der(oid=None))  # the hand-built DER is what OpenSSL writes
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        assert st.DPoPKey.from_pem(pem) == st.DPoPKey.from_private_value(RFC6979_D)

    @pytest.mark.parametrize("d", [RFC6979_D, 43, 379])
    def test_sec1_matches_cryptography(self, d: int) -> None:
        pytest.importorskip("cryptography")
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        private = ec.derive_private_key(d, ec.SECP256R1())
        ours = st.DPoPKey.from_private_value(d).to_pem()
        theirs = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()
        assert ours == theirs
        loaded = serialization.load_pem_private_key(ours.encode(), password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        assert loaded.private_numbers().private_value == d

    @pytest.mark.parametrize(
        "pem",
        [
            pytest.param(
                pem_armor("EC PRIVATE KEY", sec1_key_der(d=bytes(32), public=False)), id="scalar-zero"
            ),
            pytest.param(
                pem_armor("EC PRIVATE KEY", sec1_key_der(d=int_bytes(P256_N), public=False)), id="scalar-n"
            ),
            pytest.param(
                pem_armor("EC PRIVATE KEY", sec1_key_der(d=int_bytes(2**256 - 1), public=False)),
                id="scalar-max",
            ),
            pytest.param(
                pem_armor(
                    "EC PRIVATE KEY",
                    sec1_key_der(point=b"\x04" + int_bytes(RFC6979_UX) + int_bytes(RFC6979_UY + 1)),
                ),
                id="public-off-curve",
            ),
            pytest.param(
                pem_armor(
                    "EC PRIVATE KEY",
                    sec1_key_der(point=b"\x04" + int_bytes(P256_G[0]) + int_bytes(P256_G[1])),
                ),
                id="public-not-matching",
            ),
            pytest.param(
                pem_armor(
                    "EC PRIVATE KEY", sec1_key_der(point=b"\x04" + int_bytes(P256_P) + int_bytes(RFC6979_UY))
                ),
                id="public-x-not-reduced",
            ),
            pytest.param(pem_armor("EC PRIVATE KEY", sec1_key_der(oid="2b8104000a")), id="curve-secp256k1"),
            pytest.param(pem_armor("EC PRIVATE KEY", sec1_key_der(oid="2b81040022")), id="curve-p384"),
            pytest.param(pem_armor("EC PRIVATE KEY", sec1_key_der(version=b"\x00")), id="version-0"),
            pytest.param(
                pem_armor("EC PRIVATE KEY", sec1_key_der(d=b"\x00" + int_bytes(RFC6979_D))), id="d-33-bytes"
            ),
            pytest.param(pem_armor("EC PRIVATE KEY", sec1_key_der(d=b"", public=False)), id="d-empty"),
            pytest.param(
                pem_armor(
                    "EC PRIVATE KEY",
                    sec1_key_der(point=b"\x04" + int_bytes(RFC6979_UX) + int_bytes(RFC6979_UY)[:31]),
                ),
                id="point-short",
            ),
            pytest.param(
                pem_armor("EC PRIVATE KEY", sec1_key_der(point=b"\x02" + int_bytes(RFC6979_UX))),
                id="point-compressed",
            ),
            pytest.param(pem_armor("EC PRIVATE KEY", sec1_key_der() + b"\x00"), id="trailing-data"),
            pytest.param(pem_armor("EC PRIVATE KEY", sec1_key_der()[:-1]), id="truncated"),
            pytest.param(pem_armor("EC PRIVATE KEY", sec1_key_der()[:40]), id="truncated-more"),
            pytest.param(pem_armor("EC PRIVATE KEY", b""), id="empty-der"),
            pytest.param(
                pem_armor("EC PRIVATE KEY", der_tlv(0x30, sec1_key_der()[2:] + der_tlv(0xA2, b"\x05\x00"))),
                id="unknown-member",
            ),
            pytest.param(pem_armor("RSA PRIVATE KEY", sec1_key_der()), id="label-rsa"),
            pytest.param(pem_armor("PUBLIC KEY", sec1_key_der()), id="label-public"),
            pytest.param(pem_armor("PRIVATE KEY", sec1_key_der()), id="sec1-labelled-pkcs8"),
            pytest.param(
                pem_armor("EC PRIVATE KEY", pkcs8_key_der(sec1_key_der())), id="pkcs8-labelled-sec1"
            ),
            pytest.param(
                pem_armor("EC PRIVATE KEY", sec1_key_der()).replace("END EC", "END RSA"), id="label-mismatch"
            ),
            pytest.param(
                pem_armor("PRIVATE KEY", pkcs8_key_der(sec1_key_der(), alg_oid="2a864886f70d010101")),
                id="pkcs8-rsa",
            ),
            pytest.param(
                pem_armor("PRIVATE KEY", pkcs8_key_der(sec1_key_der(), curve="2b81040022")), id="pkcs8-p384"
            ),
            pytest.param(
                pem_armor("PRIVATE KEY", pkcs8_key_der(sec1_key_der() + b"\x00")), id="pkcs8-inner-trailing"
            ),
            pytest.param(
                pem_armor("PRIVATE KEY", pkcs8_key_der(sec1_key_der()) + b"\x00"), id="pkcs8-trailing"
            ),
            pytest.param(
                pem_armor("PRIVATE KEY", pkcs8_key_der(sec1_key_der(d=bytes(32), public=False))),
                id="pkcs8-scalar-zero",
            ),
            pytest.param(
                pem_armor("EC PRIVATE KEY", sec1_key_der()).replace("A", "!", 1), id="bad-base64-char"
            ),
            pytest.param(
                "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE=ABC\n-----END EC PRIVATE KEY-----\n",
                id="bad-padding",
            ),
            pytest.param("-----BEGIN EC PRIVATE KEY-----\n" + "A" * 10 + "\n", id="no-end-line"),
            pytest.param("", id="empty"),
            pytest.param("not a key", id="not-pem"),
            pytest.param(pem_armor("EC PRIVATE KEY", sec1_key_der()) * 2, id="two-blocks"),
            pytest.param(
                pem_armor("EC PRIVATE KEY", sec1_key_der()).replace(
                    "-----\n",
                    "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDD\n\n",
                    1,
                ),
                id="encrypted",
            ),
        ],
    )
    def test_rejects(self, pem: str) -> None:
        with pytest.raises(st.InvalidKeyError) as info:
            st.DPoPKey.from_pem(pem)
        assert isinstance(info.value, ValueError)
        assert f"{RFC6979_D:064x}" not in str(info.value).lower()

    def test_rejects_non_ascii_bytes(self) -> None:
        with pytest.raises(st.InvalidKeyError):
            st.DPoPKey.from_pem(b"\xff\xfe-----BEGIN EC PRIVATE KEY-----")

    def test_rejects_wrong_type(self) -> None:
        with pytest.raises(TypeError):
            st.DPoPKey.from_pem(12345)  # type: ignore[arg-type]


class TestJwkThumbprint:
    """RFC 7638 §3.1 (RSA example) and RFC 9449 §4.1 / Figure 2 example key."""

    RSA_N = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3"
        "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgd"
        "AZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur"
        "-kEgU8awapJzKnqDKgw"
    )
    RFC9449_JWK = (
        ("kty", "EC"),
        ("x", "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs"),
        ("y", "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"),
        ("crv", "P-256"),
    )
    # RFC 9449 §4.1, Figure 2 (line wrapping removed).
    RFC9449_PROOF = (
        "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik"
        "VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR"
        "nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE"
        "QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIj"
        "oiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwia"
        "WF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg"
        "4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
    )

    def test_rfc7638_rsa_example(self) -> None:
        jwk = {"kty": "RSA", "n": self.RSA_N, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}
        assert st.jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

    def test_rfc9449_example_key(self) -> None:
        jwk = dict(self.RFC9449_JWK)
        assert st.jwk_thumbprint(jwk) == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        assert thumbprint(jwk) == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        # Member order and extra members do not matter (RFC 7638 §3.3).
        assert st.jwk_thumbprint(dict(reversed(self.RFC9449_JWK), kid="k", use="sig")) == st.jwk_thumbprint(
            jwk
        )

    def test_independent_verifier_accepts_rfc9449_figure2(self) -> None:
        """Sanity of the test's own verifier on the RFC's example proof."""
        head, claims, sig = self.RFC9449_PROOF.split(".")
        header = json.loads(b64url_decode(head))
        assert header == {"typ": "dpop+jwt", "alg": "ES256", "jwk": dict(self.RFC9449_JWK)}
        assert json.loads(b64url_decode(claims)) == {
            "jti": "-BwC3ESc6acc2lTc",
            "htm": "POST",
            "htu": "https://server.example.com/token",
            "iat": 1562262616,
        }
        assert es256_verify(header["jwk"], f"{head}.{claims}".encode(), b64url_decode(sig))
        assert not es256_verify(header["jwk"], f"{head}.{claims}x".encode(), b64url_decode(sig))

    def test_key_thumbprint_matches_independent(self) -> None:
        for key in (
            st.DPoPKey.from_private_value(RFC6979_D),
            st.DPoPKey.from_private_value(43),
            st.DPoPKey.generate(),
        ):
            assert key.thumbprint() == thumbprint(key.public_jwk) == st.jwk_thumbprint(key.public_jwk)

    @pytest.mark.parametrize(
        "change",
        [
            {"y": b64url(int_bytes(RFC6979_UY + 1))},  # off the curve
            {"x": b64url(int_bytes(RFC6979_UX)[1:])},  # 31 bytes
            {"y": b64url(b"\x00" + int_bytes(RFC6979_UY))},  # 33 bytes
            {"x": b64url(int_bytes(RFC6979_UX)) + "="},  # padded
            {"x": base64.b64encode(int_bytes(RFC6979_UX)).decode()},  # standard alphabet
            {"x": b64url(int_bytes(P256_P + 0, 33))},
            {"crv": "P-384"},
            {"kty": "OKP"},
            {"kty": None},
            {"x": ""},
        ],
    )
    def test_rejects(self, change: dict[str, Any]) -> None:
        jwk: dict[str, Any] = dict(st.DPoPKey.from_private_value(RFC6979_D).public_jwk)
        for name, value in change.items():
            if value is None:
                del jwk[name]
            else:
                jwk[name] = value
        with pytest.raises(st.InvalidKeyError):
            st.jwk_thumbprint(jwk)

    def test_rejects_rsa_without_modulus(self) -> None:
        with pytest.raises(st.InvalidKeyError):
            st.jwk_thumbprint({"kty": "RSA", "e": "AQAB"})

    def test_rejects_non_mapping(self) -> None:
        with pytest.raises(TypeError):
            st.jwk_thumbprint("not a jwk")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# PKCE and the authorize URL (RFC 7636, PROTOCOL.md §2)
# --------------------------------------------------------------------------


class TestPKCE:
    """RFC 7636 §4.1-4.2 and App. B; PROTOCOL.md §2 (method literal SHA-256, uuid4 state)."""

    @pytest.mark.parametrize(
        ("verifier", "challenge"),
        [
            ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            ("a" * 64, "_-BU_nrgy23GXDr5th1SCfQ5hR20PQulmXM33xVGaOs"),
        ],
        ids=["rfc7636-appendix-b", "protocol-a64"],
    )
    def test_vectors(self, verifier: str, challenge: str) -> None:
        assert st.pkce_challenge(verifier) == challenge

    def test_generate(self) -> None:
        pairs = [st.generate_pkce() for _ in range(20)]
        for pair in pairs:
            assert len(pair.code_verifier) == 64
            assert set(pair.code_verifier) <= set(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
            )
            assert pair.code_challenge_method == "SHA-256"
            assert pair.code_challenge == b64url(hashlib.sha256(pair.code_verifier.encode()).digest())
            assert "=" not in pair.code_challenge and len(pair.code_challenge) == 43
            assert uuid.UUID(pair.state).version == 4 and str(uuid.UUID(pair.state)) == pair.state
            assert pair.to_dict() == {
                "code_verifier": pair.code_verifier,
                "code_challenge": pair.code_challenge,
                "code_challenge_method": "SHA-256",
                "state": pair.state,
            }
        assert len({p.code_verifier for p in pairs}) == 20
        assert len({p.state for p in pairs}) == 20


class TestAuthorizationUrl:
    """The authorize URL (PROTOCOL.md §2, §4): parameter order, percent-encoding, origin."""

    CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    STATE = "6f1c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"

    def test_same_device_exact(self) -> None:
        url = st.authorization_url(
            code_challenge=self.CHALLENGE,
            state=self.STATE,
            region="us-east-1",
            redirect_uri="http://127.0.0.1:4321/oauth/callback",
            environ={},
        )
        assert url == (
            "https://us-east-1.signin.aws.amazon.com/v1/authorize?response_type=code"
            "&client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device"
            "&state=6f1c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"
            "&code_challenge_method=SHA-256&scope=openid"
            "&redirect_uri=http%3A%2F%2F127.0.0.1%3A4321%2Foauth%2Fcallback"
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        )

    def test_cross_device_exact(self) -> None:
        url = st.authorization_url(
            code_challenge=self.CHALLENGE, state=self.STATE, region="cn-north-1", remote=True, environ={}
        )
        assert url == (
            "https://cn-north-1.signin.amazonaws.cn/v1/authorize?response_type=code"
            "&client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fcross-device"
            "&state=6f1c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"
            "&code_challenge_method=SHA-256&scope=openid"
            "&redirect_uri=https%3A%2F%2Fcn-north-1.signin.amazonaws.cn%2Fv1%2Fsessions%2Fconfirmation"
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        )

    @pytest.mark.parametrize(
        ("endpoint", "origin"),
        [
            ("https://custom.example.com/some/path", "https://custom.example.com"),
            ("https://custom.example.com:8443/x/", "https://custom.example.com:8443"),
            ("http://127.0.0.1:8080/base", "http://127.0.0.1:8080"),
            ("http://[::1]:9000", "http://[::1]:9000"),
        ],
    )
    def test_origin_of_custom_endpoint(self, endpoint: str, origin: str) -> None:
        url = st.authorization_url(
            code_challenge=self.CHALLENGE, state=self.STATE, endpoint_url=endpoint, remote=True, environ={}
        )
        assert url.startswith(origin + "/v1/authorize?")
        params = dict(urllib.parse.parse_qsl(url.split("?", 1)[1]))
        assert params["redirect_uri"] == origin + "/v1/sessions/confirmation"
        assert params["client_id"] == st.CROSS_DEVICE_CLIENT_ID

    def test_endpoint_from_environment(self) -> None:
        url = st.authorization_url(
            code_challenge="c",
            state="s",
            region="us-east-1",
            redirect_uri=REDIRECT_URI,
            environ={"AWS_ENDPOINT_URL_SIGNIN": "https://env.example.com/p"},
        )
        assert url.startswith("https://env.example.com/v1/authorize?")

    def test_parameter_order_and_encoding(self) -> None:
        odd = "".join(chr(c) for c in range(0x20, 0x7F)) + "\u00e9\u20ac"
        url = st.authorization_url(
            code_challenge=odd, state=odd, region="eu-west-1", redirect_uri=odd, environ={}
        )
        query = url.split("?", 1)[1]
        names = [pair.split("=", 1)[0] for pair in query.split("&")]
        assert names == AUTHORIZE_PARAMETERS
        encoded = urllib.parse.quote(odd, safe="")  # leaves only A-Za-z0-9-._~
        values = dict(pair.split("=", 1) for pair in query.split("&"))
        assert values["state"] == values["redirect_uri"] == values["code_challenge"] == encoded
        assert values["code_challenge_method"] == "SHA-256" and values["scope"] == "openid"
        assert values["response_type"] == "code"
        unescaped = set(query.replace("%", "").replace("&", "").replace("=", ""))
        assert unescaped <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    def test_same_device_needs_redirect(self) -> None:
        with pytest.raises(st.ParamValidationError) as info:
            st.authorization_url(code_challenge="c", state="s", region="us-east-1", environ={})
        assert info.value.field == "redirect_uri"

    @pytest.mark.parametrize(
        ("kwargs", "exc"),
        [
            ({"code_challenge": "", "state": "s"}, st.ParamValidationError),
            ({"code_challenge": "c", "state": ""}, st.ParamValidationError),
            ({"code_challenge": "c", "state": "s" * 513}, st.ParamValidationError),
            ({"code_challenge": "c", "state": "s", "redirect_uri": "r" * 2049}, st.ParamValidationError),
            ({"code_challenge": None, "state": "s"}, TypeError),
        ],
    )
    def test_refused(self, kwargs: dict[str, Any], exc: type[Exception]) -> None:
        kwargs.setdefault("redirect_uri", REDIRECT_URI)
        with pytest.raises(exc):
            st.authorization_url(region="us-east-1", environ={}, **kwargs)

    def test_missing_region(self) -> None:
        with pytest.raises(st.ParamValidationError, match="Missing Region"):
            st.authorization_url(code_challenge="c", state="s", remote=True, environ={})


# --------------------------------------------------------------------------
# DPoP (RFC 9449)
# --------------------------------------------------------------------------


class TestDPoPProof:
    """DPoP proofs (RFC 9449 §4.2-4.3, PROTOCOL.md §6)."""

    HTU = "https://us-east-1.signin.aws.amazon.com/v1/token"

    @pytest.mark.parametrize("d", [RFC6979_D, 43, 379])
    def test_structure(self, d: int) -> None:
        key = st.DPoPKey.from_private_value(d)
        proof = key.proof(self.HTU, iat=1700000000, jti="jti-1")
        parts = proof.split(".")
        assert len(parts) == 3 and "=" not in proof
        assert all(
            set(p) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for p in parts
        )
        header, claims, signing_input, signature = split_proof(proof)
        point = affine_mul(d, P256_G)
        assert point is not None
        assert header == {
            "typ": "dpop+jwt",
            "alg": "ES256",
            "jwk": {
                "kty": "EC",
                "x": b64url(int_bytes(point[0])),
                "y": b64url(int_bytes(point[1])),
                "crv": "P-256",
            },
        }
        assert len(b64url_decode(header["jwk"]["x"])) == 32 and len(b64url_decode(header["jwk"]["y"])) == 32
        assert claims == {"htm": "POST", "htu": self.HTU, "iat": 1700000000, "jti": "jti-1"}
        assert len(signature) == 64
        assert es256_verify(header["jwk"], signing_input, signature)
        # RFC 6979: the same input gives the same proof.
        assert key.proof(self.HTU, iat=1700000000, jti="jti-1") == proof

    def test_defaults(self) -> None:
        key = st.DPoPKey.generate()
        before = int(time.time())
        proofs = [key.proof(self.HTU) for _ in range(5)]
        after = int(time.time())
        jtis = set()
        for proof in proofs:
            header, claims, signing_input, signature = split_proof(proof)
            assert claims["htm"] == "POST" and claims["htu"] == self.HTU
            assert type(claims["iat"]) is int and before <= claims["iat"] <= after
            assert uuid.UUID(claims["jti"]).version == 4
            jtis.add(claims["jti"])
            assert es256_verify(header["jwk"], signing_input, signature)
            assert "d" not in header["jwk"]
        assert len(jtis) == 5

    def test_htm(self) -> None:
        _, claims, _, _ = split_proof(st.DPoPKey.generate().proof(self.HTU, "GET", iat=1))
        assert claims["htm"] == "GET" and claims["iat"] == 1

    def test_verified_by_cryptography(self) -> None:
        pytest.importorskip("cryptography")
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        header, _, signing_input, signature = split_proof(st.DPoPKey.generate().proof(self.HTU))
        public = ec.EllipticCurvePublicNumbers(
            int.from_bytes(b64url_decode(header["jwk"]["x"]), "big"),
            int.from_bytes(b64url_decode(header["jwk"]["y"]), "big"),
            ec.SECP256R1(),
        ).public_key()
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        assert public.verify(der, signing_input, ec.ECDSA(hashes.SHA256())) is None  # raises when invalid
        with pytest.raises(InvalidSignature):
            public.verify(der, signing_input + b".", ec.ECDSA(hashes.SHA256()))

    @pytest.mark.parametrize(
        ("htu", "htm"),
        [
            ("https://signin.example.com/v1/token?x=1", "POST"),
            ("https://signin.example.com/v1/token#frag", "POST"),
            ("https://signin.example.com/v1/token?", "POST"),
            ("ftp://signin.example.com/v1/token", "POST"),
            ("signin.example.com/v1/token", "POST"),
            ("", "POST"),
            (HTU, "post"),
            (HTU, ""),
            (HTU, "PO ST"),
        ],
    )
    def test_refused(self, htu: str, htm: str) -> None:
        with pytest.raises(st.ParamValidationError) as info:
            st.DPoPKey.generate().proof(htu, htm)
        assert info.value.field in ("htu", "htm")

    def test_type_errors(self) -> None:
        with pytest.raises(TypeError):
            st.DPoPKey.generate().proof(b"https://x/v1/token")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# AWS Signature Version 4
# --------------------------------------------------------------------------

# The pinned data of today's service (botocore 1.44.8): ../shared/signin-2023-01-01 beside a checkout.


def pinned_json(name: str) -> dict[str, Any] | None:
    """A file of the pinned data (``service-2.json``, ``partitions.json``, ...), or None without it."""
    path = PINNED_DIR / name
    return dict(json.loads(path.read_bytes())) if path.exists() else None


# The AWS SigV4 test suite's example credentials and time (20150830T123600Z).
SIGV4_EXAMPLE_KEYS = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SIGV4_EXAMPLE_NOW = 1440938160.0
# Cases of the published suite (aws-sig-v4-test-suite): name -> (method, path and query, signature).
SIGV4_VECTORS = {
    "get-vanilla": ("GET", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    "post-vanilla": ("POST", "/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    "get-vanilla-query-order-key-case": (
        "GET",
        "/?Param2=value2&Param1=value1",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    ),
    "get-vanilla-empty-query-key": (
        "GET",
        "/?Param1=value1",
        "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
    ),
    "get-utf8": ("GET", "/\u1234", "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    "normalize-path/get-slash-dot-slash": (
        "GET",
        "/./",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    ),
    "normalize-path/get-relative": (
        "GET",
        "/example/..",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    ),
}


def sigv4_example_keys(token: str | None = None) -> Any:
    """The suite's example keys as signing keys (with ``token`` as the session token)."""
    return st._SigningKeys(*SIGV4_EXAMPLE_KEYS, session_token=token, source="test")


class TestSigV4Vectors:
    """The published SigV4 test suite's signatures, canonical request and string to sign (no peer)."""

    @pytest.mark.parametrize("name", sorted(SIGV4_VECTORS))
    def test_published_signature(self, name: str) -> None:
        method, path, signature = SIGV4_VECTORS[name]
        added = st._sigv4_headers(
            method,
            "https://example.amazonaws.com" + path,
            {"Host": "example.amazonaws.com"},
            b"",
            sigv4_example_keys(),
            "us-east-1",
            SIGV4_EXAMPLE_NOW,
            service="service",
        )
        assert added == {
            "X-Amz-Date": "20150830T123600Z",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
            f"aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
        }

    def test_get_vanilla_canonical_request_and_string_to_sign(self) -> None:
        _, canonical, to_sign = st._sigv4_sign(
            "GET",
            "https://example.amazonaws.com/",
            {"Host": "example.amazonaws.com"},
            b"",
            sigv4_example_keys(),
            "us-east-1",
            SIGV4_EXAMPLE_NOW,
            "service",
        )
        assert canonical == (
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        assert to_sign == (
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        )

    def test_host_comes_from_the_url_without_a_default_port(self) -> None:
        def host_line(url: str) -> str:
            _, canonical, _ = st._sigv4_sign(
                "POST", url, {}, b"{}", sigv4_example_keys(), "us-east-1", SIGV4_EXAMPLE_NOW, "signin"
            )
            return canonical.split("\n")[3]

        assert host_line("https://Signin.US-East-1.api.aws/list-sessions") == "host:signin.us-east-1.api.aws"
        assert host_line("https://signin.us-east-1.api.aws:443/x") == "host:signin.us-east-1.api.aws"
        assert host_line("http://127.0.0.1:8080/x") == "host:127.0.0.1:8080"
        assert host_line("http://[::1]:9/x") == "host:[::1]:9"
        assert host_line("http://localhost:80/x") == "host:localhost"

    def test_session_token_is_signed_and_added(self) -> None:
        added, canonical, _ = st._sigv4_sign(
            "POST",
            "https://signin.us-east-1.api.aws/list-sessions",
            {"Content-Type": "application/json"},
            b"{}",
            sigv4_example_keys("the-session-token"),
            "us-east-1",
            SIGV4_EXAMPLE_NOW,
            "signin",
        )
        assert added["X-Amz-Security-Token"] == "the-session-token"
        assert "\nx-amz-security-token:the-session-token\n" in canonical
        assert "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token," in added["Authorization"]

    def test_own_and_hop_by_hop_headers_of_the_caller_are_not_signed(self) -> None:
        given = {
            "Authorization": "stale",
            "x-amz-date": "19990101T000000Z",
            "X-Amz-Security-Token": "stale-token",
            "User-Agent": "signin-token",
            "Connection": "close",
            "Content-Type": "application/json",
            "X-Odd": "  a   b  ",
        }
        added, canonical, _ = st._sigv4_sign(
            "POST", "https://h.example/p", given, b"", sigv4_example_keys(), "r-1", SIGV4_EXAMPLE_NOW, "s"
        )
        assert set(added) == {"X-Amz-Date", "Authorization"}
        assert "SignedHeaders=content-type;host;x-amz-date;x-odd," in added["Authorization"]
        assert "x-amz-date:20150830T123600Z\nx-odd:a b\n" in canonical
        assert "stale" not in canonical

    def test_payload_hash_is_of_the_body(self) -> None:
        body = b'{"maxResults":5}'
        _, canonical, _ = st._sigv4_sign(
            "POST", "https://h.example/p", {}, body, sigv4_example_keys(), "r-1", SIGV4_EXAMPLE_NOW, "s"
        )
        assert canonical.endswith("\n" + hashlib.sha256(body).hexdigest())

    def test_repr_shows_neither_key_nor_token(self) -> None:
        keys = st._SigningKeys(
            "AKIAEXAMPLEKEYID0001", "secret/Key+value0001", "token-value-0001", 1.0, "environment"
        )
        text = repr(keys)
        assert "environment" in text
        for secret in ("AKIAEXAMPLEKEYID0001", "secret/Key+value0001", "token-value-0001"):
            assert secret not in text
        assert not hasattr(keys, "__dict__")
        assert st._redact("x secret/Key+value0001 token-value-0001 y") == "x *** *** y"


class TestSigV4Botocore:
    """Peer test: botocore's SigV4Auth gives every operation of the model the same canonical
    request, string to sign and headers, with and without a session token."""

    @staticmethod
    def operations() -> dict[str, Any]:
        model = pinned_json("service-2.json")
        if model is None:  # the compact facts hold no requestUri
            pytest.skip(f"the pinned model is not at {PINNED_DIR}")
        return dict(model["operations"])

    @pytest.mark.parametrize("token", [None, "FQoGZXIvYXdzEXAMPLEtoken//+=="], ids=["keys", "session"])
    def test_every_operation_signs_as_botocore(
        self, token: str | None, caplog: pytest.LogCaptureFixture
    ) -> None:
        if importlib.util.find_spec("botocore") is None:
            pytest.skip("botocore is not importable (peer test)")
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        operations = self.operations()
        assert operations
        for name, op in operations.items():
            static = {k: v["value"] for k, v in op.get("staticContextParams", {}).items()}
            base = st.resolve_endpoint(
                "eu-west-2",
                environ={},
                is_control_plane=static.get("IsControlPlane"),
                is_oauth_endpoint=static.get("IsOAuthEndpoint"),
            )
            url, method = base + op["http"]["requestUri"], op["http"]["method"]
            body = json.dumps({"clientId": "arn:aws:signin:::devtools/same-device", "n": name}).encode()
            headers = {"Content-Type": "application/json", "User-Agent": "signin-token/0 peer-test"}
            request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
            caplog.clear()
            with caplog.at_level(10, logger="botocore.auth"):  # DEBUG: botocore logs both texts
                SigV4Auth(Credentials(*SIGV4_EXAMPLE_KEYS, token), "signin", "eu-west-2").add_auth(request)
            logged = {}
            for record in caplog.records:
                label, _, text = record.getMessage().partition(":\n")
                logged[label] = text
            stamp = datetime.datetime.strptime(request.context["timestamp"], "%Y%m%dT%H%M%SZ")
            now = stamp.replace(tzinfo=datetime.timezone.utc).timestamp()
            keys = sigv4_example_keys(token)
            ours, canonical, to_sign = st._sigv4_sign(
                method, url, headers, body, keys, "eu-west-2", now, "signin"
            )
            assert canonical == logged["CanonicalRequest"], name
            assert to_sign == logged["StringToSign"], name
            names = ("X-Amz-Date", "X-Amz-Security-Token", "Authorization")
            assert ours == {k: request.headers[k] for k in names if k in request.headers}, name
            assert ours == st._sigv4_headers(method, url, headers, body, keys, "eu-west-2", now)
            assert ("X-Amz-Security-Token" in ours) == (token is not None)


# --------------------------------------------------------------------------
# Endpoints (PROTOCOL.md §1)
# --------------------------------------------------------------------------

# Hand-picked regions of every partition (listed, "-global" and made-up ones) and what the
# rule set gives them: the host without FIPS and dual-stack, the FIPS host, the dual-stack suffix.
ENDPOINT_TABLE = [
    ("aws", "us-east-1", "{r}.signin.aws.amazon.com", "signin-fips.{r}.amazonaws.com", "api.aws"),
    ("aws", "me-west-1", "{r}.signin.aws.amazon.com", "signin-fips.{r}.amazonaws.com", "api.aws"),
    ("aws", "aws-global", "{r}.signin.aws.amazon.com", "signin-fips.{r}.amazonaws.com", "api.aws"),
    ("aws", "xx-nowhere-1", "{r}.signin.aws.amazon.com", "signin-fips.{r}.amazonaws.com", "api.aws"),
    ("aws", "us-gov-9", "{r}.signin.aws.amazon.com", "signin-fips.{r}.amazonaws.com", "api.aws"),
    (
        "aws-cn",
        "cn-north-1",
        "{r}.signin.amazonaws.cn",
        "signin-fips.{r}.amazonaws.com.cn",
        "api.amazonwebservices.com.cn",
    ),
    (
        "aws-cn",
        "aws-cn-global",
        "{r}.signin.amazonaws.cn",
        "signin-fips.{r}.amazonaws.com.cn",
        "api.amazonwebservices.com.cn",
    ),
    (
        "aws-us-gov",
        "us-gov-west-1",
        "{r}.signin.amazonaws-us-gov.com",
        "signin-fips.amazonaws-us-gov.com",
        "api.aws",
    ),
    (
        "aws-us-gov",
        "us-gov-east-1",
        "{r}.signin.amazonaws-us-gov.com",
        "{r}.signin-fips.amazonaws-us-gov.com",
        "api.aws",
    ),
    ("aws-iso", "us-iso-east-1", "{r}.signin.c2shome.ic.gov", "signin-fips.{r}.c2s.ic.gov", "api.aws.ic.gov"),
    (
        "aws-iso-b",
        "us-isob-east-1",
        "{r}.signin.sc2shome.sgov.gov",
        "signin-fips.{r}.sc2s.sgov.gov",
        "api.aws.scloud",
    ),
    (
        "aws-iso-e",
        "eu-isoe-west-1",
        "{r}.signin.csphome.adc-e.uk",
        "signin-fips.{r}.cloud.adc-e.uk",
        "api.cloud-aws.adc-e.uk",
    ),
    (
        "aws-iso-f",
        "us-isof-south-1",
        "{r}.signin.csphome.hci.ic.gov",
        "signin-fips.{r}.csp.hci.ic.gov",
        "api.aws.hci.ic.gov",
    ),
    (
        "aws-iso-f",
        "us-isof-west-7",
        "{r}.signin.csphome.hci.ic.gov",
        "signin-fips.{r}.csp.hci.ic.gov",
        "api.aws.hci.ic.gov",
    ),
    (
        "aws-eusc",
        "eusc-de-east-1",
        "{r}.signin.amazonaws-eusc.eu",
        "signin-fips.{r}.amazonaws.eu",
        "api.amazonwebservices.eu",
    ),
]
ENDPOINT_COMBOS = [(False, False), (True, False), (False, True), (True, True)]
# Partitions that lack FIPS and/or dual-stack, to reach the rule set's error rules.
ENDPOINT_REDUCED = {"aws-iso": (False, True), "aws-iso-b": (True, False), "aws-cn": (False, False)}


def endpoint_partition_rows(data: dict[str, Any]) -> tuple[tuple[Any, ...], ...]:
    """botocore's partitions.json in the module's row form."""
    rows = []
    for p in data["partitions"]:
        out = p["outputs"]
        extra = tuple(r for r in p["regions"] if not re.match(p["regionRegex"], r))
        rows.append(
            (
                p["id"],
                p["regionRegex"],
                extra,
                out["dnsSuffix"],
                out["dualStackDnsSuffix"],
                out["supportsFIPS"],
                out["supportsDualStack"],
            )
        )
    return tuple(rows)


def endpoint_reduced(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of partitions.json where the ENDPOINT_REDUCED partitions lack FIPS/dual-stack."""
    data = copy.deepcopy(data)
    for p in data["partitions"]:
        if p["id"] in ENDPOINT_REDUCED:
            p["outputs"]["supportsFIPS"], p["outputs"]["supportsDualStack"] = ENDPOINT_REDUCED[p["id"]]
    return data


def endpoint_regions(data: dict[str, Any]) -> list[str]:
    """Every region partitions.json lists, a made-up one per partition regex, and two no regex claims."""
    regions: list[str] = []
    for p in data["partitions"]:
        listed = list(p["regions"])
        regions += listed
        made_up = re.sub(r"\d+$", "97", next(r for r in listed if re.match(p["regionRegex"], r)))
        assert re.match(p["regionRegex"], made_up) and made_up not in listed
        regions.append(made_up)
    return [*regions, "xx-nowhere-1", "zz9"]


def endpoint_ours(region: str, fips: bool, dual: bool) -> str:
    """Our URL with today's defaults (CreateOAuth2Token), or ``"error: <field>: <rule>"``."""
    try:
        return st.resolve_endpoint(region, use_fips=fips, use_dualstack=dual, environ={})
    except st.ParamValidationError as exc:
        return f"error: {exc.field}: {exc.rule}"


ENDPOINT_SOURCES = ["endpoint_url", "AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL"]


# Endpoint URLs refused: hosts IDNA cannot encode (id -> URL), text that is not UTF-8,
# and what is not printable ASCII or has a bad port.
ENDPOINT_HOSTS_IDNA_REFUSES = {
    "empty-label": "https://a..example.com",
    "leading-dot": "https://.example.com",
    "label-64": "https://" + "a" * 64 + ".example.com",
    "idn-label-too-long": "https://" + "\u00e9" * 60 + ".example.com",
    "private-use": "https://\ue000.example.com",
    "lrm": "https://\u200e.example.com",
    "bidi": "https://\u06270a.example.com",
}
ENDPOINT_URLS_NOT_UTF8 = [
    "https://exa\udcffmple.com",
    "https://example.com/\udcff",
    "http://127.0.0.1:9/\udc80",
    "https://example.com/\ud800x",
]
ENDPOINT_URLS_NOT_ASCII_OR_BAD_PORT = [
    "https://example.com/caf\u00e9",
    "http://127.0.0.1:9/caf\u00e9",
    "https://example.com/a\x00b",
    "https://example.com/a\x7fb",
    "http://127.0.0.1/a\x01",
    "https://example.com:\u0661\u0662",
    "http://127.0.0.1:\u00b2",
    "https://example.com:65536",
    "https://exa_mple.com",
    "https://exa\x00mple.com",
]


def endpoint_cases(urls: list[str] | dict[str, str]) -> list[Any]:
    """``(source, url)`` for every endpoint source and url, source first in the id (a dict
    maps ids to urls)."""
    named = list(urls.items()) if isinstance(urls, dict) else [(None, url) for url in urls]
    return [
        pytest.param(source, url, id=None if name is None else f"{source}-{name}")
        for source in ENDPOINT_SOURCES
        for name, url in named
    ]


def endpoint_resolve_via(source: str, url: str) -> str:
    if source == "endpoint_url":
        return st.resolve_endpoint("us-east-1", endpoint_url=url, environ={})
    return st.resolve_endpoint("us-east-1", environ={source: url})


def endpoint_refused_via(source: str, url: str) -> st.ParamValidationError:
    """The ParamValidationError ``url`` gets from ``source``; it names ``source``."""
    with pytest.raises(st.ParamValidationError) as info:
        endpoint_resolve_via(source, url)
    assert info.value.field == source
    return info.value


def run_cli_exit_2(args: list[str | bytes], env: Mapping[Any, Any]) -> subprocess.CompletedProcess[bytes]:
    """``python -m signin_token ARGS`` as a real process, ``args`` or ``env`` holding bytes
    (text that is not UTF-8): it exits 2."""
    proc = subprocess.run(
        [sys.executable, "-m", "signin_token", *args],
        env=env,
        capture_output=True,
        timeout=60,
        cwd=str(HERE),
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    return proc


class TestEndpoints:
    """Endpoint resolution (PROTOCOL.md §1): partitions, FIPS, dual-stack, overrides, loopback-only http."""

    @pytest.mark.parametrize(
        ("region", "fips", "dual", "url"),
        [
            ("us-east-1", False, False, "https://us-east-1.signin.aws.amazon.com"),
            ("eu-west-1", False, False, "https://eu-west-1.signin.aws.amazon.com"),
            ("ap-southeast-2", False, False, "https://ap-southeast-2.signin.aws.amazon.com"),
            ("cn-north-1", False, False, "https://cn-north-1.signin.amazonaws.cn"),
            ("cn-northwest-1", False, False, "https://cn-northwest-1.signin.amazonaws.cn"),
            ("us-gov-west-1", False, False, "https://us-gov-west-1.signin.amazonaws-us-gov.com"),
            ("us-east-1", True, False, "https://signin-fips.us-east-1.amazonaws.com"),
            ("cn-north-1", True, False, "https://signin-fips.cn-north-1.amazonaws.com.cn"),
            ("us-gov-west-1", True, False, "https://signin-fips.amazonaws-us-gov.com"),  # its own rule
            ("us-east-1", False, True, "https://signin.us-east-1.api.aws"),
            ("cn-north-1", False, True, "https://signin.cn-north-1.api.amazonwebservices.com.cn"),
            ("us-east-1", True, True, "https://signin-fips.us-east-1.api.aws"),
        ],
    )
    def test_region(self, region: str, fips: bool, dual: bool, url: str) -> None:
        assert st.resolve_endpoint(region, use_fips=fips, use_dualstack=dual, environ={}) == url

    @pytest.mark.parametrize(
        ("endpoint_url", "environ", "url"),
        [
            (
                "https://explicit.example.com",
                {
                    "AWS_ENDPOINT_URL_SIGNIN": "https://svc.example.com",
                    "AWS_ENDPOINT_URL": "https://all.example.com",
                },
                "https://explicit.example.com",
            ),
            (
                None,
                {
                    "AWS_ENDPOINT_URL_SIGNIN": "https://svc.example.com",
                    "AWS_ENDPOINT_URL": "https://all.example.com",
                },
                "https://svc.example.com",
            ),
            (None, {"AWS_ENDPOINT_URL": "https://all.example.com"}, "https://all.example.com"),
            (
                None,
                {"AWS_ENDPOINT_URL_SIGNIN": "", "AWS_ENDPOINT_URL": "https://all.example.com"},
                "https://all.example.com",
            ),
            (None, {"AWS_ENDPOINT_URL_SIGNIN": ""}, "https://eu-west-1.signin.aws.amazon.com"),
            ("https://proxy.example.com:8443/signin/", {}, "https://proxy.example.com:8443/signin"),
        ],
    )
    def test_overrides(self, endpoint_url: str | None, environ: dict[str, str], url: str) -> None:
        assert st.resolve_endpoint("eu-west-1", endpoint_url=endpoint_url, environ=environ) == url

    def test_override_needs_no_region(self) -> None:
        assert (
            st.resolve_endpoint(None, environ={"AWS_ENDPOINT_URL": "https://x.example"})
            == "https://x.example"
        )

    @pytest.mark.parametrize("region", [None, ""])
    def test_missing_region(self, region: str | None) -> None:
        with pytest.raises(st.ParamValidationError) as info:
            st.resolve_endpoint(region, environ={})
        assert "Missing Region" in str(info.value)

    @pytest.mark.parametrize(
        "region",
        [
            "US-EAST-1",
            "us_east_1",
            "-us-east-1",
            "us-east-1-",
            "us-east-1.evil.com",
            "us-east-1/",
            "us-east-1 ",
            "evil.com#",
            "a" * 64,
            "us-east-1\n",
        ],
    )
    def test_malformed_region(self, region: str) -> None:
        with pytest.raises(st.ParamValidationError) as info:
            st.resolve_endpoint(region, environ={})
        assert info.value.field == "region"

    def test_region_type(self) -> None:
        with pytest.raises(TypeError):
            st.resolve_endpoint(1, environ={})  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1",
            "http://127.0.0.1:8080",
            "http://127.1.2.3:1/base",
            "http://[::1]:9000",
            "http://localhost:1234",
            "https://example.com",
            "https://signin.example.com:8443/prefix",
        ],
    )
    def test_url_accepted(self, url: str) -> None:
        assert st.resolve_endpoint(None, endpoint_url=url, environ={}) == url

    @pytest.mark.parametrize(
        "url",
        [
            "http://example.com",
            "http://10.0.0.1",
            "http://127.0.0.1.evil.com",
            "http://localhost.evil.com",
            "http://user@127.0.0.1",
            "http://128.0.0.1",
            "ftp://127.0.0.1",
            "file:///etc/passwd",
            "127.0.0.1:8080",
            "https://example.com/path?query=1",
            "https://example.com/#frag",
            "https://exa mple.com",
            "http://127.0.0.1/a?b",
        ],
    )
    @pytest.mark.parametrize("via", ["endpoint_url", "AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL"])
    def test_url_refused(self, url: str, via: str) -> None:
        kwargs: dict[str, Any] = {"environ": {}}
        if via == "endpoint_url":
            kwargs["endpoint_url"] = url
        else:
            kwargs["environ"] = {via: url}
        with pytest.raises(st.ParamValidationError) as info:
            st.resolve_endpoint("us-east-1", **kwargs)
        assert info.value.field == via

    @pytest.mark.parametrize("url", ["http://127.999.999.999", "http://127.0.0.256:8080"])
    def test_http_to_non_address_127_name_refused(self, url: str) -> None:
        """Not an address in 127.0.0.0/8: a host name that DNS could point anywhere."""
        with pytest.raises(st.ParamValidationError):
            st.resolve_endpoint(None, endpoint_url=url, environ={})

    def test_client_uses_resolution(self) -> None:
        client = st.SigninClient("cn-north-1", environ={})
        assert client.endpoint == "https://cn-north-1.signin.amazonaws.cn"
        assert client.token_url == "https://cn-north-1.signin.amazonaws.cn/v1/token"
        with pytest.raises(st.ParamValidationError):
            st.SigninClient(None, environ={})


class TestEndpointPartitions:
    """Every partition of botocore's data/partitions.json and the service's endpoint rule set
    (data/signin/2023-01-01/endpoint-rule-set-1.json), CreateOAuth2Token's rules (PROTOCOL.md §1, §13)."""

    @pytest.mark.parametrize(("partition", "region", "plain", "fips", "dual"), ENDPOINT_TABLE)
    @pytest.mark.parametrize(("use_fips", "use_dual"), ENDPOINT_COMBOS)
    def test_table(
        self, partition: str, region: str, plain: str, fips: str, dual: str, use_fips: bool, use_dual: bool
    ) -> None:
        if use_fips and use_dual:
            host = f"signin-fips.{region}.{dual}"
        elif use_fips:
            host = fips.format(r=region)
        elif use_dual:
            host = f"signin.{region}.{dual}"
        else:
            host = plain.format(r=region)
        got = st.resolve_endpoint(region, use_fips=use_fips, use_dualstack=use_dual, environ={})
        assert got == f"https://{host}"

    def test_every_partition_is_known(self) -> None:
        assert [p[0] for p in st._PARTITIONS] == [
            "aws",
            "aws-cn",
            "aws-eusc",
            "aws-iso",
            "aws-iso-b",
            "aws-iso-e",
            "aws-iso-f",
            "aws-us-gov",
        ]
        assert {row[0] for row in ENDPOINT_TABLE} == {p[0] for p in st._PARTITIONS}

    @pytest.mark.parametrize(
        ("region", "fips", "dual", "field", "rule"),
        [
            (
                "us-iso-east-1",
                True,
                False,
                "use_fips",
                "FIPS is enabled but this partition does not support FIPS",
            ),
            ("us-iso-east-1", True, True, "use_fips", "FIPS and DualStack are enabled, but this partition"),
            (
                "us-isob-east-1",
                False,
                True,
                "use_dualstack",
                "DualStack is enabled but this partition does not",
            ),
            (
                "us-isob-east-1",
                True,
                True,
                "use_dualstack",
                "FIPS and DualStack are enabled, but this partition",
            ),
            (
                "cn-north-1",
                True,
                False,
                "use_fips",
                "FIPS is enabled but this partition does not support FIPS",
            ),
            ("cn-north-1", False, True, "use_dualstack", "DualStack is enabled but this partition does not"),
        ],
    )
    def test_unsupported_variant_names_setting_and_rule(
        self, region: str, fips: bool, dual: bool, field: str, rule: str
    ) -> None:
        rows = tuple(
            (*p[:5], *ENDPOINT_REDUCED[p[0]]) if p[0] in ENDPOINT_REDUCED else p for p in st._PARTITIONS
        )
        with pytest.raises(st.ParamValidationError) as info:
            st._rule_set_endpoint(region, fips, dual, rows)
        assert info.value.field == field
        assert rule in info.value.rule and "rule set" in info.value.rule
        assert st._rule_set_endpoint(region, False, False, rows) == st.resolve_endpoint(region, environ={})

    @pytest.mark.parametrize("region", ["US-EAST-1", "us-east-1.evil.com", "us-east-1\n", "a" * 64, "x]\n[y"])
    def test_region_checked_before_anything_else(self, region: str) -> None:
        for kwargs in (
            {},
            {"endpoint_url": "https://x.example"},
            {"environ": {"AWS_ENDPOINT_URL": "https://x.example"}},
        ):
            with pytest.raises(st.ParamValidationError) as info:
                st.resolve_endpoint(region, **{"environ": {}, **kwargs})
            assert info.value.field == "region"

    def test_endpoint_url_wins_over_fips_and_dualstack(self) -> None:
        """As in botocore, a configured endpoint turns FIPS and dual-stack off."""
        for fips, dual in ENDPOINT_COMBOS:
            got = st.resolve_endpoint(
                "us-iso-east-1",
                endpoint_url="https://x.example",
                use_fips=fips,
                use_dualstack=dual,
                environ={},
            )
            assert got == "https://x.example"


class TestEndpointUrlEncoding:
    """An endpoint URL that cannot go on the wire (a host IDNA cannot encode, text that is
    not UTF-8, non-ASCII or control characters) is a ParamValidationError naming the
    setting, never a UnicodeError later (RFC 3490 §4.1 label lengths, RFC 3986 §2)."""

    @pytest.mark.parametrize(("source", "url"), endpoint_cases(ENDPOINT_HOSTS_IDNA_REFUSES))
    def test_host_idna_cannot_encode(self, source: str, url: str) -> None:
        assert "DNS name" in endpoint_refused_via(source, url).rule

    @pytest.mark.parametrize(("source", "url"), endpoint_cases(ENDPOINT_URLS_NOT_UTF8))
    def test_not_utf8(self, source: str, url: str) -> None:
        assert "UTF-8" in endpoint_refused_via(source, url).rule

    @pytest.mark.parametrize(("source", "url"), endpoint_cases(ENDPOINT_URLS_NOT_ASCII_OR_BAD_PORT))
    def test_not_printable_ascii_or_bad_port(self, source: str, url: str) -> None:
        endpoint_refused_via(source, url)

    @pytest.mark.parametrize(
        ("url", "sent"),
        [
            ("https://b\u00fccher.example/x", "https://xn--bcher-kva.example/x"),
            ("https://B\u00dcCHER.example:8443", "https://xn--bcher-kva.example:8443"),
            ("https://example.com.", "https://example.com."),
            ("https://" + "a" * 63 + ".example.com/", "https://" + "a" * 63 + ".example.com"),
            ("https://example.com:65535/p%C3%A9", "https://example.com:65535/p%C3%A9"),
        ],
    )
    def test_encodable_host_is_sent_in_ascii(self, url: str, sent: str) -> None:
        assert st.resolve_endpoint(None, endpoint_url=url, environ={}) == sent
        authorize = st.authorization_url(code_challenge="c", state="s", endpoint_url=url, remote=True)
        origin = "/".join(sent.split("/")[:3])
        assert authorize.startswith(origin + "/v1/authorize?") and authorize.isascii()
        assert url_query(authorize)["redirect_uri"] == origin + "/v1/sessions/confirmation"

    def test_cli_endpoint_url_not_utf8_is_exit_2(self, aws_env: dict[str, str]) -> None:
        args = ["login", "--no-browser", "--callback-timeout", "5", "--region", "us-east-1"]
        proc = run_cli_exit_2([*args, "--endpoint-url", b"https://sign\xffin.example.com"], aws_env)
        err = proc.stderr.decode("utf-8", "replace")
        assert "--endpoint-url" in err and "UTF-8" in err and "Traceback" not in err
        assert b"\xff" not in proc.stderr and proc.stdout == b""
        assert list(Path(aws_env["HOME"]).iterdir()) == []

    @pytest.mark.parametrize("source", ["AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL"])
    def test_cli_environment_not_utf8_is_exit_2_and_nothing_written(
        self, fake: FakeSignin, aws_env: dict[str, str], source: str
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        before = {p: p.read_bytes() for p in (path, Path(aws_env["AWS_CONFIG_FILE"]))}
        env: dict[bytes, bytes] = {os.fsencode(k): os.fsencode(v) for k, v in aws_env.items()}
        env.pop(b"AWS_ENDPOINT_URL_SIGNIN", None)
        env[source.encode()] = b"http://127.0.0.1:" + str(fake.port).encode() + b"/\xfe"
        proc = run_cli_exit_2(["credentials"], env)
        err = proc.stderr.decode("utf-8", "replace")
        assert source in err and "UTF-8" in err and "Traceback" not in err
        assert proc.stdout == b"" and fake.token_calls() == []
        assert {p: p.read_bytes() for p in before} == before


class TestEndpointSelectionOrder:
    """Where the token call goes: --endpoint-url, then $AWS_ENDPOINT_URL_SIGNIN, then
    $AWS_ENDPOINT_URL (PROTOCOL.md §1); a dead endpoint earlier in the order would fail."""

    @pytest.mark.parametrize(
        ("variables", "flag"),
        [
            ({"AWS_ENDPOINT_URL_SIGNIN": "http://127.0.0.1:9"}, True),
            ({"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, "signin"),
            ({"AWS_ENDPOINT_URL": "fake"}, False),
        ],
    )
    def test_endpoint_order(
        self, fake: FakeSignin, aws_env: dict[str, str], variables: dict[str, str], flag: bool | str
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600)
        env = {k: v for k, v in aws_env.items() if k != "AWS_ENDPOINT_URL_SIGNIN"}
        env.update({k: fake.url if v == "fake" else v for k, v in variables.items()})
        if flag == "signin":
            env["AWS_ENDPOINT_URL_SIGNIN"] = fake.url
        args = ["refresh", "--force", "--timeout", "10"]
        if flag is True:
            args += ["--endpoint-url", fake.url]
        result = run_cli(args, env)
        assert result.returncode == 0, result.stderr
        assert len(fake.token_calls("refresh_token")) == 1
        assert json.loads(path.read_text())["accessToken"]["accessKeyId"] != "ASIAOLD"


# The rule set's answers, derived once from the pinned data (../shared/signin-2023-01-01) and
# checked against it when it is present: every region partitions.json lists, by partition ...
ENDPOINT_PINNED_REGIONS = {
    "aws": "af-south-1 ap-east-1 ap-east-2 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-south-1"
    " ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5"
    " ap-southeast-6 ap-southeast-7 aws-global ca-central-1 ca-west-1 eu-central-1 eu-central-2"
    " eu-north-1 eu-south-1 eu-south-2 eu-west-1 eu-west-2 eu-west-3 il-central-1 me-central-1"
    " me-south-1 me-west-1 mx-central-1 sa-east-1 sa-west-1 us-east-1 us-east-2 us-west-1 us-west-2",
    "aws-cn": "aws-cn-global cn-north-1 cn-northwest-1",
    "aws-eusc": "eusc-de-east-1",
    "aws-iso": "aws-iso-global us-iso-east-1 us-iso-west-1",
    "aws-iso-b": "aws-iso-b-global us-isob-east-1 us-isob-west-1",
    "aws-iso-e": "aws-iso-e-global eu-isoe-west-1",
    "aws-iso-f": "aws-iso-f-global us-isof-east-1 us-isof-south-1",
    "aws-us-gov": "aws-us-gov-global us-gov-east-1 us-gov-west-1",
}
# ... a made-up region its regex claims (the first it matches, last number 97; endpoint_regions) ...
ENDPOINT_MADE_UP = {
    "aws": "af-south-97",
    "aws-cn": "cn-north-97",
    "aws-eusc": "eusc-de-east-97",
    "aws-iso": "us-iso-east-97",
    "aws-iso-b": "us-isob-east-97",
    "aws-iso-e": "eu-isoe-west-97",
    "aws-iso-f": "us-isof-east-97",
    "aws-us-gov": "us-gov-east-97",
}
# ... and the host per family and setting: the sign-in hosts without FIPS and dual-stack, FIPS,
# dual-stack, both; the OAuth family without FIPS, with dual-stack (with FIPS: ENDPOINT_OAUTH_FIPS);
# the control plane (any setting).  "{r}" is the region.
ENDPOINT_EXPECTED = {
    "aws": (
        "{r}.signin.aws.amazon.com",
        "signin-fips.{r}.amazonaws.com",
        "signin.{r}.api.aws",
        "signin-fips.{r}.api.aws",
        "{r}.oauth.signin.aws",
        "{r}.oauth.signin.aws",
        "signin.{r}.api.aws",
    ),
    "aws-cn": (
        "{r}.signin.amazonaws.cn",
        "signin-fips.{r}.amazonaws.com.cn",
        "signin.{r}.api.amazonwebservices.com.cn",
        "signin-fips.{r}.api.amazonwebservices.com.cn",
        "{r}.signin.amazonaws.cn",
        "signin.{r}.api.amazonwebservices.com.cn",
        "signin.{r}.api.amazonwebservices.com.cn",
    ),
    "aws-eusc": (
        "{r}.signin.amazonaws-eusc.eu",
        "signin-fips.{r}.amazonaws.eu",
        "signin.{r}.api.amazonwebservices.eu",
        "signin-fips.{r}.api.amazonwebservices.eu",
        "{r}.signin.amazonaws-eusc.eu",
        "signin.{r}.api.amazonwebservices.eu",
        "signin.{r}.api.amazonwebservices.eu",
    ),
    "aws-iso": (
        "{r}.signin.c2shome.ic.gov",
        "signin-fips.{r}.c2s.ic.gov",
        "signin.{r}.api.aws.ic.gov",
        "signin-fips.{r}.api.aws.ic.gov",
        "{r}.signin.c2shome.ic.gov",
        "signin.{r}.api.aws.ic.gov",
        "signin.{r}.api.aws.ic.gov",
    ),
    "aws-iso-b": (
        "{r}.signin.sc2shome.sgov.gov",
        "signin-fips.{r}.sc2s.sgov.gov",
        "signin.{r}.api.aws.scloud",
        "signin-fips.{r}.api.aws.scloud",
        "{r}.signin.sc2shome.sgov.gov",
        "signin.{r}.api.aws.scloud",
        "signin.{r}.api.aws.scloud",
    ),
    "aws-iso-e": (
        "{r}.signin.csphome.adc-e.uk",
        "signin-fips.{r}.cloud.adc-e.uk",
        "signin.{r}.api.cloud-aws.adc-e.uk",
        "signin-fips.{r}.api.cloud-aws.adc-e.uk",
        "{r}.signin.csphome.adc-e.uk",
        "signin.{r}.api.cloud-aws.adc-e.uk",
        "signin.{r}.api.cloud-aws.adc-e.uk",
    ),
    "aws-iso-f": (
        "{r}.signin.csphome.hci.ic.gov",
        "signin-fips.{r}.csp.hci.ic.gov",
        "signin.{r}.api.aws.hci.ic.gov",
        "signin-fips.{r}.api.aws.hci.ic.gov",
        "{r}.signin.csphome.hci.ic.gov",
        "signin.{r}.api.aws.hci.ic.gov",
        "signin.{r}.api.aws.hci.ic.gov",
    ),
    "aws-us-gov": (
        "{r}.signin.amazonaws-us-gov.com",
        "{r}.signin-fips.amazonaws-us-gov.com",
        "signin.{r}.api.aws",
        "signin-fips.{r}.api.aws",
        "{r}.signin.amazonaws-us-gov.com",
        "signin.{r}.api.aws",
        "signin.{r}.api.aws",
    ),
}
ENDPOINT_FIPS_REGION_HOSTS = {"us-gov-west-1": "signin-fips.amazonaws-us-gov.com"}  # its own rule
ENDPOINT_OAUTH_FIPS = (
    "error: FIPS endpoints are not supported for OAuth operations. Disable FIPS or use a non-OAuth operation."
)
ENDPOINT_MISSING_REGION = "error: Invalid Configuration: Missing Region"
# The operation families: the model's static context parameters (service-2.json staticContextParams).
ENDPOINT_FAMILIES = {
    "signin": {"IsControlPlane": False},
    "oauth": {"IsOAuthEndpoint": True},
    "control": {"IsControlPlane": True},
}


def endpoint_family_kwargs(family: str) -> dict[str, bool | None]:
    """resolve_endpoint's keywords for a family."""
    params = ENDPOINT_FAMILIES[family]
    return {
        "is_control_plane": params.get("IsControlPlane"),
        "is_oauth_endpoint": params.get("IsOAuthEndpoint"),
    }


def endpoint_table_regions() -> dict[str, str]:
    """region -> partition: every listed region, a made-up one per partition, two no regex claims."""
    regions = {r: p for p, listed in ENDPOINT_PINNED_REGIONS.items() for r in listed.split()}
    regions.update({r: p for p, r in ENDPOINT_MADE_UP.items()})
    return {**regions, "xx-nowhere-1": "aws", "zz9": "aws"}


def endpoint_from_table(region: str | None, family: str, fips: bool, dual: bool) -> str:
    """The expected URL (or ``"error: ..."``) from the compact tables above."""
    if region is None:
        return ENDPOINT_OAUTH_FIPS if family == "oauth" and fips else ENDPOINT_MISSING_REGION
    row = ENDPOINT_EXPECTED[endpoint_table_regions()[region]]
    if family == "control":
        host = row[6]
    elif family == "oauth" and fips:
        return ENDPOINT_OAUTH_FIPS
    elif family == "oauth" and row[4] != row[0]:  # aws: the OAuth host
        host = row[5 if dual else 4]
    elif fips and not dual and region in ENDPOINT_FIPS_REGION_HOSTS:
        host = ENDPOINT_FIPS_REGION_HOSTS[region]
    else:
        host = row[ENDPOINT_COMBOS.index((fips, dual))]
    return "https://" + host.format(r=region)


class RuleSetEvaluator:
    """An independent evaluator of a Smithy endpoint rule set: the conditions signin's uses
    (isSet, not, booleanEquals, stringEquals, getAttr, aws.partition), tree, endpoint and
    error rules, and ``{Name}`` / ``{Name#attr}`` templates, over a partitions.json."""

    TEMPLATE = re.compile(r"\{([A-Za-z]+)(?:#([A-Za-z]+))?\}")

    def __init__(self, ruleset: dict[str, Any], partitions: dict[str, Any]) -> None:
        self.ruleset = ruleset
        self.partitions = partitions["partitions"]

    def resolve(self, **params: Any) -> str:
        """The endpoint URL, or ``"error: <the rule's message>"``."""
        scope = {name: spec.get("default") for name, spec in self.ruleset["parameters"].items()}
        scope.update({k: v for k, v in params.items() if v is not None})
        outcome = self.rules(self.ruleset["rules"], scope)
        assert outcome is not None, f"no rule matched {params}"
        return outcome

    def rules(self, rules: list[dict[str, Any]], scope: dict[str, Any]) -> str | None:
        """The first matching rule's outcome (a tree whose rules all fail matches nothing)."""
        for rule in rules:
            local = dict(scope)
            if not all(self.condition(c, local) for c in rule.get("conditions", [])):
                continue
            if rule["type"] == "tree":
                outcome = self.rules(rule["rules"], local)
                if outcome is not None:
                    return outcome
            elif rule["type"] == "endpoint":
                return str(self.value(rule["endpoint"]["url"], local))
            else:
                assert rule["type"] == "error", rule["type"]
                return "error: " + str(self.value(rule["error"], local))
        return None

    def condition(self, cond: dict[str, Any], scope: dict[str, Any]) -> bool:
        """True unless the function gives None or False; a true one binds its ``assign``."""
        value = self.value(cond, scope)
        if value is None or value is False:
            return False
        if "assign" in cond:
            scope[cond["assign"]] = value
        return True

    def value(self, node: Any, scope: dict[str, Any]) -> Any:
        """A literal (templates expanded), a reference or a function call."""
        if isinstance(node, bool):
            return node
        if isinstance(node, str):
            return self.TEMPLATE.sub(lambda m: str(self.attr(scope[m[1]], m[2])), node)
        if "ref" in node:
            return scope.get(node["ref"])
        fn, args = node["fn"], [self.value(a, scope) for a in node["argv"]]
        if fn == "isSet":
            return args[0] is not None
        if fn == "not":
            return not args[0]
        if fn in ("booleanEquals", "stringEquals"):
            return args[0] == args[1]
        if fn == "getAttr":
            return self.attr(args[0], args[1])
        assert fn == "aws.partition", fn
        return self.partition(args[0])

    @staticmethod
    def attr(value: Any, path: str | None) -> Any:
        """``value``'s attribute at a dotted ``path`` (None: the value itself)."""
        for part in path.split(".") if path else ():
            value = value[part]
        return value

    def partition(self, region: str) -> dict[str, Any]:
        """The first partition listing ``region`` or whose regex matches it, else the first."""
        for p in self.partitions:
            if region in p["regions"] or re.match(p["regionRegex"], region):
                return {**p["outputs"], "name": p["id"]}
        return {**self.partitions[0]["outputs"], "name": self.partitions[0]["id"]}


def endpoint_pinned_evaluator(partitions: dict[str, Any] | None = None) -> RuleSetEvaluator | None:
    """The evaluator over the pinned rule set (and pinned or given partitions), None without the data."""
    ruleset, pinned = pinned_json("endpoint-rule-set-1.json"), pinned_json("partitions.json")
    if ruleset is None or pinned is None:
        return None
    return RuleSetEvaluator(ruleset, partitions or pinned)


def endpoint_ours_family(
    region: str | None, family: str, fips: bool, dual: bool, partitions: Any = None
) -> str:
    """Our URL for a family, or ``"error: <field>: <rule>"``."""
    kwargs = endpoint_family_kwargs(family)
    try:
        if partitions is None:
            return st.resolve_endpoint(region, use_fips=fips, use_dualstack=dual, environ={}, **kwargs)
        assert region is not None
        return st._rule_set_endpoint(
            region,
            fips,
            dual,
            partitions,
            is_control_plane=bool(kwargs["is_control_plane"]),
            is_oauth_endpoint=bool(kwargs["is_oauth_endpoint"]),
        )
    except st.ParamValidationError as exc:
        return f"error: {exc.field}: {exc.rule}"


def endpoint_matches(ours: str, expected: str) -> bool:
    """Equal URLs, or both errors with the rule's message inside ours, naming a setting."""
    if expected.startswith("error: ") and ours.startswith("error: "):
        field, _, rule = ours[7:].partition(": ")
        setting = "region" if "Missing Region" in expected else ("use_fips", "use_dualstack")
        return expected.split(": ", 1)[1].split(": ")[-1] in rule and field in setting
    return ours == expected


class TestEndpointRuleSet:
    """Every operation family (sign-in hosts, OAuth, control plane) in every region of every
    partition, with every FIPS/dual-stack setting, as the pinned rule set gives it (an
    independent evaluator over ../shared/signin-2023-01-01; the compact tables without it)."""

    def test_tables_are_the_pinned_data(self) -> None:
        evaluator = endpoint_pinned_evaluator()
        partitions, model = pinned_json("partitions.json"), pinned_json("service-2.json")
        if evaluator is None or partitions is None or model is None:
            pytest.skip(f"no pinned data in {PINNED_DIR}: the compact tables stand in for it")
        assert {p["id"]: " ".join(p["regions"]) for p in partitions["partitions"]} == ENDPOINT_PINNED_REGIONS
        made_up = [r for r in endpoint_regions(partitions) if r not in endpoint_table_regions()]
        assert made_up == []
        assert endpoint_partition_rows(partitions) == st._PARTITIONS
        families = {json.dumps(op.get("staticContextParams")) for op in model["operations"].values()}
        wanted = {json.dumps({k: {"value": v} for k, v in f.items()}) for f in ENDPOINT_FAMILIES.values()}
        assert families == wanted
        checked = 0
        for region in [*endpoint_table_regions(), None]:
            for family, params in ENDPOINT_FAMILIES.items():
                for fips, dual in ENDPOINT_COMBOS:
                    got = evaluator.resolve(Region=region, UseFIPS=fips, UseDualStack=dual, **params)
                    assert got == endpoint_from_table(region, family, fips, dual), (
                        region,
                        family,
                        fips,
                        dual,
                    )
                    checked += 1
        assert checked == (len(endpoint_table_regions()) + 1) * 3 * 4

    def test_every_region_family_and_setting(self) -> None:
        evaluator = endpoint_pinned_evaluator()
        mismatches, errors = [], 0
        for region in [*endpoint_table_regions(), None]:
            for family, params in ENDPOINT_FAMILIES.items():
                for fips, dual in ENDPOINT_COMBOS:
                    if evaluator is None:
                        expected = endpoint_from_table(region, family, fips, dual)
                    else:
                        expected = evaluator.resolve(Region=region, UseFIPS=fips, UseDualStack=dual, **params)
                    errors += expected.startswith("error: ")
                    ours = endpoint_ours_family(region, family, fips, dual)
                    if not endpoint_matches(ours, expected):
                        mismatches.append((region, family, fips, dual, ours, expected))
        assert mismatches == []
        assert errors == len(endpoint_table_regions()) * 2 + 3 * 4  # OAuth with FIPS; no region

    def test_error_rules_of_partitions_without_fips_or_dualstack(self) -> None:
        evaluator = endpoint_pinned_evaluator()
        partitions = pinned_json("partitions.json")
        if evaluator is None or partitions is None:
            pytest.skip(f"no pinned data in {PINNED_DIR}: TestEndpointPartitions checks these rules by hand")
        reduced = endpoint_reduced(partitions)
        evaluator, rows = endpoint_pinned_evaluator(reduced), endpoint_partition_rows(reduced)
        assert evaluator is not None
        mismatches, errors = [], 0
        for region in endpoint_regions(reduced):
            for family, params in ENDPOINT_FAMILIES.items():
                for fips, dual in ENDPOINT_COMBOS:
                    expected = evaluator.resolve(Region=region, UseFIPS=fips, UseDualStack=dual, **params)
                    errors += expected.startswith("error: ") and "OAuth" not in expected
                    ours = endpoint_ours_family(region, family, fips, dual, rows)
                    if not endpoint_matches(ours, expected):
                        mismatches.append((region, family, fips, dual, ours, expected))
        assert mismatches == []
        assert errors >= 20  # the partitions' error rules were really reached

    @pytest.mark.parametrize("family", sorted(ENDPOINT_FAMILIES))
    @pytest.mark.parametrize("source", ENDPOINT_SOURCES)
    def test_overrides_apply_to_every_family(self, family: str, source: str) -> None:
        """Even the control plane, whose rules the rule set evaluates before Endpoint."""
        url = "https://signin.internal.example:8443/base"
        kwargs: dict[str, Any] = {"environ": {}}
        if source == "endpoint_url":
            kwargs["endpoint_url"] = url
        else:
            kwargs["environ"] = {source: url}
        for fips, dual in ENDPOINT_COMBOS:
            got = st.resolve_endpoint(
                "us-east-1", use_fips=fips, use_dualstack=dual, **kwargs, **endpoint_family_kwargs(family)
            )
            assert got == url

    def test_oauth_fips_names_the_setting(self) -> None:
        for region in ("us-east-1", "cn-north-1", None):
            with pytest.raises(st.ParamValidationError) as info:
                st.resolve_endpoint(region, use_fips=True, is_oauth_endpoint=True, environ={})
            assert info.value.field == "use_fips"
            assert "not supported for OAuth operations" in info.value.rule

    @pytest.mark.parametrize("name", ["is_control_plane", "is_oauth_endpoint"])
    def test_family_flags_are_booleans(self, name: str) -> None:
        with pytest.raises(TypeError) as info:
            st.resolve_endpoint("us-east-1", environ={}, **{name: "true"})
        assert name in str(info.value)

    def test_defaults_are_create_oauth2_tokens(self) -> None:
        for region in endpoint_table_regions():
            for fips, dual in ENDPOINT_COMBOS:
                assert endpoint_ours_family(region, "signin", fips, dual) == endpoint_ours(region, fips, dual)


class TestEndpointBotocore:
    """Peer test: botocore's live resolver (its own rule set and partitions, a real client's
    settings) gives every family, region and setting our URL; botocore >= the pinned 1.44.8."""

    def test_every_family_region_and_setting_as_botocore(self) -> None:
        if importlib.util.find_spec("botocore") is None:
            pytest.skip("botocore is not importable (peer test)")
        import botocore
        import botocore.session
        from botocore.config import Config
        from botocore.exceptions import EndpointResolutionError
        from botocore.regions import EndpointRulesetResolver

        version = tuple(int(x) for x in re.findall(r"\d+", botocore.__version__)[:3])
        if version < PINNED_BOTOCORE:
            pytest.skip(
                f"botocore {botocore.__version__} is installed; this peer test needs botocore >= "
                f"{'.'.join(map(str, PINNED_BOTOCORE))}, the version of the pinned data"
            )
        session = botocore.session.Session()
        loader = session.get_component("data_loader")
        ruleset = loader.load_service_model("signin", "endpoint-rule-set-1")
        partitions = loader.load_data("partitions")
        model = session.get_service_model("signin")
        operations = {
            "signin": model.operation_model("CreateOAuth2Token"),
            "oauth": model.operation_model("CreateOAuth2TokenWithIAM"),
            "control": model.operation_model("ListSessions"),
        }

        def theirs(region: str | None, family: str, fips: bool, dual: bool) -> str:
            builtins = {"AWS::Region": region, "AWS::UseFIPS": fips, "AWS::UseDualStack": dual}
            resolver = EndpointRulesetResolver(
                ruleset,
                copy.deepcopy(partitions),
                model,
                {**builtins, "SDK::Endpoint": None},
                {},
                session.get_component("event_emitter"),
            )
            try:
                return str(resolver.construct_endpoint(operations[family], {}, {}).url)
            except EndpointResolutionError as exc:
                return f"error: {exc}"

        mismatches = []
        regions = [*endpoint_regions(partitions), None]
        for region in regions:
            for family in ENDPOINT_FAMILIES:
                for fips, dual in ENDPOINT_COMBOS:
                    ours, expected = (
                        endpoint_ours_family(region, family, fips, dual),
                        theirs(region, family, fips, dual),
                    )
                    if not endpoint_matches(ours, expected):
                        mismatches.append((region, family, fips, dual, ours, expected))
        assert mismatches == []
        assert len(regions) >= 60
        for region in ("us-east-1", "cn-north-1", "us-gov-west-1", "eusc-de-east-1"):
            for fips, dual in ENDPOINT_COMBOS:
                client = session.create_client(
                    "signin",
                    region_name=region,
                    aws_access_key_id="AKIDEXAMPLE",
                    aws_secret_access_key="dummy",
                    config=Config(use_fips_endpoint=fips, use_dualstack_endpoint=dual),
                )
                for family, op in operations.items():
                    ours = endpoint_ours_family(region, family, fips, dual)
                    try:
                        url = str(client._ruleset_resolver.construct_endpoint(op, {}, {}).url)
                    except EndpointResolutionError as exc:
                        url = f"error: {exc}"
                    assert endpoint_matches(ours, url), (region, family, fips, dual, ours, url)


# --------------------------------------------------------------------------
# HTTP transport (urllib; asyncio through a worker thread) and the one redaction of outside text
# --------------------------------------------------------------------------

HOSTILE_CLI_MODES = ("status", "header", "long", "truncated", "truncated-length")


@pytest.fixture(params=HostileServer.MODES)
def hostile(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    server = HostileServer(request.param)
    try:
        yield server
    finally:
        server.close()


class TestTransportFailuresAndLimits:
    """Transport failures (refused, reset, timeout), the 1 MiB cap and no redirects.
    ``timeout`` bounds the whole exchange (SigninClient docstring; RFC 9110 §9.2.2
    makes a refresh safe to abandon and retry)."""

    @staticmethod
    def drip_server(mode: str) -> tuple[socket.socket, threading.Thread, dict[str, bool]]:
        """One-shot server answering a valid 200 very slowly: the headers (``mode``
        "headers") or the body ("body") one piece every 0.25 s, for about 3 s.
        ``state["completed"]`` tells whether the client stayed for all of it."""
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        state = {"completed": False, "gone": False}
        payload = json.dumps(
            {
                "accessToken": {"accessKeyId": "ASIA", "secretAccessKey": "S", "sessionToken": "T"},
                "tokenType": TOKEN_TYPE,
                "expiresIn": 900,
            }
        ).encode()

        def run() -> None:
            server.settimeout(10)
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                try:
                    if mode == "body":
                        conn.sendall(
                            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(payload)
                        )
                        step = len(payload) // 12 + 1
                        for i in range(0, len(payload), step):
                            time.sleep(0.25)
                            conn.sendall(payload[i : i + step])
                    else:
                        conn.sendall(b"HTTP/1.1 200 OK\r\n")
                        for i in range(12):
                            time.sleep(0.25)
                            conn.sendall(b"X-Drip-%d: v\r\n" % i)
                        conn.sendall(b"Content-Length: %d\r\n\r\n" % len(payload) + payload)
                    state["completed"] = True
                except OSError:
                    state["gone"] = True

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return server, thread, state

    @pytest.mark.parametrize("mode", ["headers", "body"])
    def test_timeout_bounds_slow_response(self, mode: str) -> None:
        server, thread, state = self.drip_server(mode)
        try:
            client = st.SigninClient(
                endpoint_url=f"http://127.0.0.1:{server.getsockname()[1]}",
                environ={},
                timeout=0.5,
                max_attempts=1,
            )
            with pytest.raises(st.TransportError) as info:
                client.create_oauth2_token(
                    st.CreateOAuth2TokenRequest(st.CreateOAuth2TokenRequestBody(**REFRESH_MEMBERS)),
                    st.DPoPKey.generate(),
                )
            assert "timed out" in str(info.value)
            thread.join(10)
        finally:
            server.close()
        # The client gave up at its deadline instead of waiting for the whole trickle.
        assert not state["completed"], "the client waited for a response trickling in far past its timeout"

    def test_connection_refused(self) -> None:
        port = free_port()
        key = st.DPoPKey.generate()
        waits: list[float] = []
        client = st.SigninClient(endpoint_url=f"http://127.0.0.1:{port}", environ={}, sleep=waits.append)
        request = st.CreateOAuth2TokenRequest(
            st.CreateOAuth2TokenRequestBody(**dict(REFRESH_MEMBERS, refresh_token="rt-SECRET-VALUE"))
        )
        with pytest.raises(st.TransportError) as info:
            client.create_oauth2_token(request, key)
        assert info.value.__cause__ is not None
        assert f"127.0.0.1:{port}" in str(info.value)
        assert "rt-SECRET-VALUE" not in str(info.value)
        assert len(waits) == 2  # three attempts for a refresh

    def test_reset(self, fake: FakeSignin) -> None:
        fake.faults.append(("reset",))
        key = st.DPoPKey.generate()
        with pytest.raises(st.TransportError) as info:
            fake_client(fake, max_attempts=1).create_oauth2_token(refresh_request(fake, key), key)
        assert isinstance(info.value.__cause__, BaseException)

    def test_timeout(self) -> None:
        """A listener that accepts the connection but never answers."""
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(4)
            port = server.getsockname()[1]
            client = st.SigninClient(
                endpoint_url=f"http://127.0.0.1:{port}", environ={}, timeout=0.5, max_attempts=1
            )
            with pytest.raises(st.TransportError) as info:
                client.create_oauth2_token(
                    st.CreateOAuth2TokenRequest(st.CreateOAuth2TokenRequestBody(**REFRESH_MEMBERS)),
                    st.DPoPKey.generate(),
                )
        assert "timed out" in str(info.value)
        assert info.value.__cause__ is not None

    def test_huge_body(self, fake: FakeSignin) -> None:
        fake.faults.append(("huge",))
        key = st.DPoPKey.generate()
        with pytest.raises(st.InvalidResponseError):
            fake_client(fake).create_oauth2_token(refresh_request(fake, key), key)
        assert len(fake.requests) == 1

    def test_redirect_not_followed(self, fake: FakeSignin) -> None:
        fake.faults.append(("redirect",))
        key = st.DPoPKey.generate()
        with pytest.raises(st.InvalidResponseError) as info:
            fake_client(fake).create_oauth2_token(refresh_request(fake, key), key)
        assert info.value.status == 302
        assert len(fake.requests) == 1


class TestTransportRedaction:
    """PROTOCOL.md §12, COMMON standards: text from the network or from a library exception
    reaches no message, log line or traceback unredacted.  A hostile server echoes the
    request (refresh token, code, verifier, proof) into a malformed status line, error
    fields, an over-long line, too many headers, a chunk-size line or a cut body."""

    @staticmethod
    def refresh(client: st.SigninClient, token: str, key: st.DPoPKey, *, use_async: bool) -> BaseException:
        request = st.CreateOAuth2TokenRequest(
            st.CreateOAuth2TokenRequestBody(
                client_id=st.SAME_DEVICE_CLIENT_ID, grant_type="refresh_token", refresh_token=token
            )
        )
        with pytest.raises(st.SigninTokenError) as info:
            if use_async:
                asyncio.run(client.create_oauth2_token_async(request, key))
            else:
                client.create_oauth2_token(request, key)
        return info.value

    @pytest.mark.parametrize("use_async", [False, True], ids=["blocking", "asyncio"])
    def test_api_refresh(self, hostile: HostileServer, use_async: bool) -> None:
        token = "rt-HOSTILE-" + uuid.uuid4().hex
        key = st.DPoPKey.generate()
        client = st.SigninClient(endpoint_url=hostile.url, environ={}, max_attempts=1)
        exc = self.refresh(client, token, key, use_async=use_async)
        assert len(hostile.received) == 1 and token.encode() in hostile.received[0]
        hostile_check_exception(exc, hostile, hostile_secrets(hostile, token))

    @pytest.mark.parametrize("use_async", [False, True], ids=["blocking", "asyncio"])
    @pytest.mark.parametrize("body_format", ["json", "form"])
    def test_api_code_redemption(self, hostile: HostileServer, use_async: bool, body_format: str) -> None:
        pkce = st.generate_pkce()
        code = "code-HOSTILE-" + uuid.uuid4().hex
        body = st.CreateOAuth2TokenRequestBody(
            client_id=st.SAME_DEVICE_CLIENT_ID,
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT_URI,
            code_verifier=pkce.code_verifier,
        )
        client = st.SigninClient(endpoint_url=hostile.url, environ={})
        key = st.DPoPKey.generate()
        with pytest.raises(st.SigninTokenError) as info:
            if use_async:
                asyncio.run(
                    client.create_oauth2_token_async(
                        st.CreateOAuth2TokenRequest(body), key, body_format=body_format
                    )
                )
            else:
                client.create_oauth2_token(st.CreateOAuth2TokenRequest(body), key, body_format=body_format)
        assert len(hostile.received) == 1  # a code redemption is never retried
        assert pkce.code_verifier.encode() in hostile.received[0]
        hostile_check_exception(info.value, hostile, hostile_secrets(hostile, code, pkce.code_verifier))

    @pytest.mark.parametrize("mode", HOSTILE_CLI_MODES)
    @pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
    def test_cli_credentials(self, fake: FakeSignin, aws_env: dict[str, str], mode: str, debug: bool) -> None:
        key = st.DPoPKey.generate()
        path = write_session(aws_env, fake, key=key, expires_in=-60)  # expired: a refresh is needed
        token = json.loads(path.read_text())["refreshToken"]
        server = HostileServer(mode)
        try:
            aws_env["AWS_ENDPOINT_URL_SIGNIN"] = server.url
            result = run_here(["credentials", *(["--debug"] if debug else [])], aws_env)
        finally:
            server.close()
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        assert server.received and all(token.encode() in r for r in server.received)
        secrets_ = hostile_secrets(server, token, pem=key.to_pem())
        assert leaked(result.stdout + result.stderr, secrets_) == [], result.stderr
        assert_error_output(result.stderr, debug=debug, login=False)
        error = next(line for line in result.stderr.splitlines() if line.startswith("error: "))
        assert HOSTILE_EXPECTED[mode][1] in error, error
        if debug and HOSTILE_EXPECTED[mode][0] is not st.ServiceError:
            assert "_RedactedError: " in result.stderr, result.stderr  # the stand-in (in __main__)
        assert json.loads(path.read_text())["refreshToken"] == token  # the entry is untouched

    @pytest.mark.parametrize("mode", HOSTILE_CLI_MODES)
    @pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
    def test_cli_token_code_redemption(
        self, aws_env: dict[str, str], tmp_path: Path, mode: str, debug: bool
    ) -> None:
        key = st.DPoPKey.generate()
        key_file = tmp_path / "dpop.pem"
        key_file.write_text(key.to_pem())
        code = "code-HOSTILE-" + uuid.uuid4().hex
        verifier = st.generate_pkce().code_verifier
        server = HostileServer(mode)
        try:
            argv = token_code_argv(server.url, key_file, code, verifier, REDIRECT_URI)
            argv += ["--debug"] if debug else []
            result = run_here(argv, aws_env)
        finally:
            server.close()
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        assert len(server.received) == 1 and code.encode() in server.received[0]
        secrets_ = hostile_secrets(server, code, verifier, pem=key.to_pem())
        assert leaked(result.stderr, secrets_) == [], result.stderr
        error = next(line for line in result.stderr.splitlines() if line.startswith("error: "))
        assert HOSTILE_EXPECTED[mode][1] in error, error
        if debug:
            assert "Traceback (most recent call last)" in result.stderr
        else:
            assert result.stderr.splitlines() == [error], result.stderr

    def test_noted_secrets_redacted_in_every_form(self) -> None:
        key = st.DPoPKey.generate()
        pem = key.to_pem()
        secret = "SK/" + uuid.uuid4().hex + "+=~ é"
        st._note_secrets(pem, secret, None, "short")
        lines = pem.strip().splitlines()[1:-1]
        texts = [
            pem,
            json.dumps({"dpopKey": pem}),
            json.dumps({"dpopKey": pem}, ensure_ascii=False),
            urllib.parse.quote(pem, safe=""),
            urllib.parse.urlencode({"k": pem, "s": secret}),
            repr(pem.encode()),
            " ".join(lines),
            "".join(lines),
            *lines,
            secret,
            urllib.parse.quote(secret),
            urllib.parse.quote_plus(secret),
            json.dumps(secret),
            json.dumps(secret).replace("/", "\\/"),
        ]
        for text in texts:
            out = st._redact(f"before {text} after")
            assert out.startswith("before ") and out.endswith(" after"), out
            assert leaked(out, {*lines, secret}) == [], (text, out)
        # Short values are not secrets: "short" would mangle ordinary words.
        assert st._redact("a short message with a key") == "a short message with a key"
        assert st._redact("token abc", ["abc"]) == "token abc"

    def test_noted_secrets_are_bounded_oldest_dropped(self) -> None:
        first = "first-" + uuid.uuid4().hex
        st._note_secrets(first)
        assert st._redact(first) == "***"
        many = [f"later-{i}-{uuid.uuid4().hex}" for i in range(1000)]
        st._note_secrets(*many)
        assert len(st._noted_secrets) <= 512
        assert st._redact(many[-1]) == "***"  # the newest are kept
        assert st._redact(first) == first  # the oldest went
        assert st._redact(first, [first]) == "***"  # a secret in flight is always redacted


class TestOneSanitiser:
    """``_one_line`` is the one sanitiser of outside text for human-readable output:
    white space becomes a space, every other character a terminal acts on (C0, C1, DEL)
    or that reorders the line (bidi embeddings, overrides, isolates, marks; other format
    characters; lone surrogates) becomes a visible escape, and the result is bounded."""

    @pytest.mark.parametrize(
        "char",
        [
            "\x00",
            "\x07",
            "\x1b",
            "\x7f",
            "\x9b",
            *(chr(c) for c in range(0x202A, 0x202F)),
            *(chr(c) for c in range(0x2066, 0x206A)),
            "\u200e",
            "\u200f",
            "\u061c",
            "\ufeff",
            "\udc80",
        ],
    )
    def test_each_control_or_format_character_becomes_a_visible_escape(self, char: str) -> None:
        text = st._one_line(f"a{char}b")
        assert text == f"a{ascii(char)[1:-1]}b"
        assert char not in text and text.isprintable()

    def test_line_breaks_become_spaces_and_printable_text_is_kept(self) -> None:
        assert st._one_line(" x\r\ny\tz\u2028w\n") == "x  y z w"
        assert (
            st._one_line("é ü ☃ 日本 arn:aws:iam::123456789012:user/A")
            == "é ü ☃ 日本 arn:aws:iam::123456789012:user/A"
        )

    def test_the_result_is_bounded(self) -> None:
        assert st._one_line("\x1b" * 1000, 50) == "\\x1b" * 11 + "\\x1..."
        assert len(st._one_line("x" * 5000)) == 300


# --------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------


def proof_parts(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (header, claims) of the DPoP proof a fake request carried."""
    proof = request_header(record, "DPoP")
    assert proof is not None
    header, claims, _, _ = split_proof(proof)
    return header, claims


ERROR_CODES = (
    "TOKEN_EXPIRED",
    "AUTHCODE_EXPIRED",
    "USER_CREDENTIALS_CHANGED",
    "INSUFFICIENT_PERMISSIONS",
    "INVALID_REQUEST",
    "server_error",
)


def assert_fresh_jtis(fake: FakeSignin) -> None:
    """Every attempt carried its own, validly signed proof (fresh jti)."""
    jtis = [proof_claims(r)["jti"] for r in fake.token_calls()]
    assert len(set(jtis)) == len(jtis), jtis


class FaultCase(NamedTuple):
    """An injected fault (a ``FakeSignin.faults`` action, or ``("refused",)``: no server) and
    what it must give: refresh attempts, the refresh exit code, the API error class, its
    HTTP status and error code, and a hint stderr must hold."""

    fault: tuple[Any, ...]
    attempts: int
    refresh_exit: int
    cls: type[st.SigninTokenError]
    status: int | None = None
    error: str | None = None
    hint: str = ""


def fault_cases() -> list[Any]:
    """Every fault case, as ``pytest.param(FaultCase(...), id=...)``."""
    cases: list[Any] = []

    def add(case_id: str, *fields: Any, **named: Any) -> None:
        cases.append(pytest.param(FaultCase(*fields, **named), id=case_id))

    def invalid_200(case_id: str, body: bytes, content_type: str = "application/json") -> None:
        add(case_id, ("raw", 200, body, content_type), 1, 1, st.InvalidResponseError, 200)

    for status in (400, 401, 403):
        for code in ERROR_CODES:
            etype = "ValidationException" if status == 400 else "AccessDeniedException"
            # A definitive code ends the session whatever the status ("injected 400" names
            # no grant: a 400 is a request fault unless it is about the grant).
            login = code in ("TOKEN_EXPIRED", "USER_CREDENTIALS_CHANGED", "AUTHCODE_EXPIRED")
            cls = st.ValidationException if status == 400 else st.AccessDeniedException
            add(f"{status}-{code}", ("status", status, etype, code), 1, 3 if login else 1, cls, status, code)
    # The error type from the status alone (no x-amzn-ErrorType header).
    add(
        "401-TOKEN_EXPIRED-no-type",
        ("status", 401, None, "TOKEN_EXPIRED"),
        1,
        3,
        st.AccessDeniedException,
        401,
    )
    add("400-non-json", ("raw", 400, b"\xff\x00 junk", "text/plain"), 1, 1, st.ValidationException, 400)
    add("403-html", ("raw", 403, HTML_PAGE, "text/html"), 1, 1, st.AccessDeniedException, 403)
    too_many = ("status", 429, "TooManyRequestsError", "INVALID_REQUEST")
    add("429", too_many, 3, 1, st.TooManyRequestsError, 429, "INVALID_REQUEST")
    add("429-retry-after-0", (*too_many, {"Retry-After": "0"}), 3, 1, st.TooManyRequestsError, 429)
    past = formatdate(0, usegmt=True)
    add("429-retry-after-past-date", (*too_many, {"Retry-After": past}), 3, 1, st.TooManyRequestsError, 429)
    add("429-retry-after-junk", (*too_many, {"Retry-After": "soon"}), 3, 1, st.TooManyRequestsError, 429)
    add("429-retry-after-3600", (*too_many, {"Retry-After": "3600"}), 1, 1, st.TooManyRequestsError, 429)
    add(
        "429-retry-after-superscript",
        (*too_many, {"Retry-After": "\u00b2"}),
        3,
        1,
        st.TooManyRequestsError,
        429,
    )
    add(
        "500-server_error",
        ("status", 500, "InternalServerException", "server_error"),
        3,
        1,
        st.InternalServerException,
        500,
        "server_error",
    )
    add("500-html", ("raw", 500, HTML_PAGE, "text/html"), 3, 1, st.InternalServerException, 500)
    add("502", ("status", 502, None, None), 3, 1, st.ServiceError, 502)
    add("502-html", ("raw", 502, HTML_PAGE, "text/html"), 3, 1, st.ServiceError, 502)
    add("503", ("status", 503, None, None), 3, 1, st.ServiceError, 503)
    add("503-empty", ("raw", 503, b"", "text/plain"), 3, 1, st.ServiceError, 503)
    add("refused", ("refused",), 3, 1, st.TransportError, hint="failed")
    add("reset", ("reset",), 3, 1, st.TransportError)
    add("reset-mid-response", ("reset-mid",), 3, 1, st.TransportError)
    add("timeout", ("sleep", 1.2), 3, 1, st.TransportError, hint="timed out")
    invalid_200("200-truncated-json", token_response_body()[:40])
    invalid_200("200-html", HTML_PAGE, "text/html")
    invalid_200("200-empty", b"")
    invalid_200("200-array", b"[]")
    invalid_200("200-empty-object", b"{}")
    for member in (
        "accessToken",
        "accessToken.accessKeyId",
        "accessToken.secretAccessKey",
        "accessToken.sessionToken",
        "tokenType",
        "expiresIn",
    ):
        invalid_200(f"200-missing-{member}", token_response_body(drop=member))
    for label, value in (
        ("0", 0),
        ("-1", -1),
        ("string", "900"),
        ("float", 900.5),
        ("bool", True),
        ("null", None),
    ):
        invalid_200(f"200-expiresIn-{label}", token_response_body(expiresIn=value))
    invalid_200("200-accessToken-string", token_response_body(accessToken="not-an-object"))
    add("200-over-size-cap", ("huge",), 1, 1, st.InvalidResponseError, 200, hint="exceeds")
    add("302-redirect", ("redirect",), 1, 1, st.InvalidResponseError, 302, hint="redirect")
    add(
        "307-no-location",
        ("raw", 307, b"", "text/plain"),
        1,
        1,
        st.InvalidResponseError,
        307,
        hint="redirect",
    )
    return cases


FAULT_CASES = fault_cases()


def skew_seconds(stderr: str) -> int:
    m = re.search(r"clock is off by (\d+) seconds", stderr)
    assert m, stderr
    return int(m.group(1))


class RecordingProxy(RawLoopbackServer):
    """A loopback HTTP proxy recording each request head: ``CONNECT`` is tunnelled to
    ``upstream`` whatever host it names (or answered with ``refusal``, which may hold
    ``{echo}``, the head itself); any other request is answered with ``reply``."""

    def __init__(self, upstream: int | None = None, *, reply: bytes = b"", refusal: bytes = b"") -> None:
        self.upstream, self.reply, self.refusal = upstream, reply, refusal
        self.heads: list[bytes] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        thread = threading.Thread(target=self._one, args=(conn,), daemon=True)
        self.threads.append(thread)
        thread.start()

    def _one(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            request = self.read_head(conn)
            if request is None:
                return
            head, rest = request
            self.heads.append(head)
            if not head.startswith(b"CONNECT "):
                self.read_body(conn, head, rest)
                conn.sendall(self.reply)
                return
            if self.refusal or self.upstream is None:
                conn.sendall(self.refusal.replace(b"{echo}", head.replace(b"\r\n", b" ")))
                return
            with socket.create_connection(("127.0.0.1", self.upstream), timeout=10) as up:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._pipe(conn, up)

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        import selectors

        with selectors.DefaultSelector() as sel:
            sel.register(a, selectors.EVENT_READ, b)
            sel.register(b, selectors.EVENT_READ, a)
            while True:
                for key, _ in sel.select(10):
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)


def drive(
    client: st.SigninClient, request: st.CreateOAuth2TokenRequest, key: st.DPoPKey, use_async: bool, **kw: Any
) -> st.CreateOAuth2TokenResponse:
    """One call through the blocking or the asyncio driver."""
    if use_async:
        return asyncio.run(client.create_oauth2_token_async(request, key, **kw))
    return client.create_oauth2_token(request, key, **kw)


def outcome(fn: Callable[[], object]) -> tuple[str, str]:
    """(exception type, message without the per-response request id) of ``fn``, or ("ok", "")."""
    try:
        fn()
    except Exception as exc:
        return type(exc).__name__, re.sub(r" \[request id [^]]*\]", "", str(exc))
    return "ok", ""


REQUEST_ID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # the fake's x-amzn-RequestId


def debug_attempt_lines(err: str) -> list[str]:
    """The --debug lines that report an HTTP attempt of the token call (a prompt without its
    line end, such as login's "Code: ", may come first on the line)."""
    found = (re.search(r"debug: POST \S+ attempt \d+/\d+.*", line) for line in err.splitlines())
    return [match[0] for match in found if match]


def assert_one_attempt_line(err: str, pattern: str) -> None:
    """``err`` reports exactly one HTTP attempt of the token call, in a line ``pattern`` matches whole."""
    lines = debug_attempt_lines(err)
    assert len(lines) == 1, err
    assert re.fullmatch(pattern, lines[0]), lines


def debug_redemption_argv(fake_url: str, key_file: Path, code: str, verifier: str) -> list[str]:
    """``token --debug``: one code redemption."""
    return [
        "token",
        "--debug",
        "--endpoint-url",
        fake_url,
        "--dpop-key",
        str(key_file),
        "--grant-type",
        "authorization_code",
        "--client-id",
        st.SAME_DEVICE_CLIENT_ID,
        "--code",
        code,
        "--redirect-uri",
        DISCARD_REDIRECT_URI,
        f"--code-verifier={verifier}",
    ]


class TestClientRequest:
    """The CreateOAuth2Token request on the wire (service-2.json operation; PROTOCOL.md §5-6),
    checked by the strict fake."""

    def test_refresh_json(self, fake: FakeSignin) -> None:
        key = st.DPoPKey.generate()
        request = refresh_request(fake, key)
        out = fake_client(fake).create_oauth2_token(request, key)
        assert isinstance(out, st.CreateOAuth2TokenResponse)
        body = out.token_output
        assert body.token_type == TOKEN_TYPE
        assert body.expires_in == 900 and body.id_token is None
        assert body.access_token.access_key_id.startswith("ASIA")
        assert body.refresh_token in fake.refresh_tokens  # the rotated token, bound to this key
        assert fake.refresh_tokens[body.refresh_token]["jkt"] == key.thumbprint()
        (record,) = fake.requests
        assert record["grant"] == "refresh_token"
        assert json.loads(record["body"]) == {
            "clientId": st.SAME_DEVICE_CLIENT_ID,
            "grantType": "refresh_token",
            "refreshToken": request.token_input.refresh_token,
        }
        assert request_header(record, "Content-Type") == "application/json"
        ua = request_header(record, "User-Agent") or ""
        assert f"signin-token/{st.__version__}" in ua
        assert request_header(record, "Authorization") is None  # unsigned (no SigV4)
        assert record["proof_claims"]["htu"] == fake.token_url
        assert record["proof_claims"]["htm"] == "POST"
        assert record["jkt"] == key.thumbprint() == thumbprint(key.public_jwk)

    def test_refresh_chain_rotates(self, fake: FakeSignin) -> None:
        key = st.DPoPKey.generate()
        client = fake_client(fake)
        first = client.create_oauth2_token(refresh_request(fake, key), key)
        token = first.token_output.refresh_token
        assert token is not None
        again = st.CreateOAuth2TokenRequest(
            st.CreateOAuth2TokenRequestBody(**dict(REFRESH_MEMBERS, refresh_token=token))
        )
        second = client.create_oauth2_token(again, key)
        assert second.token_output.refresh_token not in (None, token)
        with pytest.raises(st.ValidationException):  # the old one was rotated away
            client.create_oauth2_token(again, key)

    def test_refresh_with_another_key_refused(self, fake: FakeSignin) -> None:
        key = st.DPoPKey.generate()
        with pytest.raises(st.ValidationException) as info:
            fake_client(fake).create_oauth2_token(refresh_request(fake, key), st.DPoPKey.generate())
        assert info.value.status == 400 and info.value.error is st.OAuth2ErrorCode.INVALID_REQUEST
        assert len(fake.requests) == 1

    def test_code_redemption(self, fake: FakeSignin) -> None:
        key = st.DPoPKey.generate()
        request = code_request(fake, REDIRECT_URI)[0]
        out = fake_client(fake).create_oauth2_token(request, key).token_output
        assert out.id_token is not None and out.refresh_token is not None
        payload = json.loads(b64url_decode(out.id_token.split(".")[1]))
        assert payload["sub"] == fake.subject
        (record,) = fake.requests
        sent = json.loads(record["body"])
        assert sent == {
            "clientId": st.SAME_DEVICE_CLIENT_ID,
            "grantType": "authorization_code",
            "code": request.token_input.code,
            "redirectUri": REDIRECT_URI,
            "codeVerifier": request.token_input.code_verifier,
        }
        assert "tokenInput" not in sent
        assert fake.refresh_tokens[out.refresh_token]["jkt"] == key.thumbprint()

    def test_code_is_single_use(self, fake: FakeSignin) -> None:
        key = st.DPoPKey.generate()
        request = code_request(fake, REDIRECT_URI)[0]
        client = fake_client(fake)
        client.create_oauth2_token(request, key)
        with pytest.raises(st.ValidationException):
            client.create_oauth2_token(request, key)

    @pytest.mark.parametrize("grant", ["refresh_token", "authorization_code"])
    def test_form(self, fake: FakeSignin, grant: str) -> None:
        key = st.DPoPKey.generate()
        request = (
            refresh_request(fake, key) if grant == "refresh_token" else code_request(fake, REDIRECT_URI)[0]
        )
        out = fake_client(fake).create_oauth2_token(request, key, body_format="form")
        assert out.token_output.refresh_token
        (record,) = fake.requests
        assert request_header(record, "Content-Type") == "application/x-www-form-urlencoded"
        expected = "&".join(
            f"{k}={urllib.parse.quote(v, safe='')}" for k, v in request.token_input.to_form().items()
        )
        assert record["body"] == expected.encode()
        form = dict(urllib.parse.parse_qsl(record["body"].decode(), strict_parsing=True))
        assert form["grant_type"] == grant and form["client_id"] == st.SAME_DEVICE_CLIENT_ID

    def test_fresh_proof_per_call(self, fake: FakeSignin) -> None:
        key = st.DPoPKey.generate()
        client = fake_client(fake)
        for _ in range(3):
            client.create_oauth2_token(refresh_request(fake, key), key)
        jtis = {r["proof_claims"]["jti"] for r in fake.requests}
        assert len(jtis) == 3

    def test_bad_body_format_sends_nothing(self, fake: FakeSignin) -> None:
        key = st.DPoPKey.generate()
        with pytest.raises(st.ParamValidationError):
            fake_client(fake).create_oauth2_token(refresh_request(fake, key), key, body_format="xml")
        assert fake.requests == []

    @pytest.mark.parametrize("which", ["request", "key"])
    def test_argument_types(self, fake: FakeSignin, which: str) -> None:
        key = st.DPoPKey.generate()
        request: Any = refresh_request(fake, key)
        with pytest.raises(TypeError):
            if which == "request":
                fake_client(fake).create_oauth2_token(request.token_input, key)
            else:
                fake_client(fake).create_oauth2_token(request, key.to_pem())  # type: ignore[arg-type]
        assert fake.requests == []

    @pytest.mark.parametrize(
        ("kwargs", "exc"),
        [
            ({"max_attempts": 0}, st.ParamValidationError),
            ({"max_attempts": 11}, st.ParamValidationError),
            ({"max_attempts": True}, TypeError),
            ({"max_attempts": 2.0}, TypeError),
            ({"timeout": 0}, st.ParamValidationError),
            ({"timeout": -1}, st.ParamValidationError),
            ({"timeout": "5"}, TypeError),
        ],
    )
    def test_client_arguments(self, kwargs: dict[str, Any], exc: type[Exception]) -> None:
        with pytest.raises(exc):
            st.SigninClient("us-east-1", environ={}, **kwargs)

    def test_clock_skew_corrected_once(self, fake: FakeSignin) -> None:
        """A refused iat with a server Date 10 minutes ahead: one corrected retry."""
        fake.clock_offset = 600
        key = st.DPoPKey.generate()
        skews: list[float] = []
        waits: list[float] = []
        client = fake_client(fake, waits, on_clock_skew=skews.append)
        client.create_oauth2_token(refresh_request(fake, key), key)
        assert len(fake.requests) == 2 and waits == []
        assert len(skews) == 1 and 590 < skews[0] < 610
        assert 590 < client.clock_offset < 610
        assert abs(fake.requests[1]["proof_claims"]["iat"] - fake.now()) <= 60

    def test_clock_skew_on_code_redemption(self, fake: FakeSignin) -> None:
        """A proof refused for its iat was never a use of the code: one corrected retry."""
        fake.clock_offset = -600
        skews: list[float] = []
        client = fake_client(fake, on_clock_skew=skews.append)
        out = client.create_oauth2_token(code_request(fake, REDIRECT_URI)[0], st.DPoPKey.generate())
        assert out.token_output.id_token is not None
        assert len(fake.requests) == 2 and len(skews) == 1 and -610 < skews[0] < -590


class TestClientErrors:
    """Error responses mapped per PROTOCOL.md §11: x-amzn-ErrorType, then body
    __type/code, then HTTP status; OAuth2ErrorCode when known."""

    @staticmethod
    def call(fake: FakeSignin, *faults: tuple[Any, ...]) -> st.ServiceError:
        fake.faults.extend(faults)
        key = st.DPoPKey.generate()
        with pytest.raises(st.ServiceError) as info:
            fake_client(fake, max_attempts=1).create_oauth2_token(refresh_request(fake, key), key)
        assert len(fake.requests) == 1
        return info.value

    @pytest.mark.parametrize(
        ("status", "header", "code", "cls"),
        [
            (
                400,
                "ValidationException:http://internal.amazon.com/",
                "INVALID_REQUEST",
                st.ValidationException,
            ),
            (
                401,
                "AccessDeniedException:http://internal.amazon.com/",
                "TOKEN_EXPIRED",
                st.AccessDeniedException,
            ),
            (401, "AccessDeniedException", "AUTHCODE_EXPIRED", st.AccessDeniedException),
            (403, "AccessDeniedException", "USER_CREDENTIALS_CHANGED", st.AccessDeniedException),
            (403, "AccessDeniedException", "INSUFFICIENT_PERMISSIONS", st.AccessDeniedException),
            (429, "TooManyRequestsError", "INVALID_REQUEST", st.TooManyRequestsError),
            (500, "InternalServerException", "server_error", st.InternalServerException),
            # The header wins over the status.
            (400, "AccessDeniedException:x", "TOKEN_EXPIRED", st.AccessDeniedException),
            (403, "ValidationException", "INVALID_REQUEST", st.ValidationException),
        ],
    )
    def test_header(
        self, fake: FakeSignin, status: int, header: str, code: str, cls: type[Exception]
    ) -> None:
        exc = self.call(fake, ("status", status, header, code))
        assert type(exc) is cls
        assert exc.error is st.OAuth2ErrorCode(code)
        assert isinstance(exc.error, st.OAuth2ErrorCode)
        assert exc.status == status
        assert exc.message == f"injected {status}"
        assert exc.request_id is not None and uuid.UUID(exc.request_id)
        text = str(exc)
        assert code in text and exc.request_id in text and f"injected {status}" in text

    @pytest.mark.parametrize(
        ("status", "cls"),
        [
            (400, st.ValidationException),
            (401, st.AccessDeniedException),
            (403, st.AccessDeniedException),
            (429, st.TooManyRequestsError),
            (500, st.InternalServerException),
            (502, st.ServiceError),
            (503, st.ServiceError),
            (404, st.ServiceError),
        ],
    )
    def test_status_fallback(self, fake: FakeSignin, status: int, cls: type[Exception]) -> None:
        exc = self.call(fake, ("status", status, "", "INVALID_REQUEST"))
        assert type(exc) is cls
        assert exc.status == status
        assert str(status) in str(exc)

    @pytest.mark.parametrize(
        ("status", "body", "cls"),
        [
            (
                400,
                {"__type": "com.amazon.signin#AccessDeniedException", "error": "TOKEN_EXPIRED"},
                st.AccessDeniedException,
            ),
            (400, {"__type": "TooManyRequestsError", "error": "INVALID_REQUEST"}, st.TooManyRequestsError),
            (400, {"code": "InternalServerException", "error": "server_error"}, st.InternalServerException),
            (500, {"code": "ValidationException", "error": "INVALID_REQUEST"}, st.ValidationException),
        ],
    )
    def test_body_type_fallback(
        self, fake: FakeSignin, status: int, body: dict[str, str], cls: type[Exception]
    ) -> None:
        exc = self.call(
            fake, ("raw", status, json.dumps(dict(body, message="m")).encode(), "application/json")
        )
        assert type(exc) is cls and exc.status == status and exc.message == "m"

    def test_unknown_error_code_kept_raw(self, fake: FakeSignin) -> None:
        exc = self.call(fake, ("status", 400, "ValidationException", "brand_new_code"))
        assert exc.error == "brand_new_code" and not isinstance(exc.error, st.OAuth2ErrorCode)

    def test_non_json_error_body(self, fake: FakeSignin) -> None:
        exc = self.call(fake, ("raw", 502, b"<html><body>Bad Gateway</body></html>", "text/html"))
        assert type(exc) is st.ServiceError and exc.status == 502 and exc.error is None
        assert "\n" not in str(exc)

    def test_secret_in_server_message_redacted(self, fake: FakeSignin) -> None:
        key = st.DPoPKey.generate()
        request = refresh_request(fake, key)
        token = request.token_input.refresh_token
        assert token is not None
        body = json.dumps({"error": "INVALID_REQUEST", "message": f"bad token {token}"}).encode()
        fake.faults.append(("raw", 400, body, "application/json"))
        with pytest.raises(st.ValidationException) as info:
            fake_client(fake).create_oauth2_token(request, key)
        assert token not in str(info.value) and token not in info.value.message
        assert token not in repr(info.value)

    def test_control_characters_flattened(self, fake: FakeSignin) -> None:
        body = json.dumps({"error": "INVALID_REQUEST", "message": "line1\nline2\x1b[31m"}).encode()
        exc = self.call(fake, ("raw", 400, body, "application/json"))
        assert "\n" not in str(exc) and "\x1b" not in str(exc)


class TestClientRetries:
    """Refresh is idempotent and retried on 429/5xx/transport errors with full-jitter
    backoff and Retry-After (<= 20 s); code redemption never is (service-2.json
    documentation, PROTOCOL.md §5-6)."""

    @staticmethod
    def jtis(fake: FakeSignin) -> list[str]:
        return [proof_parts(r)[1]["jti"] for r in fake.requests]

    @pytest.mark.parametrize(
        "fault",
        [
            ("status", 429, "TooManyRequestsError", "INVALID_REQUEST"),
            ("status", 500, "InternalServerException", "server_error"),
            ("status", 503, "", "server_error"),
            ("status", 502, "", "server_error"),
            ("reset",),
            ("reset-mid",),
        ],
        ids=["429", "500", "503", "502", "reset", "reset-mid"],
    )
    def test_retry_then_success(self, fake: FakeSignin, fault: tuple[Any, ...]) -> None:
        fake.faults.append(fault)
        key = st.DPoPKey.generate()
        waits: list[float] = []
        out = fake_client(fake, waits).create_oauth2_token(refresh_request(fake, key), key)
        assert out.token_output.refresh_token
        assert len(fake.requests) == 2
        assert len(waits) == 1 and 0 <= waits[0] <= 0.5
        jtis = self.jtis(fake)
        assert len(set(jtis)) == 2 and all(uuid.UUID(j).version == 4 for j in jtis)

    def test_backoff_full_jitter_bounds(self, fake: FakeSignin) -> None:
        """Full jitter: each wait uniform in [0, min(20, 0.5 * 2**(attempt-1))]."""
        runs = []
        for _ in range(2):
            fake.faults.extend([("status", 503, "", "server_error")] * 9)
            key = st.DPoPKey.generate()
            waits: list[float] = []
            fake_client(fake, waits, max_attempts=10).create_oauth2_token(refresh_request(fake, key), key)
            assert len(waits) == 9
            for attempt, wait in enumerate(waits, start=1):
                assert 0 <= wait <= min(20.0, 0.5 * 2 ** (attempt - 1))
            runs.append(waits)
        assert len(fake.requests) == 20
        assert len(set(self.jtis(fake))) == 20
        caps = [min(20.0, 0.5 * 2 ** (attempt - 1)) for attempt in range(1, 10)]
        assert runs[0] != runs[1] and caps not in runs  # random, not a fixed schedule

    @pytest.mark.parametrize(("after", "wait"), [("1", 1.0), ("0", 0.0), ("20", 20.0)])
    def test_retry_after_honoured(self, fake: FakeSignin, after: str, wait: float) -> None:
        fake.faults.append(("status", 503, "", "server_error", {"Retry-After": after}))
        key = st.DPoPKey.generate()
        waits: list[float] = []
        fake_client(fake, waits).create_oauth2_token(refresh_request(fake, key), key)
        assert waits == [wait] and len(fake.requests) == 2

    @pytest.mark.parametrize("status", [429, 503])
    def test_retry_after_too_long(self, fake: FakeSignin, status: int) -> None:
        fake.faults.append(("status", status, "", "INVALID_REQUEST", {"Retry-After": "21"}))
        key = st.DPoPKey.generate()
        waits: list[float] = []
        with pytest.raises(st.ServiceError) as info:
            fake_client(fake, waits).create_oauth2_token(refresh_request(fake, key), key)
        assert info.value.status == status
        assert waits == [] and len(fake.requests) == 1

    @pytest.mark.parametrize("max_attempts", [1, 2, 3, 5])
    def test_attempts_exhausted(self, fake: FakeSignin, max_attempts: int) -> None:
        fake.faults.extend([("status", 500, "InternalServerException", "server_error")] * 6)
        key = st.DPoPKey.generate()
        waits: list[float] = []
        client = fake_client(fake, waits, max_attempts=max_attempts)
        with pytest.raises(st.InternalServerException) as info:
            client.create_oauth2_token(refresh_request(fake, key), key)
        assert info.value.status == 500
        assert len(fake.requests) == max_attempts and len(waits) == max_attempts - 1
        assert len(set(self.jtis(fake))) == max_attempts

    def test_transport_attempts_exhausted(self, fake: FakeSignin) -> None:
        fake.faults.extend([("reset",)] * 3)
        key = st.DPoPKey.generate()
        waits: list[float] = []
        with pytest.raises(st.TransportError) as info:
            fake_client(fake, waits).create_oauth2_token(refresh_request(fake, key), key)
        assert info.value.__cause__ is not None
        assert len(fake.requests) == 3 and len(waits) == 2

    @pytest.mark.parametrize(
        ("fault", "exc"),
        [
            (("status", 500, "InternalServerException", "server_error"), st.InternalServerException),
            (("status", 429, "TooManyRequestsError", "INVALID_REQUEST"), st.TooManyRequestsError),
            (("status", 503, "", "server_error", {"Retry-After": "1"}), st.ServiceError),
            (("reset",), st.TransportError),
            (("reset-mid",), st.TransportError),
        ],
        ids=["500", "429", "503", "reset", "reset-mid"],
    )
    def test_code_redemption_never_retried(
        self, fake: FakeSignin, fault: tuple[Any, ...], exc: type[Exception]
    ) -> None:
        fake.faults.append(fault)
        waits: list[float] = []
        with pytest.raises(exc):
            fake_client(fake, waits).create_oauth2_token(
                code_request(fake, REDIRECT_URI)[0], st.DPoPKey.generate()
            )
        assert len(fake.requests) == 1 and waits == []

    @pytest.mark.parametrize(
        "fault",
        [
            ("status", 400, "ValidationException", "INVALID_REQUEST"),
            ("status", 401, "AccessDeniedException", "TOKEN_EXPIRED"),
            ("status", 403, "AccessDeniedException", "USER_CREDENTIALS_CHANGED"),
        ],
    )
    def test_client_errors_not_retried(self, fake: FakeSignin, fault: tuple[Any, ...]) -> None:
        fake.faults.append(fault)
        key = st.DPoPKey.generate()
        waits: list[float] = []
        with pytest.raises(st.ServiceError):
            fake_client(fake, waits).create_oauth2_token(refresh_request(fake, key), key)
        assert len(fake.requests) == 1 and waits == []


class TestClientInvalidResponses:
    """A 200 that is not a CreateOAuth2TokenResponseBody (service-2.json shapes) is
    InvalidResponseError; a refresh without refreshToken is accepted (PROTOCOL.md §5)."""

    @pytest.mark.parametrize(
        ("body", "ctype"),
        [
            (b"garbage", "application/json"),
            (b"<html><body>Sign in</body></html>", "text/html"),
            (b'{"accessToken": {"accessKeyId": "A"', "application/json"),
            (b"", "application/json"),
            (b"[]", "application/json"),
            (b"null", "application/json"),
            (b"\xff\xfe{}", "application/json"),
            (b"{}", "application/json"),
        ],
        ids=["garbage", "html", "truncated", "empty", "array", "null", "not-utf8", "empty-object"],
    )
    def test_unparseable(self, fake: FakeSignin, body: bytes, ctype: str) -> None:
        fake.faults.append(("raw", 200, body, ctype))
        key = st.DPoPKey.generate()
        with pytest.raises(st.InvalidResponseError) as info:
            fake_client(fake).create_oauth2_token(refresh_request(fake, key), key)
        assert info.value.status == 200
        assert len(fake.requests) == 1

    @pytest.mark.parametrize(
        "change",
        [
            {"accessToken": None},
            {"tokenType": None},
            {"expiresIn": None},
            {"expiresIn": 0},
            {"expiresIn": -1},
            {"expiresIn": "900"},
            {"expiresIn": 900.0},
            {"expiresIn": True},
            {"accessToken": {"accessKeyId": "ASIA", "secretAccessKey": "SECRETXYZ"}},
            {"accessToken": "ASIA"},
            {"refreshToken": ""},
            {"refreshToken": "r" * (MAX_TOKEN_CHARS + 1)},
            {"idToken": "i" * (MAX_TOKEN_CHARS + 1)},
        ],
    )
    def test_invalid_members(self, fake: FakeSignin, change: dict[str, Any]) -> None:
        wire: dict[str, Any] = {
            "accessToken": {
                "accessKeyId": "ASIA",
                "secretAccessKey": "SECRETXYZ",
                "sessionToken": "SESSIONXYZ",
            },
            "tokenType": TOKEN_TYPE,
            "expiresIn": 900,
            "refreshToken": "rt-new",
        }
        for name, value in change.items():
            if value is None:
                del wire[name]
            else:
                wire[name] = value
        fake.faults.append(("raw", 200, json.dumps(wire).encode(), "application/json"))
        key = st.DPoPKey.generate()
        with pytest.raises(st.InvalidResponseError) as info:
            fake_client(fake).create_oauth2_token(refresh_request(fake, key), key)
        assert "SECRETXYZ" not in str(info.value) and "SESSIONXYZ" not in str(info.value)

    def test_snake_case_response(self, fake: FakeSignin) -> None:
        snake = {
            "access_token": {"access_key_id": "ASIA1", "secret_access_key": "S", "session_token": "T"},
            "token_type": "aws_sigv4",
            "expires_in": 60,
            "refresh_token": "rt-x",
        }
        fake.faults.append(("raw", 200, json.dumps(snake).encode(), "application/json"))
        key = st.DPoPKey.generate()
        out = fake_client(fake).create_oauth2_token(refresh_request(fake, key), key, body_format="form")
        assert out.token_output.access_token == st.AccessToken("ASIA1", "S", "T")
        assert out.token_output.expires_in == 60 and out.token_output.token_type == "aws_sigv4"

    def test_refresh_without_refresh_token(self, fake: FakeSignin) -> None:
        fake.omit_refresh_token = True
        key = st.DPoPKey.generate()
        out = fake_client(fake).create_oauth2_token(refresh_request(fake, key), key)
        assert out.token_output.refresh_token is None
        assert out.token_output.access_token.access_key_id.startswith("ASIA")

    @pytest.mark.parametrize("expires_in", [1, 900, 901, 3600, 86400, 2**31])
    def test_expires_in_bounds_accepted(self, fake: FakeSignin, expires_in: int) -> None:
        fake.expires_in = expires_in
        key = st.DPoPKey.generate()
        out = fake_client(fake).create_oauth2_token(refresh_request(fake, key), key)
        assert out.token_output.expires_in == expires_in

    @pytest.mark.parametrize("expires_in", [0, -1])
    def test_expires_in_bounds_refused(self, fake: FakeSignin, expires_in: int) -> None:
        fake.expires_in = expires_in
        key = st.DPoPKey.generate()
        with pytest.raises(st.InvalidResponseError):
            fake_client(fake).create_oauth2_token(refresh_request(fake, key), key)


class TestFaultMatrix:
    """PROTOCOL.md §5 (refresh is retried, code redemption never), §6 (one fresh proof per
    attempt), §9 (a failure leaves the cache as it was) and §11 (errors and exit codes),
    through the CLI in-process against the strict fake with injected faults."""

    @pytest.mark.parametrize("mode", ["refresh-force", "credentials-debug"])
    @pytest.mark.parametrize("case", FAULT_CASES)
    def test_refresh(self, fake: FakeSignin, aws_env: dict[str, str], mode: str, case: FaultCase) -> None:
        fault, attempts, refresh_exit, _, _, error, hint = case
        debug = mode.endswith("-debug")
        # Expired for credentials: still-valid ones would be returned with a warning instead.
        path = write_session(aws_env, fake, expires_in=3600 if mode == "refresh-force" else -60)
        before = path.read_bytes()
        args = ["refresh", "--force"] if mode == "refresh-force" else ["credentials"]
        args += ["--timeout", "0.5"] + (["--debug"] if debug else [])
        if fault[0] == "refused":
            args += ["--endpoint-url", f"http://127.0.0.1:{free_port()}"]
        else:
            fake.faults = [fault] * attempts
        sleeps: list[float] = []  # the backoff between attempts, recorded instead of waited
        code, out, err = run_main(args, sleep=sleeps.append)
        assert code == refresh_exit, err
        assert len(sleeps) == attempts - 1 and all(0 <= s <= 20 for s in sleeps), sleeps
        assert out == ""
        assert_error_output(err, debug=debug, login=refresh_exit == 3)
        assert hint.lower() in err.lower()
        if error == "INSUFFICIENT_PERMISSIONS":
            assert "SignInLocalDevelopmentAccess" in err
        assert len(fake.token_calls()) == (0 if fault[0] == "refused" else attempts)
        assert_fresh_jtis(fake)
        assert path.read_bytes() == before
        ended = [path.name + ".ended"] if refresh_exit == 3 else []  # the session ended by the refusal
        assert sorted(p.name for p in path.parent.iterdir()) == sorted(
            [path.name, path.name + ".lock", *ended]
        )

    @pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
    @pytest.mark.parametrize("case", FAULT_CASES)
    def test_code_redemption(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, debug: bool, case: FaultCase
    ) -> None:
        fault, hint = case.fault, case.hint
        path = write_session(aws_env, fake)
        before = {p.name: p.read_bytes() for p in path.parent.iterdir()}
        key = tmp_path / "key.pem"
        key.write_text(st.DPoPKey.generate().to_pem())
        _, code_value, verifier = code_request(fake, DISCARD_REDIRECT_URI)
        endpoint = f"http://127.0.0.1:{free_port()}" if fault[0] == "refused" else fake.url
        if fault[0] != "refused":
            fake.faults = [fault] * 3  # a retry would meet the same fault, and be counted
        args = token_code_argv(endpoint, key, code_value, verifier, DISCARD_REDIRECT_URI)
        args += ["--timeout", "0.5"] + (["--debug"] if debug else [])
        code, out, err = run_main(args)
        assert code == 1, err
        assert out == ""
        if debug:
            assert err.startswith("debug: POST ")
            err = err.split("\n", 1)[1]
        assert_error_output(err, debug=debug, login=False)
        assert hint.lower() in err.lower()
        assert len(fake.token_calls()) == (0 if fault[0] == "refused" else 1)
        assert_fresh_jtis(fake)
        assert {p.name: p.read_bytes() for p in path.parent.iterdir()} == before

    @pytest.mark.parametrize("kind", ["refresh", "code"])
    @pytest.mark.parametrize("case", FAULT_CASES)
    def test_api_errors_are_typed(self, fake: FakeSignin, kind: str, case: FaultCase) -> None:
        self._api_case(fake, kind, case.fault, case.attempts, case.cls, case.status, case.error)

    @staticmethod
    def _api_case(
        fake: FakeSignin,
        grant: str,
        fault: tuple[Any, ...],
        attempts: int,
        cls: type[st.SigninTokenError],
        status: int | None,
        error: str | None,
    ) -> None:
        sleeps: list[float] = []
        refused = fault[0] == "refused"
        client = st.SigninClient(
            endpoint_url=f"http://127.0.0.1:{free_port()}" if refused else fake.url,
            timeout=0.5,
            sleep=sleeps.append,
        )
        key = st.DPoPKey.generate()
        request = (
            refresh_request(fake, key) if grant == "refresh" else code_request(fake, DISCARD_REDIRECT_URI)[0]
        )
        if not refused:
            fake.faults = [fault] * 3
        with pytest.raises(cls) as info:
            client.create_oauth2_token(request, key)
        exc = info.value
        assert type(exc) is cls
        expected_attempts = attempts if grant == "refresh" else 1
        assert len(fake.token_calls()) == (0 if refused else expected_attempts)
        assert len(sleeps) == expected_attempts - 1
        assert all(0 <= s <= 20 for s in sleeps)
        assert_fresh_jtis(fake)
        assert "\n" not in str(exc)
        if isinstance(exc, st.ServiceError):
            assert exc.status == status
            assert exc.request_id is not None and str(uuid.UUID(exc.request_id)) == exc.request_id
            if error is not None:
                assert exc.error == st.OAuth2ErrorCode(error)
            if fault[0] == "status" and fault[2] is not None:
                assert exc.error_type == fault[2]
        elif isinstance(exc, st.TransportError):
            assert exc.__cause__ is not None
        else:
            assert isinstance(exc, st.InvalidResponseError)
            assert exc.status == status

    @pytest.mark.parametrize(
        ("retry_after", "sleeps_expected"),
        [("0", [0.0, 0.0]), ("7", [7.0, 7.0]), ("20", [20.0, 20.0]), ("21", None), ("  3 ", [3.0, 3.0])],
    )
    def test_retry_after_is_honoured(
        self, fake: FakeSignin, retry_after: str, sleeps_expected: list[float] | None
    ) -> None:
        sleeps: list[float] = []
        client = st.SigninClient(endpoint_url=fake.url, sleep=sleeps.append)
        key = st.DPoPKey.generate()
        fault = ("status", 429, "TooManyRequestsError", "INVALID_REQUEST", {"Retry-After": retry_after})
        fake.faults = [fault, fault]
        request = refresh_request(fake, key)
        if sleeps_expected is None:  # longer than the 20 s cap: give up at once
            with pytest.raises(st.TooManyRequestsError):
                client.create_oauth2_token(request, key)
            assert sleeps == []
            assert len(fake.token_calls()) == 1
        else:
            out = client.create_oauth2_token(request, key).token_output
            assert out.refresh_token is not None
            assert sleeps == sleeps_expected
            assert len(fake.token_calls()) == 3

    def test_retry_after_http_date(self, fake: FakeSignin) -> None:
        sleeps: list[float] = []
        client = st.SigninClient(endpoint_url=fake.url, sleep=sleeps.append)
        key = st.DPoPKey.generate()
        when = formatdate(time.time() + 10, usegmt=True)
        fake.faults = [("status", 503, None, None, {"Retry-After": when})]
        client.create_oauth2_token(refresh_request(fake, key), key)
        assert len(sleeps) == 1 and 7 <= sleeps[0] <= 11

    @pytest.mark.parametrize(
        "faults",
        [
            [("reset",), ("status", 503, None, None)],
            [("reset-mid",), ("status", 500, "InternalServerException", "server_error")],
            [("sleep", 1.6), ("status", 429, "TooManyRequestsError", "INVALID_REQUEST")],
        ],
        ids=["reset-503", "resetmid-500", "timeout-429"],
    )
    def test_refresh_recovers_after_transient_faults(
        self, fake: FakeSignin, aws_env: dict[str, str], faults: list[tuple[Any, ...]], signed_in: Path
    ) -> None:
        path = signed_in
        fake.faults = list(faults)
        sleeps: list[float] = []
        code, _, err = run_main(["refresh", "--force", "--timeout", "1"], sleep=sleeps.append)
        assert code == 0, err
        assert len(sleeps) == 2
        assert len(fake.token_calls()) == 3
        assert_fresh_jtis(fake)
        entry = json.loads(path.read_text())
        assert entry["refreshToken"] in fake.refresh_tokens
        assert not list(path.parent.glob("*.tmp"))

    def test_code_redemption_never_retried_even_when_transient(self, fake: FakeSignin) -> None:
        sleeps: list[float] = []
        client = st.SigninClient(endpoint_url=fake.url, sleep=sleeps.append, max_attempts=10)
        key = st.DPoPKey.generate()
        request, _, _ = code_request(fake, DISCARD_REDIRECT_URI)
        fake.faults = [("status", 503, None, None)]
        with pytest.raises(st.ServiceError):
            client.create_oauth2_token(request, key)
        assert len(fake.token_calls()) == 1 and sleeps == []
        # The code was never consumed by the fault, so it still works once.
        out = client.create_oauth2_token(request, key).token_output
        assert out.id_token is not None


class TestClockSkew:
    """PROTOCOL.md §11 ("a wrong local clock has caused expired errors") and §6 (iat): a
    proof refused as expired by a server whose Date is more than 60 s away is retried once
    with iat corrected, the user is told, and expiry times follow the server's clock."""

    @pytest.mark.parametrize("offset", [600, -600])
    def test_refresh(self, fake: FakeSignin, aws_env: dict[str, str], offset: int) -> None:
        fake.clock_offset = offset
        path = write_session(aws_env, fake)
        result = run_here(["refresh", "--force"], aws_env)
        assert result.returncode == 0, result.stderr
        done = time.time()
        assert 595 <= skew_seconds(result.stderr) <= 605
        assert ("behind" if offset > 0 else "ahead of") in result.stderr
        calls = fake.token_calls()
        assert len(calls) == 2 and all(c["grant"] == "refresh_token" for c in calls)
        first, second = (proof_claims(c) for c in calls)
        assert abs(first["iat"] - calls[0]["time"]) <= 5
        assert abs(second["iat"] - (calls[1]["time"] + offset)) <= 5
        assert first["jti"] != second["jti"]
        assert abs(cached_expiry(path) - (done + offset + fake.expires_in)) <= 5
        assert json.loads(path.read_text())["refreshToken"] in fake.refresh_tokens

    @pytest.mark.parametrize("offset", [600, -600])
    def test_code_redemption_token_command(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, offset: int
    ) -> None:
        fake.clock_offset = offset
        key_file = tmp_path / "key.pem"
        key_file.write_text(st.DPoPKey.generate().to_pem())
        _, code_value, verifier = code_request(fake, DISCARD_REDIRECT_URI)
        result = run_here(
            token_code_argv(fake.url, key_file, code_value, verifier, DISCARD_REDIRECT_URI), aws_env
        )
        assert result.returncode == 0, result.stderr
        assert 595 <= skew_seconds(result.stderr) <= 605
        assert len(fake.token_calls()) == 2
        assert json.loads(result.stdout)["idToken"]

    @pytest.mark.parametrize("offset", [600, -600])
    def test_code_redemption_login(self, fake: FakeSignin, aws_env: dict[str, str], offset: int) -> None:
        fake.clock_offset = offset
        env = login_env(aws_env, fake)
        with login_process(["login", "--remote"], env, pipe_stdin=True) as h:
            status, pasted = browser_follow(login_url(h))
            assert status == 200
            rc, _, err = login_finish(h, pasted + "\n", timeout=30)
        done = time.time()
        assert rc == 0, err
        assert 595 <= skew_seconds(err) <= 605
        assert len(fake.token_calls("authorization_code")) == 2
        cache = cache_path(env)
        assert abs(cached_expiry(cache) - (done + offset + fake.expires_in)) <= 5

    @pytest.mark.parametrize("grant", ["refresh", "code"])
    def test_api_reports_offset(self, fake: FakeSignin, grant: str) -> None:
        fake.clock_offset = 600
        offsets: list[float] = []
        client = st.SigninClient(endpoint_url=fake.url, on_clock_skew=offsets.append, sleep=lambda s: None)
        key = st.DPoPKey.generate()
        request = (
            refresh_request(fake, key) if grant == "refresh" else code_request(fake, DISCARD_REDIRECT_URI)[0]
        )
        client.create_oauth2_token(request, key)
        assert len(offsets) == 1 and 595 <= offsets[0] <= 605
        assert 595 <= client.clock_offset <= 605
        assert abs(client.now() - fake.now()) <= 5
        assert len(fake.token_calls()) == 2

    @pytest.mark.parametrize(
        ("offset", "fault", "exit_code"),
        [
            (30, ("status", 401, "AccessDeniedException", "TOKEN_EXPIRED"), 3),
            (-45, ("status", 401, "AccessDeniedException", "TOKEN_EXPIRED"), 3),
            (600, ("status", 403, "AccessDeniedException", "INSUFFICIENT_PERMISSIONS"), 1),
            (600, ("status", 403, "AccessDeniedException", "USER_CREDENTIALS_CHANGED"), 3),
            (30, None, 0),
        ],
        ids=["30s-expired", "-45s-expired", "600s-permissions", "600s-credentials-changed", "30s-ok"],
    )
    def test_no_skew_retry(
        self,
        fake: FakeSignin,
        aws_env: dict[str, str],
        offset: int,
        fault: tuple[Any, ...] | None,
        exit_code: int,
    ) -> None:
        fake.clock_offset = offset
        path = write_session(aws_env, fake)
        before = path.read_bytes()
        fake.faults = [fault] if fault else []
        result = run_here(["refresh", "--force"], aws_env)
        assert result.returncode == exit_code, result.stderr
        assert "clock" not in result.stderr
        assert len(fake.token_calls()) == 1
        if fault:
            assert path.read_bytes() == before

    def test_only_one_skew_retry(self, fake: FakeSignin) -> None:
        """A server that keeps refusing: one corrected retry, then the error."""
        fake.clock_offset = 600
        fake.faults = [("pass",), ("status", 401, "AccessDeniedException", "TOKEN_EXPIRED")]
        client = st.SigninClient(endpoint_url=fake.url, sleep=lambda s: None)
        key = st.DPoPKey.generate()
        with pytest.raises(st.AccessDeniedException):
            client.create_oauth2_token(code_request(fake, DISCARD_REDIRECT_URI)[0], key)
        assert len(fake.token_calls()) == 2

    def test_warning_goes_to_main_stderr(
        self, fake: FakeSignin, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        fake.clock_offset = 600
        write_session(aws_env, fake)
        code, _, err = run_main(["refresh", "--force"])
        capsys.readouterr()
        assert code == 0
        assert "clock is off" in err


class TestClientAsyncio:
    """SigninClient.create_oauth2_token_async: the same requests, results, retries and errors
    as the blocking call (one sans-IO core, two drivers); the loop never blocks; cancelling
    closes the connection at once and leaves no thread; TLS always verified; proxies as urllib."""

    @pytest.mark.parametrize("body_format", ["json", "form"])
    def test_refresh_same_as_blocking(self, fake: FakeSignin, body_format: str) -> None:
        key = st.DPoPKey.generate()
        client = fake_client(fake)
        outs = [
            drive(client, refresh_request(fake, key), key, use_async, body_format=body_format)
            for use_async in (False, True)
        ]
        for out in outs:
            body = out.token_output
            assert isinstance(out, st.CreateOAuth2TokenResponse)
            assert body.token_type == TOKEN_TYPE and body.expires_in == 900 and body.id_token is None
            assert body.refresh_token in fake.refresh_tokens  # issued, bound to the key
            assert body.access_token.secret_access_key.startswith("sk-")
        sync_rec, async_rec = fake.token_calls("refresh_token")
        assert set(sync_rec["json"]) == set(async_rec["json"]) == {"clientId", "grantType", "refreshToken"}
        assert {k.lower() for k in sync_rec["headers"]} == {k.lower() for k in async_rec["headers"]}
        for name in ("Content-Type", "Accept", "User-Agent", "Connection", "Host"):
            assert request_header(sync_rec, name) == request_header(async_rec, name), name
        assert proof_claims(async_rec)["htu"] == fake.token_url and async_rec["jkt"] == key.thumbprint()
        # The rotated token refreshes again through the asyncio driver.
        again = st.CreateOAuth2TokenRequest(
            st.CreateOAuth2TokenRequestBody(
                client_id=st.SAME_DEVICE_CLIENT_ID,
                grant_type="refresh_token",
                refresh_token=outs[1].token_output.refresh_token,
            )
        )
        assert drive(client, again, key, True).token_output.refresh_token in fake.refresh_tokens

    def test_code_redemption_same_as_blocking(self, fake: FakeSignin) -> None:
        client = fake_client(fake)
        results = []
        for use_async in (False, True):
            key = st.DPoPKey.generate()
            request, _, _ = code_request(fake, REDIRECT_URI)
            out = drive(client, request, key, use_async).token_output
            assert out.id_token is not None and out.refresh_token is not None
            assert fake.refresh_tokens[out.refresh_token]["jkt"] == key.thumbprint()
            # A code is single use: the replay is refused the same way by both drivers.
            results.append(outcome(lambda: drive(client, request, key, use_async)))  # noqa: B023
        assert results[0] == results[1] and results[0][0] == "ValidationException", results

    @pytest.mark.parametrize(
        ("grant", "faults", "expected", "requests"),
        [
            ("refresh", [("status", 500, "InternalServerException", "server_error")] * 2, "ok", 3),
            ("refresh", [("reset",)], "ok", 2),
            (
                "refresh",
                [("status", 429, "TooManyRequestsError", "INVALID_REQUEST")] * 3,
                "TooManyRequestsError",
                3,
            ),
            ("refresh", [("status", 503, "", "server_error", {"Retry-After": "21"})], "ServiceError", 1),
            (
                "refresh",
                [("status", 400, "ValidationException", "INVALID_REQUEST")],
                "ValidationException",
                1,
            ),
            ("refresh", [("redirect",)], "InvalidResponseError", 1),
            ("refresh", [("huge",)], "InvalidResponseError", 1),
            (
                "code",
                [("status", 500, "InternalServerException", "server_error")],
                "InternalServerException",
                1,
            ),
            ("code", [("reset",)], "TransportError", 1),
        ],
        ids=[
            "500-500-ok",
            "reset-ok",
            "429x3",
            "retry-after-21",
            "400",
            "redirect",
            "huge",
            "code-500",
            "code-reset",
        ],
    )
    def test_retries_same_as_blocking(
        self, fake: FakeSignin, grant: str, faults: list[tuple[Any, ...]], expected: str, requests: int
    ) -> None:
        seen = []
        for use_async in (False, True):
            fake.requests.clear()
            fake.faults[:] = list(faults)
            key = st.DPoPKey.generate()
            request = (
                refresh_request(fake, key) if grant == "refresh" else code_request(fake, REDIRECT_URI)[0]
            )
            kind, message = outcome(lambda: drive(fake_client(fake), request, key, use_async))  # noqa: B023
            assert kind == expected, message
            assert len(fake.requests) == requests
            assert_fresh_jtis(fake)  # a new proof per attempt
            seen.append(message)
        assert seen[0] == seen[1]

    def test_clock_skew_retry(self, fake: FakeSignin) -> None:
        fake.clock_offset = 600.0
        offsets: list[float] = []
        key = st.DPoPKey.generate()
        client = st.SigninClient(endpoint_url=fake.url, environ={}, on_clock_skew=offsets.append)
        out = drive(client, refresh_request(fake, key), key, True)
        assert out.token_output.refresh_token in fake.refresh_tokens
        assert len(fake.requests) == 2 and len(offsets) == 1 and abs(offsets[0] - 600) < 5
        assert abs(client.clock_offset - 600) < 5

    def test_loop_keeps_ticking_while_waiting(self) -> None:
        fake = FakeSignin()
        try:
            fake.faults.append(("delay", 1.5))
            key = st.DPoPKey.generate()
            client = fake_client(fake)
            request = refresh_request(fake, key)

            out, ticks = beside_a_ticker(lambda: client.create_oauth2_token_async(request, key))
        finally:
            fake.close()
        assert out.token_output.refresh_token in fake.refresh_tokens
        assert_kept_ticking(ticks)

    @pytest.mark.parametrize("how", ["wait_for", "cancel"])
    def test_cancel_closes_connection_and_leaves_no_thread(self, how: str) -> None:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        state = {"request": threading.Event(), "closed": threading.Event(), "gave_up": threading.Event()}

        def hang() -> None:  # read the request, answer nothing, watch for the client's close
            server.settimeout(20)
            with contextlib.suppress(OSError):
                conn, _ = server.accept()
                with conn:
                    conn.settimeout(20)
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += conn.recv(65536)
                    state["request"].set()
                    try:
                        while conn.recv(65536):
                            pass
                        state["closed"].set()
                    except socket.timeout:
                        state["gave_up"].set()

        before = set(threading.enumerate())
        thread = threading.Thread(target=hang, daemon=True)
        thread.start()
        client = st.SigninClient(endpoint_url=f"http://127.0.0.1:{server.getsockname()[1]}", environ={})
        key = st.DPoPKey.generate()
        request = st.CreateOAuth2TokenRequest(st.CreateOAuth2TokenRequestBody(**REFRESH_MEMBERS))

        async def main() -> None:
            call = client.create_oauth2_token_async(request, key)
            if how == "wait_for":
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(call, 0.3)
                return
            task = asyncio.ensure_future(call)
            while not state["request"].is_set():
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        try:
            asyncio.run(main())
            thread.join(25)
        finally:
            server.close()
        assert state["request"].is_set()
        assert state["closed"].is_set() and not state["gave_up"].is_set()  # closed, not waited out
        assert [t for t in threading.enumerate() if t not in before and t is not thread] == []

    def test_timeout_against_the_fake_then_the_loop_goes_on(self, fake: FakeSignin) -> None:
        fake.faults.append(("sleep", 30))
        key = st.DPoPKey.generate()
        client = fake_client(fake)

        async def main() -> st.CreateOAuth2TokenResponse:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.create_oauth2_token_async(refresh_request(fake, key), key), 0.3)
            return await client.create_oauth2_token_async(refresh_request(fake, key), key)

        assert asyncio.run(main()).token_output.refresh_token in fake.refresh_tokens
        assert len(fake.requests) == 2

    def test_own_timeout_same_error_as_blocking(self) -> None:
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(4)
            client = st.SigninClient(
                endpoint_url=f"http://127.0.0.1:{server.getsockname()[1]}",
                environ={},
                timeout=0.5,
                max_attempts=1,
            )
            key = st.DPoPKey.generate()
            request = st.CreateOAuth2TokenRequest(st.CreateOAuth2TokenRequestBody(**REFRESH_MEMBERS))
            results = [outcome(lambda: drive(client, request, key, a)) for a in (False, True)]  # noqa: B023
        assert (
            results[0]
            == results[1]
            == ("TransportError", f"request to {client.endpoint} timed out after 0.5 s")
        )

    @pytest.mark.parametrize(
        "mode", [m for m in HostileServer.MODES if m not in ("status", "header")] + ["refused"]
    )
    def test_transport_errors_same_text_as_blocking(self, mode: str) -> None:
        server = HostileServer("silent" if mode == "refused" else mode)
        if mode == "refused":
            server.close()
        try:
            client = st.SigninClient(endpoint_url=server.url, environ={}, max_attempts=1)
            key = st.DPoPKey.generate()
            request = st.CreateOAuth2TokenRequest(st.CreateOAuth2TokenRequestBody(**REFRESH_MEMBERS))
            results = [outcome(lambda: drive(client, request, key, a)) for a in (False, True)]  # noqa: B023
        finally:
            server.close()
        assert results[0] == results[1], results
        if mode == "refused":
            assert results[0][1].endswith("Connection refused"), results

    def test_hostile_echo_of_a_refresh_redacted(self) -> None:
        server = HostileServer("status")
        try:
            token = "rt-ASYNC-HOSTILE-" + uuid.uuid4().hex
            key = st.DPoPKey.generate()
            client = st.SigninClient(endpoint_url=server.url, environ={})
            exc = TestTransportRedaction.refresh(client, token, key, use_async=True)
            assert len(server.received) == 3  # a refresh is retried on transport errors
            hostile_check_exception(exc, server, hostile_secrets(server, token))
        finally:
            server.close()

    def test_https_verified_with_the_ca_bundle(self, tls_files: dict[str, Path]) -> None:
        fake = TLSFakeSignin(tls_files["cert"], tls_files["key"])
        try:
            client = st.SigninClient(endpoint_url=fake.url, environ={}, ca_bundle=str(tls_files["ca"]))
            for use_async in (False, True, True):
                key = st.DPoPKey.generate()
                out = drive(client, refresh_request(fake, key), key, use_async)
                assert out.token_output.refresh_token in fake.refresh_tokens
            context = st._tls_context(str(tls_files["ca"]))  # what both drivers verify with
            assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        finally:
            fake.close()

    def test_https_with_a_bad_ca_bundle(self, tls_files: dict[str, Path]) -> None:
        fake = TLSFakeSignin(tls_files["cert"], tls_files["key"])
        try:
            key = st.DPoPKey.generate()
            results = []
            for use_async in (False, True):
                client = st.SigninClient(
                    endpoint_url=fake.url, environ={}, ca_bundle=str(tls_files["other-ca"]), max_attempts=1
                )
                results.append(outcome(lambda: drive(client, refresh_request(fake, key), key, use_async)))  # noqa: B023
            missing = []
            for use_async in (False, True):
                client = st.SigninClient(
                    endpoint_url=fake.url, environ={}, ca_bundle=str(tls_files["ca"]) + ".gone"
                )
                missing.append(outcome(lambda: drive(client, refresh_request(fake, key), key, use_async))[0])  # noqa: B023
        finally:
            fake.close()
        assert results[0] == results[1], results
        assert results[0][0] == "TransportError" and "CERTIFICATE_VERIFY_FAILED" in results[0][1], results
        assert missing == ["FileNotFoundError", "FileNotFoundError"]
        assert fake.token_calls() == []

    def test_https_through_a_connect_proxy(
        self, tls_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        fake = TLSFakeSignin(tls_files["cert"], tls_files["key"], PROXIED_HOST, default_port=True)
        proxy = RecordingProxy(upstream=fake.port)
        try:
            for name in ("no_proxy", "NO_PROXY", "http_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
                monkeypatch.delenv(name, raising=False)
            monkeypatch.setenv("https_proxy", f"http://proxy-user:pr0xy-pa55word@127.0.0.1:{proxy.port}")
            client = st.SigninClient(endpoint_url=fake.url, environ={}, ca_bundle=str(tls_files["ca"]))
            for use_async in (False, True):
                key = st.DPoPKey.generate()
                assert drive(client, refresh_request(fake, key), key, use_async).token_output.refresh_token
        finally:
            proxy.close()
            fake.close()
        assert len(proxy.heads) == 2
        authorization = "Basic " + base64.b64encode(b"proxy-user:pr0xy-pa55word").decode()
        for head in proxy.heads:
            lines = head.decode().split("\r\n")
            assert re.fullmatch(rf"CONNECT {PROXIED_HOST}:443 HTTP/1\.[01]", lines[0]), lines
            assert f"proxy-authorization: {authorization}".lower() in [line.lower() for line in lines], lines

    def test_proxy_refusal_echoing_credentials_redacted(self, monkeypatch: pytest.MonkeyPatch) -> None:
        proxy = RecordingProxy(refusal=b"HTTP/1.1 407 {echo}\r\nContent-Length: 0\r\n\r\n")
        try:
            for name in ("no_proxy", "NO_PROXY"):
                monkeypatch.delenv(name, raising=False)
            monkeypatch.setenv("https_proxy", f"http://proxy-user:pr0xy-pa55word@127.0.0.1:{proxy.port}")
            client = st.SigninClient(endpoint_url=f"https://{PROXIED_HOST}", environ={}, max_attempts=1)
            key = st.DPoPKey.generate()
            request = st.CreateOAuth2TokenRequest(st.CreateOAuth2TokenRequestBody(**REFRESH_MEMBERS))
            errors = []
            for use_async in (False, True):
                with pytest.raises(st.TransportError) as info:
                    drive(client, request, key, use_async)
                errors.append(info.value)
        finally:
            proxy.close()
        assert len(proxy.heads) == 2
        credentials = base64.b64encode(b"proxy-user:pr0xy-pa55word").decode()
        for exc in errors:
            assert "failed: Tunnel connection failed: 407 CONNECT" in str(exc), str(exc)
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            assert leaked(text + repr(exc.__cause__), {"pr0xy-pa55word", credentials}) == [], text

    def test_http_through_a_proxy_uses_the_absolute_url(self, monkeypatch: pytest.MonkeyPatch) -> None:
        body = b'{"ok": true}'
        proxy = RecordingProxy(reply=b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        try:
            for name in ("no_proxy", "NO_PROXY"):
                monkeypatch.delenv(name, raising=False)
            monkeypatch.setenv("http_proxy", proxy.url)
            url = f"http://{PROXIED_HOST}/v1/token"
            kw: dict[str, Any] = {"timeout": 10, "ca_bundle": None}
            responses = [
                st._http_post(url, b"{}", {"Content-Type": "application/json"}, **kw),
                asyncio.run(st._http_post_async(url, b"{}", {"Content-Type": "application/json"}, **kw)),
            ]
        finally:
            proxy.close()
        assert [(r.status, r.body) for r in responses] == [(200, body), (200, body)]
        assert [h.split(b"\r\n")[0] for h in proxy.heads] == [f"POST {url} HTTP/1.1".encode()] * 2

    def test_loopback_never_proxied(self, fake: FakeSignin, monkeypatch: pytest.MonkeyPatch) -> None:
        proxy = RecordingProxy(refusal=b"HTTP/1.1 403 no\r\n\r\n", reply=b"HTTP/1.1 403 no\r\n\r\n")
        try:
            monkeypatch.setenv("http_proxy", proxy.url)
            monkeypatch.setenv("https_proxy", proxy.url)
            key = st.DPoPKey.generate()
            assert drive(fake_client(fake), refresh_request(fake, key), key, True).token_output.refresh_token
        finally:
            proxy.close()
        assert proxy.heads == []


class TestClientDebugEvents:
    """SigninClient's ``on_event`` and the CLI's --debug: for each HTTP attempt of the token
    call one ``debug:`` line with the method, URL, attempt number, status and request id (or the
    transport failure), elapsed time and the retry decision (PROTOCOL.md §11), redacted like
    the errors; nothing without --debug."""

    def test_500_then_200_shows_both_attempts_with_backoff(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        write_session(aws_env, fake)
        fake.faults = [("status", 500, "InternalServerException", "SERVER_ERROR")]
        code, _, err = run_main(["refresh", "--force", "--debug"])
        assert code == 0, err
        lines = debug_attempt_lines(err)
        assert len(lines) == 2, err
        url = re.escape(fake.token_url)
        first = re.fullmatch(
            rf"debug: POST {url} attempt 1/3: HTTP 500 Internal Server Error, request id ({REQUEST_ID_RE}), "
            r"(\d+) ms; retrying in ([0-9.]+) s \(retryable status; backoff with jitter\)",
            lines[0],
        )
        assert first, lines
        assert 0 <= float(first[3]) <= 0.5  # the first backoff: full jitter over [0, 0.5 s]
        second = re.fullmatch(
            rf"debug: POST {url} attempt 2/3: HTTP 200 OK, request id ({REQUEST_ID_RE}), (\d+) ms", lines[1]
        )
        assert second, lines
        assert first[1] != second[1]
        assert len(fake.token_calls()) == 2

    @pytest.mark.parametrize(
        ("retry_after", "decision", "exit_code", "calls"),
        [
            ("1", "retrying in 1.000 s (Retry-After honoured)", 0, 2),
            ("30", "not retried: Retry-After asks for 30 s, over the 20 s cap, so not waiting", 1, 1),
        ],
    )
    def test_retry_after(
        self,
        fake: FakeSignin,
        aws_env: dict[str, str],
        retry_after: str,
        decision: str,
        exit_code: int,
        calls: int,
    ) -> None:
        write_session(aws_env, fake)
        fake.faults = [("status", 429, "TooManyRequestsError", "SLOW_DOWN", {"Retry-After": retry_after})]
        code, _, err = run_main(["refresh", "--force", "--debug"])
        assert code == exit_code, err
        lines = debug_attempt_lines(err)
        assert len(lines) == calls == len(fake.token_calls()), err
        assert " attempt 1/3: HTTP 429 Too Many Requests, request id " in lines[0]
        assert lines[0].endswith(f" ms; {decision}"), lines

    @pytest.mark.parametrize(
        ("faults", "decisions"),
        [
            (
                [("status", 503, "", "UNAVAILABLE")] * 3,
                ["retrying in", "retrying in", "not retried: last attempt"],
            ),
            (
                [("status", 403, "AccessDeniedException", "ACCESS_DENIED")],
                ["not retried: HTTP 403 is not a retryable status"],
            ),
        ],
        ids=["last-attempt", "not-retryable"],
    )
    def test_why_the_last_attempt_is_the_last(
        self, fake: FakeSignin, aws_env: dict[str, str], faults: list[tuple[Any, ...]], decisions: list[str]
    ) -> None:
        write_session(aws_env, fake)
        fake.faults = list(faults)
        code, _, err = run_main(["refresh", "--force", "--debug"])
        assert code != 0, err
        lines = debug_attempt_lines(err)
        assert len(lines) == len(decisions), err
        for n, (line, decision) in enumerate(zip(lines, decisions), 1):
            assert f" attempt {n}/3: HTTP " in line, lines
            assert line.split(" ms; ", 1)[1].startswith(decision), lines
        assert len(fake.token_calls()) == len(decisions)

    def test_code_redemption_refused_with_500_is_not_retried(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        key_file = tmp_path / "key.pem"
        key_file.write_text(st.DPoPKey.generate().to_pem())
        _, code_value, verifier = code_request(fake, DISCARD_REDIRECT_URI)
        fake.faults = [("status", 500, "InternalServerException", "SERVER_ERROR")] * 3
        code, out, err = run_main(debug_redemption_argv(fake.url, key_file, code_value, verifier))
        assert code == 1 and out == "", err
        assert_one_attempt_line(
            err,
            rf"debug: POST {re.escape(fake.token_url)} attempt 1/1: HTTP 500 Internal Server Error, "
            rf"request id {REQUEST_ID_RE}, \d+ ms; not retried: code redemptions are never retried",
        )
        assert len(fake.token_calls()) == 1

    def test_transport_failure_shows_the_failure_and_the_retries(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        write_session(aws_env, fake)
        dead = f"http://127.0.0.1:{free_port()}"  # nobody listens there
        os.environ["AWS_ENDPOINT_URL_SIGNIN"] = dead  # restored by aws_env
        code, _, err = run_main(["refresh", "--force", "--debug", "--timeout", "5"])
        assert code == 1, err
        lines = debug_attempt_lines(err)
        assert len(lines) == 3, err
        for n, line in enumerate(lines, 1):
            match = re.fullmatch(
                rf"debug: POST {re.escape(dead)}/v1/token attempt {n}/3: transport failure: request to "
                rf"{re.escape(dead)} failed: (.+), \d+ ms; (.+)",
                line,
            )
            assert match, lines
            assert "refused" in match[1].lower(), line
            if n < 3:
                assert re.fullmatch(r"retrying in [0-9.]+ s \(backoff with jitter\)", match[2]), line
            else:
                assert match[2] == "not retried: last attempt"
        assert fake.token_calls() == []

    @pytest.mark.parametrize("offset", [600, -600])
    def test_clock_skew_retry_is_reported(
        self, fake: FakeSignin, aws_env: dict[str, str], offset: int
    ) -> None:
        fake.clock_offset = offset
        write_session(aws_env, fake)
        code, _, err = run_main(["refresh", "--force", "--debug"])
        assert code == 0, err
        lines = debug_attempt_lines(err)
        assert len(lines) == 2, err
        first = re.fullmatch(
            rf"debug: POST \S+ attempt 1/3: HTTP 401 Unauthorized, request id {REQUEST_ID_RE}, \d+ ms; "
            r"clock-skew retry: the server's Date is ([+-]\d+) s from this clock; "
            r"retrying at once with iat corrected by that offset",
            lines[0],
        )
        assert first, lines
        assert abs(int(first[1]) - offset) <= 5
        assert re.fullmatch(
            rf"debug: POST \S+ attempt 1/3 \(clock corrected\): HTTP 200 OK, "
            rf"request id {REQUEST_ID_RE}, \d+ ms",
            lines[1],
        ), lines

    def test_no_secret_in_the_debug_output(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        key = st.DPoPKey.generate()
        path = write_session(aws_env, fake, key=key)
        old = json.loads(path.read_text())
        secrets_ = {old["refreshToken"], *key_secrets(key.to_pem())}
        # A request id echoing the refresh token (the fake's own id comes first: the last one counts).
        fake.faults = [
            ("status", 500, "", "SERVER_ERROR", {"x-amzn-RequestId": f"echo-{old['refreshToken']}"})
        ]
        code, _, refresh_err = run_main(["refresh", "--force", "--debug"])
        assert code == 0, refresh_err
        new = json.loads(path.read_text())
        secrets_ |= {
            new["refreshToken"],
            new["accessToken"]["secretAccessKey"],
            new["accessToken"]["sessionToken"],
        }
        # A code redemption whose request id echoes the code and the verifier.
        key_file = tmp_path / "key.pem"
        key_file.write_text(key.to_pem())
        _, code_value, verifier = code_request(fake, DISCARD_REDIRECT_URI)
        secrets_ |= {code_value, verifier}
        fake.faults = [("status", 500, "", "SERVER_ERROR", {"x-amzn-RequestId": f"{code_value}.{verifier}"})]
        code, _, token_err = run_main(debug_redemption_argv(fake.url, key_file, code_value, verifier))
        assert code == 1, token_err
        _, code_value, verifier = code_request(fake, DISCARD_REDIRECT_URI)
        secrets_ |= {code_value, verifier}
        code, out, ok_err = run_main(debug_redemption_argv(fake.url, key_file, code_value, verifier))
        assert code == 0, ok_err
        issued = json.loads(out)
        secrets_ |= {issued["refreshToken"], issued["accessToken"]["secretAccessKey"]}
        secrets_ |= {issued["accessToken"]["sessionToken"], issued["idToken"]}
        proofs = {request_header(record, "DPoP") for record in fake.token_calls()}
        assert len(proofs) == 4  # two refresh attempts, two code redemptions
        secrets_ |= proofs
        err = refresh_err + token_err + ok_err
        assert len(debug_attempt_lines(err)) == 4, err
        assert leaked(err, secrets_) == [], err
        assert "request id echo-***, " in debug_attempt_lines(refresh_err)[0]
        assert "request id ***.***, " in debug_attempt_lines(token_err)[0]

    def test_blocking_and_asyncio_report_alike(self, fake: FakeSignin) -> None:
        key = st.DPoPKey.generate()
        reports = []
        for use_async in (False, True):
            events: list[str] = []
            client = fake_client(fake, on_event=events.append)
            fake.faults = [("status", 502, "", "BAD_GATEWAY"), ("reset",)]
            drive(client, refresh_request(fake, key), key, use_async)
            numbers = r"(?<=request id )[^,]+|\d+(?= ms)|(?<=retrying in )[0-9.]+"
            reports.append([re.sub(numbers, "N", event) for event in events])
        assert len(reports[0]) == 3, reports
        assert reports[0] == reports[1], reports
        assert [re.search(r" attempt \d/3: \w+", e)[0] for e in reports[0]] == [  # type: ignore[index]
            " attempt 1/3: HTTP",
            " attempt 2/3: transport",
            " attempt 3/3: HTTP",
        ]

    def test_without_debug_nothing_is_said(
        self, fake: FakeSignin, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        write_session(aws_env, fake)
        fake.faults = [("status", 500, "", "SERVER_ERROR")]
        code, _, err = run_main(["refresh", "--force"])
        assert code == 0, err
        assert "debug:" not in err
        assert len(fake.token_calls()) == 2
        key = st.DPoPKey.generate()
        fake.faults = [("status", 500, "", "SERVER_ERROR")]
        fake_client(fake).create_oauth2_token(refresh_request(fake, key), key)  # no on_event
        captured = capsys.readouterr()
        assert captured.out == captured.err == ""

    @pytest.mark.parametrize("command", ["credentials", "refresh", "exec", "exec-static", "serve", "login"])
    def test_every_command_that_calls_the_service_reports(
        self, fake: FakeSignin, aws_env: dict[str, str], command: str
    ) -> None:
        attempts = "1/3"  # a refresh
        if command == "login":
            attempts = "1/1"  # a code redemption
            env = login_env(aws_env, fake)
            with login_process(["login", "--remote", "--debug", "--yes"], env, pipe_stdin=True) as h:
                status, pasted = browser_follow(login_url(h))
                assert status == 200
                rc, _, err = login_finish(h, pasted + "\n", timeout=60)
            assert rc == 0, err
        elif command == "serve":
            write_session(aws_env, fake, expires_in=60)  # due for a refresh
            with serving(aws_env, "--debug") as h:
                pass
            err = "".join(h.stderr)
        else:
            write_session(aws_env, fake, expires_in=60)
            argv = {
                "credentials": ["credentials", "--debug"],
                "refresh": ["refresh", "--debug"],
                "exec": ["exec", "--debug", "--", sys.executable, "-c", "pass"],
                "exec-static": ["exec", "--static", "--debug", "--", sys.executable, "-c", "pass"],
            }[command]
            result = run_here(argv, aws_env)
            assert result.returncode == 0, result.stderr
            err = result.stderr
        assert_one_attempt_line(
            err,
            rf"debug: POST {re.escape(fake.token_url)} attempt {attempts}: HTTP 200 OK, "
            rf"request id {REQUEST_ID_RE}, \d+ ms",
        )


API_KEYS = st.SigningCredentials(
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-TOKEN-SECRET-1"
)


class FakeApi:
    """A loopback Sign-In API: records each POST (path, query, headers, JSON body) and
    answers with the next scripted reply (status, JSON body or bytes, headers) or, when
    none is left, the operation's answer from ``API_OUTPUTS``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: list[tuple[int, Any, dict[str, str]]] = []
        self.lock = threading.Lock()
        routes = {op.path + (f"?{op.query}" if op.query else ""): name for name, op in st._OPERATIONS.items()}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path, _, query = self.path.partition("?")
                record = {
                    "operation": routes.get(self.path),
                    "path": path,
                    "query": query,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "raw": raw,
                    "body": json.loads(raw) if raw else None,
                }
                with outer.lock:
                    outer.requests.append(record)
                    reply = outer.replies.pop(0) if outer.replies else None
                if reply is None:
                    reply = (200, API_OUTPUTS.get(record["operation"] or "", {}), {})
                status, body, headers = reply
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header(
                    "x-amzn-RequestId", headers.pop("x-amzn-RequestId", "req-" + uuid.uuid4().hex[:8])
                )
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.005,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[FakeApi]:
    server = FakeApi()
    try:
        yield server
    finally:
        server.close()


def api_client(api: FakeApi, waits: list[float] | None = None, **kw: Any) -> st.SigninClient:
    sleep = waits.append if waits is not None else (lambda _s: None)
    kw.setdefault("credentials", API_KEYS)
    return st.SigninClient("us-east-1", endpoint_url=api.url, environ={}, sleep=sleep, **kw)


def api_request(name: str, **over: Any) -> Any:
    return getattr(st, st._OPERATIONS[name].input).from_dict(dict(API_INPUTS[name], **over), wire=False)


UUID4_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


class TestApiOperations:
    """Every operation through the one pipeline against a loopback fake: method, path and
    query of the model's requestUri, the body by wire names, SigV4 (or nothing for noAuth),
    the response parsed into the output class; the endpoint family per operation."""

    @pytest.mark.parametrize("name", API_OPERATIONS)
    def test_round_trip(self, api: FakeApi, name: str) -> None:
        op = st._OPERATIONS[name]
        client = api_client(api)
        out = getattr(client, op.python_name)(api_request(name))
        assert type(out) is getattr(st, op.output) and out.to_dict() == API_OUTPUTS[name]
        (got,) = api.requests
        uri = todays_model()["operations"][name]["http"]["requestUri"]
        assert got["operation"] == name and got["path"] + (f"?{got['query']}" if got["query"] else "") == uri
        expected = wire_form(todays_model()["shapes"], op.input, API_INPUTS[name])
        if op.idempotency and "clientToken" not in API_INPUTS[name]:
            assert re.fullmatch(UUID4_RE, got["body"].pop("clientToken"))
        assert got["body"] == expected
        headers = got["headers"]
        assert headers["content-type"] == "application/json" and "dpop" not in headers
        if op.auth == "sigv4":
            stamp = headers["x-amz-date"]
            assert headers["authorization"].startswith(
                f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{stamp[:8]}/us-east-1/signin/aws4_request, "
                "SignedHeaders="
            )
            assert headers["x-amz-security-token"] == API_KEYS.session_token
        else:
            assert "authorization" not in headers and "x-amz-security-token" not in headers

    def test_same_through_call_by_any_name_and_async(self, api: FakeApi) -> None:
        client = api_client(api)
        outs = [
            client.call(n, api_request("GetSession")) for n in ("GetSession", "get_session", "get-session")
        ]
        outs.append(asyncio.run(client.call_async("get-session", api_request("GetSession"))))
        assert all(out == outs[0] for out in outs) and len(api.requests) == 4
        with pytest.raises(st.ParamValidationError, match="operation: 'GetSessions' is not an operation"):
            client.call("GetSessions", api_request("GetSession"))

    def test_first_request_prepared_without_sending(self, api: FakeApi) -> None:
        client = api_client(api)
        step = client._first_request("revoke-oauth2-token-with-iam", api_request("RevokeOAuth2TokenWithIAM"))
        assert step.url == api.url + "/v1/revoke?x-amz-client-auth-method=iam"
        assert json.loads(step.body) == {"token": API_INPUTS["RevokeOAuth2TokenWithIAM"]["token"]}
        assert step.headers["X-Amz-Security-Token"] == API_KEYS.session_token
        assert step.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        assert {API_INPUTS["RevokeOAuth2TokenWithIAM"]["token"], API_KEYS.session_token} <= set(step.secrets)
        assert api.requests == []

    def test_async_cancel_closes_the_connection_at_once(self) -> None:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        seen = {"request": threading.Event(), "closed": threading.Event()}

        def hang() -> None:  # read the request, answer nothing, see the client close
            server.settimeout(20)
            with contextlib.suppress(OSError):
                conn, _ = server.accept()
                with conn:
                    conn.settimeout(20)
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += conn.recv(65536)
                    seen["request"].set()
                    while conn.recv(65536):
                        pass
                    seen["closed"].set()

        before = set(threading.enumerate())
        thread = threading.Thread(target=hang, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        client = st.SigninClient("us-east-1", endpoint_url=url, environ={}, credentials=API_KEYS)

        async def main() -> None:
            task = asyncio.ensure_future(client.call_async("ListSessions", st.ListSessionsInput()))
            while not seen["request"].is_set():
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        try:
            asyncio.run(main())
            thread.join(25)
        finally:
            server.close()
        assert seen["closed"].is_set()
        assert [t for t in threading.enumerate() if t not in before and t is not thread] == []

    def test_wrong_input_class_refused_before_io(self, api: FakeApi) -> None:
        with pytest.raises(TypeError, match="request must be GetSessionInput, not ListSessionsInput"):
            api_client(api).get_session(st.ListSessionsInput())  # type: ignore[arg-type]
        assert api.requests == []

    def test_sigv4_needs_a_region_and_credentials_before_io(self, api: FakeApi) -> None:
        client = st.SigninClient(endpoint_url=api.url, environ={}, credentials=API_KEYS)
        with pytest.raises(st.ParamValidationError, match="region: is required to sign ListSessions"):
            client.list_sessions(st.ListSessionsInput())
        calls: list[int] = []

        def keys() -> st.SigningCredentials:
            calls.append(1)
            return st.SigningCredentials("AKIDLAZY", "lazy-secret-key-123")

        client = api_client(api, credentials=keys)
        client.list_sessions(st.ListSessionsInput())
        client.create_oauth2_token_with_token_exchange(api_request("CreateOAuth2TokenWithTokenExchange"))
        assert calls == [1]  # asked once per signed call, never for noAuth
        assert "Credential=AKIDLAZY/" in api.requests[0]["headers"]["authorization"]
        assert "x-amz-security-token" not in api.requests[0]["headers"]

    def test_credentials_resolved_from_the_profile_on_first_use(
        self, api: FakeApi, aws_env: dict[str, str]
    ) -> None:
        aws = Path(aws_env["AWS_CONFIG_FILE"]).parent
        aws.mkdir(parents=True, exist_ok=True)
        Path(aws_env["AWS_CONFIG_FILE"]).write_text("[profile admin]\nregion = eu-west-1\n")
        creds = Path(aws_env["AWS_SHARED_CREDENTIALS_FILE"])
        creds.write_text(
            "[admin]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret-key-1\n"
        )
        creds.chmod(0o600)
        env = dict(aws_env, AWS_ACCESS_KEY_ID="AKIDENVIRONMENT", AWS_SECRET_ACCESS_KEY="environment-secret")
        client = st.SigninClient("eu-west-1", endpoint_url=api.url, environ=env, profile="admin")
        client.list_sessions(st.ListSessionsInput())  # an explicit profile skips the environment's keys
        assert "Credential=AKIDPROFILE/" in api.requests[0]["headers"]["authorization"]
        st.SigninClient("eu-west-1", endpoint_url=api.url, environ=env).list_sessions(st.ListSessionsInput())
        assert "Credential=AKIDENVIRONMENT/" in api.requests[1]["headers"]["authorization"]

    def test_no_credentials_is_a_clear_error_before_io(self, api: FakeApi, aws_env: dict[str, str]) -> None:
        client = st.SigninClient("eu-west-1", endpoint_url=api.url, environ=aws_env)
        with pytest.raises(st.LoginRequiredError, match="no AWS credentials for profile 'default'"):
            client.get_resource_policy(st.GetResourcePolicyInput())
        assert api.requests == []

    def test_endpoint_family_per_operation(self) -> None:
        client = st.SigninClient("eu-central-1", environ={}, credentials=API_KEYS)
        hosts = {name: client._url(op).split("/")[2] for name, op in st._OPERATIONS.items()}
        assert hosts["CreateOAuth2Token"] == "eu-central-1.signin.aws.amazon.com"
        assert hosts["ListSessions"] == hosts["BatchRevokeSessions"] == "signin.eu-central-1.api.aws"
        assert (
            hosts["RevokeOAuth2TokenWithIAM"] == hosts["CreateBearerToken"] == "eu-central-1.oauth.signin.aws"
        )
        for name, op in st._OPERATIONS.items():
            expected = st.resolve_endpoint(
                "eu-central-1",
                environ={},
                is_control_plane=op.context.get("IsControlPlane"),
                is_oauth_endpoint=op.context.get("IsOAuthEndpoint"),
            )
            assert client._url(op).startswith(expected + op.path), name

    def test_sensitive_values_never_in_debug_lines_or_errors(self, api: FakeApi) -> None:
        lines: list[str] = []
        request = api_request("RevokeOAuth2TokenWithIAM")
        api.replies.append((400, {"error": "INVALID_REQUEST", "message": f"bad token {request.token}"}, {}))
        with pytest.raises(st.ValidationException) as info:
            api_client(api, on_event=lines.append).revoke_oauth2_token_with_iam(request)
        text = "\n".join(lines) + str(info.value) + repr(info.value)
        for secret in (request.token, API_KEYS.secret_access_key, API_KEYS.session_token):
            assert secret not in text
        assert lines and "attempt 1/3" in lines[0]

    def test_malformed_response_redacted(self, api: FakeApi) -> None:
        api.replies.append((200, {"access_token": "leaky-SECRET-value-1", "token_type": "Bearer"}, {}))
        with pytest.raises(st.InvalidResponseError, match="malformed CreateBearerToken response: ") as info:
            api_client(api).create_bearer_token(api_request("CreateBearerToken"))
        assert "leaky-SECRET" not in str(info.value) and "expiresIn: is required" in str(info.value)


# Each modeled exception: (name, HTTP status the model gives it or a plausible one, code).
MODELED_ERRORS = [
    ("AccessDeniedException", 403, "INSUFFICIENT_PERMISSIONS"),
    ("ConflictException", 409, "CONFLICT"),
    ("InternalServerException", 500, "server_error"),
    ("InvalidGrantException", 400, "invalid_grant"),
    ("InvalidScopeException", 400, "invalid_scope"),
    ("ResourceNotFoundException", 404, "RESOURCE_NOT_FOUND"),
    ("ServiceQuotaExceededException", 402, "SERVICE_QUOTA_EXCEEDED"),
    ("ServiceUnavailableException", 503, "service_unavailable"),
    ("TooManyRequestsError", 429, "rate_exceeded"),
    ("ValidationException", 400, "invalid_request"),
]


class TestApiErrorsAndRetries:
    """Every modeled exception is its own class, chosen as rest-json does (x-amzn-ErrorType,
    then __type, then code) with code, status and request id; an unknown one is a generic
    ServiceError; 429/500/502/503/504 and transport errors retried with backoff up to
    max_attempts, any other status not; one idempotency token for every attempt."""

    def test_every_modeled_exception_has_its_class(self) -> None:
        names = {n for n, s in todays_model()["shapes"].items() if s.get("exception")}
        assert names == {name for name, _, _ in MODELED_ERRORS}
        for name in names:
            assert issubclass(getattr(st, name), st.ServiceError) and name in st.__all__

    @pytest.mark.parametrize(("name", "status", "code"), MODELED_ERRORS)
    @pytest.mark.parametrize("how", ["header", "__type", "code"])
    def test_chosen_as_rest_json(self, api: FakeApi, name: str, status: int, code: str, how: str) -> None:
        body: dict[str, Any] = {"error": code, "message": "refused"}
        headers = {"x-amzn-RequestId": "req-1234"}
        if how == "header":
            headers["x-amzn-ErrorType"] = f"{name}:http://internal.amazon.com/"
        else:
            body[how] = f"com.amazon.signin#{name}" if how == "__type" else name
        api.replies.extend([(status, body, dict(headers)) for _ in range(3)])
        with pytest.raises(st.ServiceError) as info:
            api_client(api, max_attempts=1).put_resource_permission_statement(
                api_request("PutResourcePermissionStatement")
            )
        exc = info.value
        assert type(exc) is getattr(st, name)
        assert (exc.error, exc.status, exc.request_id, exc.message) == (
            st.OAuth2ErrorCode(code),
            status,
            "req-1234",
            "refused",
        )
        assert str(exc) == f"{name} ({code}, HTTP {status}): refused [request id req-1234]"

    def test_unknown_error_type_stays_generic(self, api: FakeApi) -> None:
        api.replies.append((400, {"__type": "BrandNewException", "error": "brand_new", "message": "m"}, {}))
        with pytest.raises(st.ServiceError) as info:
            api_client(api).get_session(api_request("GetSession"))
        assert type(info.value) is st.ServiceError
        assert (info.value.error_type, info.value.error, info.value.status) == (
            "BrandNewException",
            "brand_new",
            400,
        )

    @pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
    def test_transient_statuses_retried_with_one_client_token(self, api: FakeApi, status: int) -> None:
        waits: list[float] = []
        api.replies.extend([(status, {"error": "server_error", "message": "busy"}, {})] * 2)
        request = api_request("DeleteResourcePermissionStatement")
        out = api_client(api, waits).delete_resource_permission_statement(request)
        assert out == st.DeleteResourcePermissionStatementOutput() and len(api.requests) == 3
        tokens = {r["body"]["clientToken"] for r in api.requests}
        assert len(tokens) == 1 and re.fullmatch(UUID4_RE, tokens.pop())
        assert len(waits) == 2 and 0 <= waits[0] <= 0.5 and 0 <= waits[1] <= 1.0
        assert request.client_token is None  # the caller's request is left as it was
        dates = [r["headers"]["authorization"] for r in api.requests]
        assert all(d.startswith("AWS4-HMAC-SHA256 ") for d in dates)  # each attempt signed

    def test_new_client_token_per_call_and_given_one_kept(self, api: FakeApi) -> None:
        client = api_client(api)
        for _ in range(2):
            client.delete_resource_permission_statement(api_request("DeleteResourcePermissionStatement"))
        client.put_resource_permission_statement(api_request("PutResourcePermissionStatement"))
        tokens = [r["body"]["clientToken"] for r in api.requests]
        assert tokens[0] != tokens[1] and tokens[2] == "caller-chosen-token"

    def test_gives_up_after_max_attempts(self, api: FakeApi) -> None:
        waits: list[float] = []
        reply = {"__type": "ServiceUnavailableException", "error": "service_unavailable", "message": "down"}
        api.replies.extend([(503, reply, {})] * 5)
        with pytest.raises(st.ServiceUnavailableException):
            api_client(api, waits, max_attempts=4).list_sessions(st.ListSessionsInput())
        assert len(api.requests) == 4 and len(waits) == 3

    @pytest.mark.parametrize(
        ("status", "name"),
        [
            (400, "ValidationException"),
            (403, "AccessDeniedException"),
            (404, "ResourceNotFoundException"),
            (409, "ConflictException"),
        ],
    )
    def test_other_4xx_not_retried(self, api: FakeApi, status: int, name: str) -> None:
        waits: list[float] = []
        api.replies.append((status, {"__type": name, "error": "INVALID_REQUEST", "message": "no"}, {}))
        with pytest.raises(getattr(st, name)):
            api_client(api, waits).get_session(api_request("GetSession"))
        assert len(api.requests) == 1 and waits == []

    def test_transport_errors_retried(self) -> None:
        server = HostileServer("reset")
        try:
            waits: list[float] = []
            client = st.SigninClient(
                "us-east-1", endpoint_url=server.url, environ={}, credentials=API_KEYS, sleep=waits.append
            )
            with pytest.raises(st.TransportError):
                client.get_session(api_request("GetSession"))
            assert len(server.received) == 3 and len(waits) == 2
        finally:
            server.close()

    def test_retry_after_honoured(self, api: FakeApi) -> None:
        waits: list[float] = []
        api.replies.append((429, {"error": "rate_exceeded", "message": "slow"}, {"Retry-After": "7"}))
        api_client(api, waits).get_resource_policy(st.GetResourcePolicyInput())
        assert waits == [7.0] and len(api.requests) == 2


class TestApiPagination:
    """ListSessions and ListResourcePermissionStatements (paginators-1.json): pages follow
    nextToken until a page has none; items run across pages; a repeated token is an error."""

    def session(self, n: int) -> dict[str, Any]:
        return dict(API_SESSION, sessionArn=f"{SESSION}-{n}")

    def test_sessions_across_pages(self, api: FakeApi) -> None:
        api.replies.extend(
            [
                (200, {"items": [self.session(1), self.session(2)], "nextToken": "page2"}, {}),
                (200, {"items": [self.session(3)], "nextToken": "page3"}, {}),
                (200, {"items": []}, {}),
            ]
        )
        client = api_client(api)
        items = list(client.list_sessions_items(st.ListSessionsInput(max_results=2, status="ACTIVE")))
        assert [s.session_arn for s in items] == [f"{SESSION}-{n}" for n in (1, 2, 3)]
        assert [r["body"] for r in api.requests] == [
            {"maxResults": 2, "status": "ACTIVE"},
            {"maxResults": 2, "status": "ACTIVE", "nextToken": "page2"},
            {"maxResults": 2, "status": "ACTIVE", "nextToken": "page3"},
        ]

    def test_pages_are_lazy_and_typed(self, api: FakeApi) -> None:
        api.replies.append((200, {"permissionStatements": [{"sid": STATEMENT}], "nextToken": "more"}, {}))
        pages = api_client(api).list_resource_permission_statements_pages()
        assert api.requests == []
        first = next(pages)
        assert type(first) is st.ListResourcePermissionStatementsOutput and first.next_token == "more"
        assert len(api.requests) == 1
        statements = list(api_client(api).list_resource_permission_statements_items())
        assert [s.sid for s in statements] == [STATEMENT]

    def test_repeated_token_stops(self, api: FakeApi) -> None:
        api.replies.extend([(200, {"items": [], "nextToken": "same"}, {})] * 2)
        with pytest.raises(st.InvalidResponseError, match="ListSessions sent the same next token twice"):
            list(api_client(api).list_sessions_pages())
        assert len(api.requests) == 2

    def test_only_paginated_operations(self, api: FakeApi) -> None:
        with pytest.raises(st.ParamValidationError, match="GetSession is not paginated"):
            api_client(api).pages("GetSession", api_request("GetSession"))


class TestApiAsBotocore:
    """Peer test: for every operation, botocore 1.44.8's validator accepts the same input,
    its serializer makes the same URL path, query and body, and its SigV4 signer the same
    signature for the request our fake received."""

    @pytest.mark.parametrize("name", API_OPERATIONS)
    def test_serialized_and_signed_as_botocore(self, api: FakeApi, name: str) -> None:
        if importlib.util.find_spec("botocore") is None:
            pytest.skip("botocore is not importable (peer test)")
        import botocore.model
        import botocore.serialize
        import botocore.validate
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        model = botocore.model.ServiceModel(todays_model(), "signin")
        op_model = model.operation_model(name)
        params = dict(API_INPUTS[name])
        if st._OPERATIONS[name].idempotency and "clientToken" not in params:
            params["clientToken"] = "11111111-2222-4333-8444-555555555555"
        report = botocore.validate.ParamValidator().validate(params, op_model.input_shape)
        assert not report.has_errors(), report.generate_report()
        theirs = botocore.serialize.create_serializer("rest-json").serialize_to_request(params, op_model)
        request = api_request(
            name, **({"clientToken": params["clientToken"]} if "clientToken" in params else {})
        )
        getattr(api_client(api), st._OPERATIONS[name].python_name)(request)
        (got,) = api.requests
        assert got["path"] + (f"?{got['query']}" if got["query"] else "") == theirs["url_path"] + (
            "?" + urllib.parse.urlencode(theirs["query_string"]) if theirs["query_string"] else ""
        )
        assert json.loads(theirs["body"] or b"{}") == got["body"]
        if st._OPERATIONS[name].auth != "sigv4":
            return
        headers = got["headers"]
        signed = headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
        aws = AWSRequest(
            method="POST",
            url=api.url + got["path"] + (f"?{got['query']}" if got["query"] else ""),
            data=got["raw"],
            headers={
                k: headers[k] for k in signed if k not in ("x-amz-date", "x-amz-security-token", "host")
            },
        )
        creds = Credentials(API_KEYS.access_key_id, API_KEYS.secret_access_key, API_KEYS.session_token)
        auth = SigV4Auth(creds, "signin", "us-east-1")
        aws.context["timestamp"] = headers["x-amz-date"]
        auth._modify_request_before_signing(aws)
        canonical = auth.canonical_request(aws)
        auth._inject_signature_to_request(aws, auth.signature(auth.string_to_sign(aws, canonical), aws))
        assert aws.headers["Authorization"] == headers["authorization"], canonical


# --------------------------------------------------------------------------
# Login flows (PROTOCOL.md §3-4, §8)
# --------------------------------------------------------------------------

CROSS_DEVICE_CLIENT = "arn:aws:signin:::devtools/cross-device"
# The AWS CLI's keys, and signInRegion (botocore >= 1.44 and the JS SDK read it, PROTOCOL.md §16).
CACHE_ENTRY_KEYS = {
    "accessToken",
    "tokenType",
    "clientId",
    "refreshToken",
    "idToken",
    "dpopKey",
    "signInRegion",
}


def sec1_der_and_jwk(d: int) -> tuple[bytes, dict[str, str]]:
    """RFC 5915 ECPrivateKey (PROTOCOL.md §7 layout), built by hand, and its public JWK."""
    point = affine_mul(d, P256_G)
    assert point is not None
    x, y = point
    return sec1_spec_der(d, x, y), public_jwk(x, y)


@contextlib.contextmanager
def remote_login(env: dict[str, str], *extra: str) -> Iterator[tuple[LoginHandle, str, str]]:
    """A running ``login --remote``: (its handle, the authorize URL, the code the scripted
    browser was shown on the confirmation page)."""
    with login_process(["login", "--remote", *extra], env, pipe_stdin=True) as h:
        url = login_url(h)
        status, pasted = browser_follow(url)
        assert status == 200
        yield h, url, pasted


def callback_port(url: str) -> int:
    """The loopback port the authorize ``url`` redirects to."""
    port = urllib.parse.urlsplit(url_query(url)["redirect_uri"]).port
    assert port is not None
    return port


def non_loopback_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            address = str(s.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


JUNK_REQUESTS = [
    pytest.param(b"GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n", id="favicon"),
    pytest.param(b"GET / HTTP/1.1\r\n\r\n", id="root"),
    pytest.param(b"GET /oauth/callback HTTP/1.1\r\n\r\n", id="no-query"),
    pytest.param(b"GET /oauth/callback?code=abc HTTP/1.1\r\n\r\n", id="no-state"),
    pytest.param(b"GET /oauth/callback?state=wrong&code=abc HTTP/1.1\r\n\r\n", id="wrong-state"),
    pytest.param(
        b"GET /oauth/callback?state=wrong&error=access_denied HTTP/1.1\r\n\r\n", id="error-wrong-state"
    ),
    pytest.param(b"GET /oauth/callback?state={state} HTTP/1.1\r\n\r\n", id="missing-code"),
    pytest.param(b"GET /oauth/callback?state={state}&code= HTTP/1.1\r\n\r\n", id="empty-code"),
    pytest.param(b"GET /oauth/callback?state={state}&code=a&code=b HTTP/1.1\r\n\r\n", id="two-codes"),
    pytest.param(b"GET /oauth/callbackX?state={state}&code=a HTTP/1.1\r\n\r\n", id="path-prefix"),
    pytest.param(b"GET /oauth/callback/?state={state}&code=a HTTP/1.1\r\n\r\n", id="trailing-slash"),
    pytest.param(b"GET /oauth/callback?state=%ff%fe&code=%zz HTTP/1.1\r\n\r\n", id="bad-percent"),
    pytest.param(b"GET /oauth/callback?" + b"a=b&" * 5000 + b" HTTP/1.1\r\n\r\n", id="many-fields"),
    pytest.param(b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", id="huge-line"),
    pytest.param(
        b"POST /oauth/callback?state={state}&code=a HTTP/1.1\r\nContent-Length: 0\r\n\r\n", id="post"
    ),
    pytest.param(b"HEAD /oauth/callback?state={state}&code=a HTTP/1.1\r\n\r\n", id="head"),
    pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(64)), id="tls-hello"),
    pytest.param(b"garbage\r\n\r\n", id="garbage-line"),
    pytest.param(b"GET\r\n\r\n", id="bare-get"),
    pytest.param(b"\x00\xff\r\n\r\n", id="binary"),
    pytest.param(b"", id="connect-close"),
    pytest.param(
        b"GET /oauth/callback?state={state}&code=a HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n",
        id="too-many-headers",
    ),
]


def callback_request(port: int, query: str, host: str | None) -> bytes:
    """A raw ``GET /oauth/callback?QUERY`` with the given Host header (None: no Host)."""
    head = f"GET /oauth/callback?{query} HTTP/1.1\r\n"
    if host is not None:
        head += f"Host: {host}\r\n"
    return raw_http(port, (head + "\r\n").encode("latin-1"))


FOREIGN_HOSTS = [
    pytest.param("evil.example:{port}", id="other-name"),
    pytest.param("127.0.0.1:{other}", id="other-port"),
    pytest.param(None, id="no-host"),
    pytest.param("", id="empty-host"),
    pytest.param("[::1]:{port}", id="ipv6-literal"),
    pytest.param("localhost.:{port}", id="trailing-dot"),
    pytest.param("127.0.0.1.:{port}", id="address-trailing-dot"),
    pytest.param("127.0.0.1", id="no-port"),
    pytest.param("2130706433:{port}", id="decimal-address"),
    pytest.param("127.0.0.1:{port}@evil.example", id="userinfo-trick"),
    pytest.param("evil.example:{port}, 127.0.0.1:{port}", id="list"),
    pytest.param("sub.localhost:{port}", id="subdomain"),
]


class TestCallbackServer:
    """PROTOCOL.md §3: the loopback listener binds 127.0.0.1 only, ignores anything but the
    real callback, keeps serving under junk, concurrency and slow clients, and frees its port."""

    def test_binds_loopback_only(self) -> None:
        with callback_server() as (server, _):
            socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
            targets = [("::1", socket.AF_INET6)]
            if sys.platform.startswith("linux"):
                targets.append(("127.0.0.2", socket.AF_INET))  # all of 127/8 is local on Linux
            other = non_loopback_address()
            if other:
                targets.append((other, socket.AF_INET))
            for address, family in targets:
                with socket.socket(family, socket.SOCK_STREAM) as s:
                    s.settimeout(5)
                    with pytest.raises(OSError):
                        s.connect((address, server.port))
            assert server.redirect_uri == f"http://127.0.0.1:{server.port}/oauth/callback"

    @pytest.mark.parametrize("junk", JUNK_REQUESTS)
    def test_junk_is_ignored(self, junk: bytes) -> None:
        with callback_server() as (server, state):
            host = f" HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n".encode()
            request = junk.replace(b"{state}", state.encode()).replace(b" HTTP/1.1\r\n", host, 1)
            reply = raw_http(server.port, request)
            assert not reply.startswith(b"HTTP/1.0 200") and not reply.startswith(b"HTTP/1.1 200")
            assert server.result is None
            code, page = real_callback(server, state)
            assert code not in page
            status, _ = browser_follow(f"{server.redirect_uri}?code=late&state={state}")
            assert status == 404 and server.result == {"code": code}

    def test_error_callback_ends_the_wait(self) -> None:
        with callback_server() as (server, state):
            status, page = browser_follow(
                f"{server.redirect_uri}?error=access_denied&error_description=%3Cb%3E%0Ax&state={state}"
            )
            assert status == 400 and "<b>" not in page
            assert server.wait(10) == {"error": "access_denied", "error_description": "<b> x"}

    def test_concurrent_and_slow_connections(self) -> None:
        state = str(uuid.uuid4())
        server = st._CallbackServer(state, port=0)
        held: list[socket.socket] = []
        stop = threading.Event()
        threads: list[threading.Thread] = []
        try:
            for i in range(12):  # open at once: idle ones, and ones stuck mid-headers
                s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                held.append(s)
                if i % 3:
                    s.sendall(f"GET /oauth/callback?state={state} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())

            def trickle() -> None:  # a request sent byte by byte, never finished
                with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
                    for byte in b"GET /oauth/callback?state=" + state.encode():
                        if stop.wait(0.02):
                            return
                        s.send(bytes([byte]))
                    stop.wait(30)

            replies: list[bytes] = []

            def junk(worker: int) -> None:
                for i in range(10):
                    request = (
                        f"GET /oauth/callback?state=w{worker}-{i}&code=x HTTP/1.1\r\n"
                        f"Host: 127.0.0.1:{server.port}\r\n\r\n"
                    )
                    replies.append(raw_http(server.port, request.encode()))

            threads = [threading.Thread(target=trickle) for _ in range(3)]
            threads += [threading.Thread(target=junk, args=(w,)) for w in range(4)]
            for t in threads:
                t.start()
            real_callback(server, state)
            for t in threads[3:]:
                t.join(30)
            assert len(replies) == 40 and all(r.startswith(b"HTTP/1.0 4") for r in replies)
        finally:
            stop.set()
            for t in threads[:3]:
                t.join(30)
            for s in held:
                s.close()
            server.close()

    def test_burst_of_connections_all_answered(self) -> None:
        """200 connections at once (a browser's preconnects, a port scan): each gets an answer."""
        server = st._CallbackServer(str(uuid.uuid4()), port=0)
        barrier = threading.Barrier(200)
        outcomes: list[str] = []

        def one(i: int) -> None:
            barrier.wait()
            try:
                reply = raw_http(
                    server.port,
                    f"GET /x{i} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode(),
                    timeout=5,
                    quiet=False,
                )
                outcomes.append(reply[:12].decode("latin-1"))
            except OSError as exc:
                outcomes.append(type(exc).__name__)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        finally:
            server.close()
        assert len(outcomes) == 200
        assert {o for o in outcomes if o != "HTTP/1.0 404"} == set()

    def test_close_frees_the_port(self) -> None:
        server = st._CallbackServer(str(uuid.uuid4()), port=0)
        port = server.port
        server.close()
        server.close()  # safe twice
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
        again = st._CallbackServer(str(uuid.uuid4()), port=port)
        again.close()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()

    def test_fixed_port_reusable_after_a_callback(self) -> None:
        """A fixed port (SSH tunnel) must be usable for the next login right after one."""
        with callback_server() as (server, state):
            port = server.port
            # Like a browser that keeps its end open: the server closes first.
            request = f"GET /oauth/callback?code=c&state={state} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
            assert raw_http(port, request.encode(), half_close=False).startswith(b"HTTP/1.0 200")
            assert server.wait(10) == {"code": "c"}
        st._CallbackServer(str(uuid.uuid4()), port=port).close()

    def test_port_in_use_is_a_config_error(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            with pytest.raises(st.ConfigError):
                st._CallbackServer("x", port=s.getsockname()[1])

    @pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="POSIX signals")
    def test_login_interrupted(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        env = login_env(aws_env, fake)
        with login_process(["login", "--no-browser"], env) as h:
            port = callback_port(login_url(h))
            socket.create_connection(("127.0.0.1", port), timeout=5).close()  # listening
            h[0].send_signal(signal.SIGINT)
            rc, out, err = login_finish(h, timeout=30)
        assert rc == 130, err
        assert "interrupted" in err and "Traceback" not in err
        assert out == ""
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        assert fake.token_calls() == []
        assert not Path(env["AWS_CONFIG_FILE"]).exists()

    def test_vanishing_browser_connections_print_no_traceback(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """Tabs closed or preconnects dropped mid-answer: login succeeds, stderr stays clean."""
        env = login_env(aws_env, fake)
        with login_process(["login", "--no-browser"], env) as h:
            url = login_url(h)
            port = callback_port(url)
            for _ in range(10):  # ask, then go away without reading the answer
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(b"GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            time.sleep(0.3)  # let the server answer them (not a timing assertion)
            status, _ = browser_follow(url)
            assert status == 200
            rc, _, err = login_finish(h, timeout=30)
        assert rc == 0, err
        assert "Traceback" not in err and "Exception occurred" not in err, err


class TestCallbackHostAndErrors:
    """PROTOCOL.md §3: the callback listener answers only requests for its own Host
    (127.0.0.1:PORT or localhost:PORT), so a DNS-rebound page cannot complete or probe a
    login; an ``error`` redirect ends the wait with or without a state, shown as one
    bounded, secret-free line; a code is redeemed only with the right state."""

    @pytest.mark.parametrize("host", FOREIGN_HOSTS)
    def test_foreign_host_refused_and_the_wait_goes_on(self, host: str | None) -> None:
        with callback_server() as (server, state):
            other = server.port + 1 if server.port < 65535 else server.port - 1
            header = None if host is None else host.format(port=server.port, other=other)
            for query in (f"code=forged&state={state}", "error=access_denied"):
                reply = callback_request(server.port, query, header)
                assert reply.startswith(b"HTTP/1.0 400"), reply[:40]
            assert server.result is None
            assert server.wait(0.01) is None  # still waiting (the shortest wait: one poll)
            real_callback(server, state)

    def test_two_host_headers_refused(self) -> None:
        with callback_server() as (server, state):
            own = f"127.0.0.1:{server.port}"
            raw = (
                f"GET /oauth/callback?code=c&state={state} HTTP/1.1\r\n"
                f"Host: {own}\r\nHost: evil.example:{server.port}\r\n\r\n"
            )
            assert raw_http(server.port, raw.encode()).startswith(b"HTTP/1.0 400")
            assert server.result is None

    @pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LocalHost", "LOCALHOST"])
    def test_own_host_accepted(self, name: str) -> None:
        with callback_server() as (server, state):
            reply = callback_request(server.port, f"code=c1&state={state}", f"{name}:{server.port}")
            assert reply.startswith(b"HTTP/1.0 200"), reply[:40]
            assert server.wait(10) == {"code": "c1"}

    @pytest.mark.parametrize("state_part", ["", "&state=", "&state={state}"], ids=["none", "empty", "right"])
    def test_error_ends_the_wait_with_or_without_state(self, state_part: str) -> None:
        with callback_server() as (server, state):
            query = "error=access_denied&error_description=The%20user%20said%20no" + state_part.format(
                state=state
            )
            reply = callback_request(server.port, query, f"127.0.0.1:{server.port}")
            assert reply.startswith(b"HTTP/1.0 400")
            assert b"The user said no" in reply
            assert server.wait(10) == {"error": "access_denied", "error_description": "The user said no"}

    def test_code_needs_the_right_state_even_beside_an_error_page(self) -> None:
        """A wrong state stays ignored for codes and errors alike; the wait goes on."""
        with callback_server() as (server, state):
            host = f"127.0.0.1:{server.port}"
            for query in ("code=forged", f"code=forged&state={uuid.uuid4()}", "error=x&state=wrong"):
                assert callback_request(server.port, query, host).startswith(b"HTTP/1.0 400")
            assert server.result is None
            assert callback_request(server.port, f"code=good&state={state}", host).startswith(b"HTTP/1.0 200")
            assert server.wait(10) == {"code": "good"}

    def test_error_text_is_one_bounded_line_without_secrets(self) -> None:
        code = "secret-code-" + uuid.uuid4().hex
        with callback_server() as (server, state):
            description = f"line1\r\nline2\x1b[31m state={state} code={code} " + "x" * 5000
            query = urllib.parse.urlencode(
                {"error": f"denied\n{code}", "error_description": description, "code": code}
            )
            reply = callback_request(server.port, query, f"localhost:{server.port}")
            assert reply.startswith(b"HTTP/1.0 400")
            result = server.wait(10)
            assert result is not None and set(result) == {"error", "error_description"}
            for text in result.values():
                assert text.isprintable() and "\n" not in text
                assert state not in text and code not in text
            assert len(result["error"]) <= 100 and len(result["error_description"]) <= 300
            assert code.encode() not in reply and state.encode() not in reply

    def test_cli_login_error_without_state_exits_at_once(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        with login_process(["login", "--no-browser"], env) as h:  # the default 600 s wait
            query = url_query(login_url(h))
            answer = urllib.parse.urlencode({"error": "access_denied", "error_description": "Denied by you"})
            status, _ = browser_follow(query["redirect_uri"] + "?" + answer)
            assert status == 400
            rc, out, err = login_finish(h, timeout=30)
        assert rc == 1, err
        assert out == ""
        assert "access_denied" in err and "Denied by you" in err
        assert "Traceback" not in err
        assert fake.token_calls() == []
        assert not cache_path(env).exists()

    def test_cli_login_foreign_hosts_then_real_callback(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        with login_process(["login", "--no-browser", "--callback-timeout", "60"], env) as h:
            url = login_url(h)
            query = url_query(url)
            port = callback_port(url)
            forged = f"code=code-forged&state={query['state']}"
            for host in (f"evil.example:{port}", None, f"[::1]:{port}", f"localhost.:{port}", "127.0.0.1"):
                assert callback_request(port, forged, host).startswith(b"HTTP/1.0 400"), host
                assert callback_request(port, "error=access_denied", host).startswith(b"HTTP/1.0 400"), host
            assert h[0].poll() is None
            status, page = browser_follow(url)
            assert status == 200, page
            rc, out, err = login_finish(h, timeout=30)
        assert rc == 0, err
        assert out == ""
        (redeem,) = fake.token_calls("authorization_code")
        assert redeem["json"]["code"] != "code-forged"
        assert cache_path(env).exists()


class TestLoginSameDevice:
    """``login --no-browser``: the loopback callback flow and what it stores
    (PROTOCOL.md §2, §3, §5, §7, §8, §9, §10)."""

    def test_login_writes_cache_and_config_like_aws_login(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        t0 = time.time()
        rc, out, err = full_login(env)
        t1 = time.time()
        assert rc == 0, err
        assert out == ""
        # Config: login_session only; a region is written only when it was prompted for.
        import configparser

        cfg = configparser.RawConfigParser()
        cfg.read(env["AWS_CONFIG_FILE"])
        assert cfg["default"]["login_session"] == SESSION_ARN
        assert "region" not in cfg["default"]
        # Cache: sha256(session).json, 0600 in a new 0700 directory, the AWS CLI's keys.
        path = cache_path(env)
        assert sorted(p.name for p in path.parent.glob("*.json")) == [path.name]
        assert file_mode(path.parent) == 0o700
        assert file_mode(path) == 0o600
        entry = json.loads(path.read_text())
        assert set(entry) == CACHE_ENTRY_KEYS
        access = entry["accessToken"]
        assert set(access) == CACHE_ACCESS_TOKEN_KEYS
        assert access["accountId"] == ACCOUNT
        assert access["accessKeyId"].startswith("ASIA")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", access["expiresAt"])
        assert int(t0) + 900 - 1 <= iso_instant(access["expiresAt"]) <= t1 + 900
        assert entry["clientId"] == SAME_DEVICE_CLIENT
        assert entry["tokenType"] == TOKEN_TYPE
        assert json.loads(b64url_decode(entry["idToken"].split(".")[1]))["sub"] == SESSION_ARN
        # The redemption: one call, with the loopback redirect URI and the stored key.
        (redeem,) = fake.token_calls("authorization_code")
        assert redeem["json"]["clientId"] == SAME_DEVICE_CLIENT
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/oauth/callback", redeem["json"]["redirectUri"])
        label, der = pem_decode(entry["dpopKey"])
        assert label == "EC PRIVATE KEY"
        assert entry["dpopKey"].endswith("-----\n")
        assert len(der) == 121
        d = int.from_bytes(der[7:39], "big")
        assert sec1_der_and_jwk(d)[0] == der
        assert thumbprint(sec1_der_and_jwk(d)[1]) == redeem["jkt"]
        with fake.lock:
            assert fake.refresh_tokens[entry["refreshToken"]]["jkt"] == redeem["jkt"]
        # The summary on stderr: profile, session, account, expiry, on one line.
        summary = [line for line in err.splitlines() if SESSION_ARN in line]
        assert any(
            "default" in line and ACCOUNT in line and access["expiresAt"] in line for line in summary
        ), err
        # And the stored credentials are what `credentials` serves, with no network.
        creds = run_cli(["credentials"], env)
        assert creds.returncode == 0, creds.stderr
        assert json.loads(creds.stdout)["AccessKeyId"] == access["accessKeyId"]
        assert len(fake.token_calls()) == 1

    def test_junk_requests_do_not_end_the_login(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        env = login_env(aws_env, fake)
        with login_process(["login", "--no-browser", "--callback-timeout", "30"], env) as h:
            url = login_url(h)
            redirect = url_query(url)["redirect_uri"]
            origin = redirect.rsplit("/oauth/callback", 1)[0]
            status, _ = browser_follow(origin + "/favicon.ico")
            assert status == 404
            wrong = urllib.parse.urlencode({"code": "code-forged", "state": str(uuid.uuid4())})
            status, _ = browser_follow(redirect + "?" + wrong)
            assert status != 200
            assert h[0].poll() is None
            status, page = browser_follow(url)
            assert status == 200, page
            rc, out, err = login_finish(h)
        assert rc == 0, err
        assert out == ""
        assert all(c["json"].get("code") != "code-forged" for c in fake.token_calls())
        assert len(fake.token_calls("authorization_code")) == 1
        assert cache_path(env).exists()

    def test_redirect_port_is_used(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        env = login_env(aws_env, fake)
        port = free_port()
        with login_process(
            ["login", "--no-browser", "--callback-timeout", "30", "--redirect-port", str(port)], env
        ) as h:
            url = login_url(h)
            assert url_query(url)["redirect_uri"] == f"http://127.0.0.1:{port}/oauth/callback"
            status, _ = browser_follow(url)
            assert status == 200
            rc, _, err = login_finish(h)
        assert rc == 0, err
        (redeem,) = fake.token_calls("authorization_code")
        assert redeem["json"]["redirectUri"] == f"http://127.0.0.1:{port}/oauth/callback"

    def test_error_callback_fails_the_login(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        env = login_env(aws_env, fake)
        with login_process(["login", "--no-browser", "--callback-timeout", "30"], env) as h:
            query = url_query(login_url(h))
            answer = urllib.parse.urlencode(
                {
                    "error": "access_denied",
                    "error_description": "The user denied access",
                    "state": query["state"],
                }
            )
            status, _ = browser_follow(query["redirect_uri"] + "?" + answer)
            assert status != 200
            rc, out, err = login_finish(h)
        assert rc == 1, err
        assert out == ""
        assert "access_denied" in err
        assert "The user denied access" in err
        assert fake.token_calls() == []
        assert not Path(env["AWS_CONFIG_FILE"]).exists()
        assert not cache_path(env).exists()


class TestLoginRemote:
    """``login --remote``: the cross-device flow, the code pasted on stdin (PROTOCOL.md §2, §4)."""

    def test_remote_login(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        env = login_env(aws_env, fake)
        with remote_login(env) as (h, url, pasted):
            query = url_query(url)
            assert query["client_id"] == CROSS_DEVICE_CLIENT
            assert query["redirect_uri"] == fake.url + "/v1/sessions/confirmation"
            rc, out, err = login_finish(h, pasted + "\n")
        assert rc == 0, err
        assert out == ""
        (redeem,) = fake.token_calls("authorization_code")
        assert redeem["json"]["clientId"] == CROSS_DEVICE_CLIENT
        assert redeem["json"]["redirectUri"] == fake.url + "/v1/sessions/confirmation"
        entry = json.loads(cache_path(env).read_text())
        assert entry["clientId"] == CROSS_DEVICE_CLIENT
        assert f"login_session = {SESSION_ARN}" in Path(env["AWS_CONFIG_FILE"]).read_text()
        # The cross-device session refreshes with its own client id.
        assert run_cli(["refresh", "--force"], env).returncode == 0
        (refresh,) = fake.token_calls("refresh_token")
        assert refresh["json"]["clientId"] == CROSS_DEVICE_CLIENT

    def test_a_typo_gets_another_try_and_ctrl_d_cancels(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        with remote_login(env) as (h, _, pasted):
            rc, out, err = login_finish(h, "not the code\n" + pasted.strip() + "\n")
        assert rc == 0, err
        assert out == ""
        assert err.count("Code: ") == 2 and "1 more try" not in err and "2 more tries" in err
        assert "That is not the code" in err.splitlines()[err.splitlines().index("Code: ") + 1]
        assert len(fake.token_calls("authorization_code")) == 1
        with login_process(["login", "--remote", "--profile", "other"], env, pipe_stdin=True) as h:
            login_url(h)
            rc, out, err = login_finish(h, "")  # Ctrl-D at the prompt
        assert rc == 130, err
        assert out == ""
        assert err.splitlines()[-1] == "interrupted" and "Traceback" not in err
        assert len(fake.token_calls("authorization_code")) == 1

    @pytest.mark.parametrize(
        ("case", "craft", "word"),
        [
            ("not-base64", lambda state, code: "%%% not a sign-in code %%%", "code"),
            ("base64-of-junk", lambda state, code: base64.b64encode(b"\xff\xfe\x00junk").decode(), "code"),
            (
                "no-code-member",
                lambda state, code: base64.b64encode(f"state={state}".encode()).decode(),
                "code",
            ),
            (
                "other-state",
                lambda state, code: base64.b64encode(f"state={uuid.uuid4()}&code={code}".encode()).decode(),
                "state",
            ),
            ("empty", lambda state, code: "", "code"),
        ],
    )
    def test_bad_pasted_text_is_refused(
        self,
        fake: FakeSignin,
        aws_env: dict[str, str],
        case: str,
        craft: Callable[[str, str], str],
        word: str,
    ) -> None:
        env = login_env(aws_env, fake)
        with remote_login(env) as (h, url, pasted):
            real = dict(urllib.parse.parse_qsl(base64.b64decode(pasted).decode()))
            bad = craft(url_query(url)["state"], real["code"]) + "\n"
            rc, out, err = login_finish(h, bad * 3)  # three tries, then it gives up
        assert rc == 2, err
        assert out == ""
        assert word in err.lower()
        assert err.count("Code: ") == 3 and err.count("more tr") == 2
        assert all(line == "Code: " or not line.startswith("Code: ") for line in err.splitlines()), err
        assert fake.token_calls() == []  # the (real) code was never redeemed
        with fake.lock:
            assert real["code"] in fake.codes
        assert not Path(env["AWS_CONFIG_FILE"]).exists()
        assert not cache_path(env).parent.exists() or not any(cache_path(env).parent.iterdir())


def notice_lines(handle: LoginHandle) -> list[str]:
    """The stderr lines a login prints before it waits for the browser (up to "Waiting ...")."""
    got: list[str] = []
    while True:
        line = handle[1].get(timeout=30)
        assert line is not None, "the process ended before waiting: " + "".join(handle[2])
        got.append(line.rstrip("\n"))
        if line.startswith("Waiting up to "):
            return got


OTHER_DEVICE = "If you cannot open it on this device, sign in from another device with: "


def headless(env: dict[str, str], **extra: str) -> dict[str, str]:
    """``env`` with no display, no terminal type and no BROWSER (so webbrowser finds no browser),
    plus ``extra``."""
    drop = ("DISPLAY", "WAYLAND_DISPLAY", "TERM", "BROWSER")
    return dict({k: v for k, v in env.items() if k not in drop}, **extra)


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="browsers there need no display")
class TestLoginSaysWhatTheBrowserDoes:
    """A same-device login says, before it waits, that the browser is opening, what to do if it
    does not (the ``--remote`` command, as one that works) and how to cancel; a browser that
    cannot be launched is reported at once, and the login keeps waiting (PROTOCOL.md §3)."""

    def test_an_opening_browser_is_announced_with_the_way_out(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = headless(login_env(aws_env, fake), BROWSER=str(following_browser(tmp_path)))
        with login_process(["login", "--profile", "dev", "--callback-timeout", "30"], env) as h:
            said = notice_lines(h)
            rc, out, err = login_finish(h)
        assert rc == 0, err
        assert out == ""
        assert said[0] == "Opening your browser to sign in. If it does not open, open this URL in a browser:"
        assert urllib.parse.urlsplit(said[1]).path == "/v1/authorize"
        assert said[2].startswith(OTHER_DEVICE)
        assert re.search(LOGIN_COMMAND_RE.format(profile="dev") + r"--remote$", said[2]), said[2]
        assert said[3] == "Waiting up to 30 s for the sign-in; press Ctrl-C to cancel."
        assert len(said) == 4 and url_lines_printed(err) == [said[1]]
        assert "did not open" not in err and "Cannot open" not in err
        assert len(fake.token_calls("authorization_code")) == 1

    def test_a_browser_that_does_not_exist_is_reported_at_once(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = headless(login_env(aws_env, fake), BROWSER="/nonexistent/browser", DISPLAY=":0")
        with login_process(["login", "--profile", "dev"], env) as h:
            said = notice_lines(h)  # before any sign-in arrives: said at once, not after 600 s
            assert said[0] == (
                "Cannot open a browser here: BROWSER is '/nonexistent/browser', which names no "
                "program that exists. Open this URL in a browser to sign in:"
            )
            assert h[0].poll() is None  # still waiting for the callback
            status, page = browser_follow(said[1])  # the user opens the URL by hand
            assert status == 200, page
            rc, out, err = login_finish(h)
        assert rc == 0, err
        assert out == ""
        assert said[-1] == "Waiting up to 600 s for the sign-in; press Ctrl-C to cancel."
        assert url_lines_printed(err) == [said[1]]
        assert f"login_session = {SESSION_ARN}" in Path(env["AWS_CONFIG_FILE"]).read_text()

    def test_a_browser_command_that_fails_is_reported_and_the_login_goes_on(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = headless(login_env(aws_env, fake), BROWSER="false")  # exists, exits 1
        with login_process(["login", "--callback-timeout", "30"], env) as h:
            said = notice_lines(h)
            assert said[0].startswith("Opening your browser")
            line = h[1].get(timeout=30)
            assert line is not None and line.startswith("The browser did not open"), line
            assert "Ctrl-C" in line and h[0].poll() is None
            status, page = browser_follow(said[1])
            assert status == 200, page
            rc, _, err = login_finish(h)
        assert rc == 0, err
        assert url_lines_printed(err) == [said[1]]

    def test_no_display_is_reported_and_the_remote_command_works_as_printed(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = headless(login_env(aws_env, fake))
        args = ["login", "--profile", "dev", "--region", "eu-west-1", "--callback-timeout", "30"]
        with login_process(args, env) as h:
            said = notice_lines(h)
            assert h[0].poll() is None
            h[0].send_signal(signal.SIGINT)  # Ctrl-C, as the notice says
            rc, out, err = login_finish(h)
        assert rc == 130, err
        assert said[0] == (
            "Cannot open a browser here: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is "
            "set) and BROWSER is not set. Open this URL in a browser to sign in:"
        )
        assert "Ctrl-C" in said[-1] and err.splitlines()[-1] == "interrupted"
        assert fake.token_calls() == []
        remote = said[2][len(OTHER_DEVICE) :]
        assert remote.endswith(" login --profile dev --region eu-west-1 --remote"), remote
        with login_process([remote], env, pipe_stdin=True, as_printed=True) as h:
            url = login_url(h)
            assert url_query(url)["client_id"] == CROSS_DEVICE_CLIENT
            status, pasted = browser_follow(url)
            assert status == 200
            rc, out, err = login_finish(h, pasted + "\n")
        assert rc == 0, err
        assert out == ""
        config = Path(env["AWS_CONFIG_FILE"]).read_text()
        assert "[profile dev]" in config and f"login_session = {SESSION_ARN}" in config
        assert json.loads(cache_path(env).read_text())["clientId"] == CROSS_DEVICE_CLIENT

    def test_no_browser_flag_prints_the_url_without_a_complaint(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = headless(login_env(aws_env, fake))
        with login_process(["login", "--no-browser", "--callback-timeout", "30"], env) as h:
            said = notice_lines(h)
            status, _ = browser_follow(said[1])
            assert status == 200
            rc, _, err = login_finish(h)
        assert rc == 0, err
        assert said[0] == "Open this URL in a browser to sign in:"
        assert said[2].startswith(OTHER_DEVICE) and "Ctrl-C" in said[3]
        assert "Cannot open" not in err and "did not open" not in err


# --------------------------------------------------------------------------
# Cache and config files shared with the AWS CLI and SDKs (PROTOCOL.md §9-10)
# --------------------------------------------------------------------------


def pkcs8_pem_by_hand() -> tuple[str, str]:
    """A PKCS #8 ``PRIVATE KEY`` PEM built by hand (no curve OID inside), and the jkt of its key."""
    d = secrets.randbelow(2**255) + 1
    point = affine_mul(d, P256_G)
    assert point is not None
    x, y = point
    inner = sec1_key_der(d=int_bytes(d), oid=None, point=b"\x04" + int_bytes(x) + int_bytes(y))
    return pem_armor("PRIVATE KEY", pkcs8_key_der(inner)), thumbprint(public_jwk(x, y))


def pkcs8_pem_from_cryptography() -> tuple[str, str]:
    """A PKCS #8 PEM from the ``cryptography`` package, and its jkt."""
    ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    numbers = key.public_key().public_numbers()
    return pem, thumbprint(public_jwk(numbers.x, numbers.y))


def seed_refresh_token(fake: FakeSignin, jkt: str, client_id: str = SAME_DEVICE_CLIENT) -> str:
    """A refresh token the fake binds to the key with thumbprint ``jkt``."""
    token = "rt-" + uuid.uuid4().hex
    with fake.lock:
        fake.refresh_tokens[token] = {"jkt": jkt, "client_id": client_id}
    return token


def write_config(env: dict[str, str], text: str | bytes) -> Path:
    """``text`` (UTF-8) as the whole config file ``env`` names; its path."""
    config = Path(env["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_bytes(text.encode() if isinstance(text, str) else text)
    return config


def one_line_added(before: bytes, after: bytes) -> tuple[int, list[bytes]]:
    """Index of the single line ``after`` adds to ``before`` (all else byte-identical)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(new) == len(old) + 1, (before, after)
    i = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), len(old))
    assert new[:i] + new[i + 1 :] == old, (before, after)
    return i, new


def section_of(lines: list[bytes], index: int) -> bytes:
    for line in reversed(lines[:index]):
        if line.startswith(b"["):
            return line.strip()
    return b""


RICH_CONFIG = (
    "# my AWS config\n"
    "; with both comment styles\n"
    "\n"
    "[default]\n"
    "region = us-west-2\n"
    "output = json\n"
    "\n"
    "[sso-session corp]\n"
    "sso_start_url = https://example.awsapps.com/start\n"
    "sso_region = us-east-1\n"
    "sso_registration_scopes = sso:account:access\n"
    "\n"
    "[profile ssouser]\n"
    "sso_session = corp\n"
    "sso_account_id = 210987654321\n"
    "sso_role_name = ReadOnly\n"
    "\n"
    "[profile dev]\n"
    "# the development profile\n"
    "region = eu-central-1\n"
    "cli_pager =\n"
    "s3 =\n"
    "    max_concurrent_requests = 20\n"
    "    addressing_style = path\n"
    "\n"
    "\n"
    "[profile last]   ; trailing comment\n"
    "output = text\n"
)


def entry_variant(fake: FakeSignin, variant: str, expires_at: float) -> dict[str, Any]:
    """A cache entry as another SDK writes it (PROTOCOL.md §9)."""
    key = st.DPoPKey.generate()
    pem, jkt = key.to_pem(), key.thumbprint()
    if variant == "pkcs8-by-hand":
        pem, jkt = pkcs8_pem_by_hand()
    elif variant == "pkcs8-cryptography":
        pem, jkt = pkcs8_pem_from_cryptography()
    whole = int(expires_at)
    stamp = iso_stamp(whole)
    if variant == "js-millis":
        stamp = stamp[:-1] + ".123Z"
    elif variant == "java-nanos":
        stamp = stamp[:-1] + ".123456789Z"
    elif variant.startswith("go-offset"):
        hours = 5 if variant.endswith("+05") else -7
        zone = datetime.timezone(datetime.timedelta(hours=hours))
        local = datetime.datetime.fromtimestamp(whole, zone)
        stamp = local.strftime("%Y-%m-%dT%H:%M:%S") + ("+05:00" if hours > 0 else "-07:00")
    entry: dict[str, Any] = {
        "accessToken": {
            "accessKeyId": "ASIAOTHERSDK",
            "secretAccessKey": "other-secret",
            "sessionToken": "other-session",
            "accountId": ACCOUNT,
            "expiresAt": stamp,
        },
        "tokenType": TOKEN_TYPE,
        "clientId": SAME_DEVICE_CLIENT,
        "refreshToken": seed_refresh_token(fake, jkt),
        "idToken": fake_jwt({"sub": SESSION_ARN}),
        "dpopKey": pem,
    }
    if variant == "identityToken":
        entry["identityToken"] = entry.pop("idToken")
    return entry


FORKING_REFRESH_DRIVER = """\
import os, sys
sys.path.insert(0, sys.argv[1])
import argparse, email.utils, fcntl, http.client, json, urllib.request  # what a refresh imports
import signin_token
signin_token.DPoPKey.from_private_value(1)  # builds the fixed-base table once, before forking
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:  # the refreshing process
        os._exit(signin_token.main(["refresh", "--force", "--timeout", "5"]))
    print(pid, flush=True)
    sys.stdin.readline()  # reap only when told: the pid stays ours until then
    print(os.waitpid(pid, 0)[1], flush=True)
"""
KILLS = 60


VICTIM_BYTES = b"a file outside the cache directory: it must never change\n"


PLANTED_LINK_NAMES = (  # names a writer of the entry might use for its temp file, and some it never uses
    ".tmp",
    ".000000000000.tmp",
    ".ffffffffffff.tmp",
    ".0123456789ab.tmp",
    ".FFFFFFFFFFFF.tmp",
    ".json.tmp",
    ".lock.tmp",
    ".tmp.tmp",
)


def need_root() -> None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to give files to another user")


def need_setpriv() -> None:
    need_root()
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is not installed")
    probe = run_cli_bytes(["--version"], dict(os.environ, PYTHONPATH=str(HERE)), as_nobody=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot run Python as nobody: {probe.stderr.strip()}")


def nobody_user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def make_unsafe(path: Path, change: str, safe_mode: str) -> str:
    """Apply ``change`` to ``path`` (``chmod-0NNN``: that mode; ``chown-nobody``: nobody owns
    it, root only); the command a refusal must print to undo it."""
    if change.startswith("chmod"):
        path.chmod(int(change[-4:], 8))
        return f"chmod {safe_mode} {shlex.quote(str(path))}"
    need_root()
    os.chown(path, NOBODY_UID, NOBODY_UID)
    return f"chown {nobody_user()} {shlex.quote(str(path))}"


def refused_with_fix(commands: Iterable[list[str]], env: dict[str, str], fix: str) -> list[str]:
    """Run each CLI command (in-process): each must exit 1 with nothing on stdout and ``fix``
    on stderr; their stderr texts."""
    errors = []
    for command in commands:
        result = run_here(command, env)
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        assert fix in result.stderr, result.stderr
        errors.append(result.stderr)
    return errors


def wait_for_token_requests(fake: FakeSignin, proc: subprocess.Popen[str], count: int = 1) -> None:
    """Wait until the fake has received ``count`` token requests from ``proc``."""
    deadline = time.monotonic() + 30
    while len(fake.token_calls()) < count:
        if proc.poll() is not None:
            err = proc.communicate()[1]
            raise AssertionError(f"exited {proc.returncode} before its request: {err}")
        assert time.monotonic() < deadline, "no request reached the fake"
        time.sleep(0.02)


@contextlib.contextmanager
def held_refresh(
    fake: FakeSignin, args: list[str], env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[str], threading.Event]]:
    """A CLI process whose token request the fake holds until the test sets the event
    (the process is then in the middle of its refresh, its lock held)."""
    release = threading.Event()
    fake.faults.append(("hold", release))
    proc = spawn([sys.executable, "-m", "signin_token", *args], env)
    try:
        wait_for_token_requests(fake, proc)
        yield proc, release
    finally:
        release.set()
        if proc.poll() is None:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def finish_process(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def other_sdk_entry(
    fake: FakeSignin, access_key: str, expires_in: float, **access_extra: Any
) -> dict[str, Any]:
    """A complete entry bound to ``fake`` as another SDK would write it."""
    key = st.DPoPKey.generate()
    access = {
        "accessKeyId": access_key,
        "secretAccessKey": f"secret-of-{access_key}",
        "sessionToken": f"token-of-{access_key}",
        "accountId": ACCOUNT,
        "expiresAt": iso_stamp(time.time() + expires_in),
    }
    access.update(access_extra)
    return {
        "accessToken": {k: v for k, v in access.items() if v is not ...},
        "tokenType": TOKEN_TYPE,
        "clientId": SAME_DEVICE_CLIENT,
        "refreshToken": fake.seed_session(key),
        "idToken": fake_jwt({"sub": SESSION_ARN}),
        "dpopKey": key.to_pem(),
    }


def rewrite_in_place(path: Path, data: bytes, *, torn_for: float = 0.0) -> threading.Thread | None:
    """Rewrite ``path`` in place (same inode) as the AWS CLI v2 and the JS SDK do;
    with ``torn_for``, the first half now and the rest that many seconds later."""
    half = len(data) // 2 if torn_for else len(data)
    fd = os.open(path, os.O_WRONLY)
    os.ftruncate(fd, 0)
    os.write(fd, data[:half])
    if not torn_for:
        os.close(fd)
        return None

    def rest() -> None:
        time.sleep(torn_for)
        os.pwrite(fd, data[half:], half)
        os.close(fd)

    thread = threading.Thread(target=rest)
    thread.start()
    return thread


PLACEMENT_CASES = {
    # name: (config before, profile, expected config after: "@" marks the new line)
    "comments-and-blanks-before-next-section": (
        "[profile dev]\nregion = eu-west-1\n# about dev\noutput = json\n# trailing dev comment\n\n; next\n"
        "[profile next]\nx = 1\n",
        "dev",
        "[profile dev]\nregion = eu-west-1\n# about dev\noutput = json\n@# trailing dev comment\n\n; next\n"
        "[profile next]\nx = 1\n",
    ),
    "nested-sub-keys-belong-to-their-option": (
        "[profile dev]\nregion = eu-west-1\ns3 =\n    max_concurrent_requests = 20\n"
        "\taddressing_style = path\n# after s3\n\n[default]\nregion = us-west-2\n",
        "dev",
        "[profile dev]\nregion = eu-west-1\ns3 =\n    max_concurrent_requests = 20\n"
        "\taddressing_style = path\n@# after s3\n\n[default]\nregion = us-west-2\n",
    ),
    "last-section-with-trailing-comments": (
        "[default]\noutput = json\n\n\n# end of file\n; really\n",
        "default",
        "[default]\noutput = json\n@\n\n# end of file\n; really\n",
    ),
    "header-only-section": (
        "[profile dev] ; a comment on the header\n# nothing yet\n\n[profile z]\n",
        "dev",
        "[profile dev] ; a comment on the header\n@# nothing yet\n\n[profile z]\n",
    ),
    "last-line-without-newline": (
        "[profile dev]\noutput = json",
        "dev",
        "[profile dev]\noutput = json\n@",
    ),
    "existing-key-replaced-in-place": (
        "[profile dev]\nlogin_session = arn:aws:iam::111111111111:user/Gone\n# kept\noutput = json\n",
        "dev",
        "[profile dev]\n@# kept\noutput = json\n",
    ),
    "new-section-appended-without-a-blank-line": (
        "# mine\n[profile other]\noutput = json\n\n",
        "dev",
        "# mine\n[profile other]\noutput = json\n\n[profile dev]\n@",
    ),
    "new-section-after-a-last-line-without-newline": (
        "[profile other]\noutput = json",
        "dev",
        "[profile other]\noutput = json\n[profile dev]\n@",
    ),
    "new-default-section-in-an-empty-file": ("", "default", "[default]\n@"),
}


INJECTED_REGION = "us-east-1\n[profile evil]\ncredential_process = /bin/sh"


BAD_PROFILE_NAMES = ["a  b", "a\tb", "a b", "[x]", "a'b", 'a"b', "a\\b", "x]", "a\nb", "a\x1bb", "a\x7fb"]


class TestConfigFileKeptAsWritten:
    """The config file stays as the user wrote it; only ``login_session`` (and a
    missing ``region``) is added, and foreign credential styles are refused
    (PROTOCOL.md §10)."""

    @pytest.mark.parametrize(
        ("how", "newline"),
        [("flag", "\n"), ("env", "\n"), ("flag", "\r\n")],
    )
    def test_login_adds_one_line_and_keeps_the_rest(
        self, fake: FakeSignin, aws_env: dict[str, str], how: str, newline: str
    ) -> None:
        env = login_env(aws_env, fake)
        del env["AWS_REGION"]
        before = RICH_CONFIG.replace("\n", newline).encode()
        config = write_config(env, before)
        config.chmod(0o640)
        if how == "env":
            env["AWS_PROFILE"] = "dev"
            rc, out, err = full_login_here(env)
        else:
            rc, out, err = full_login_here(env, "--profile", "dev")
        assert rc == 0, err
        assert out == ""
        assert "dev" in err
        after = config.read_bytes()
        index, lines = one_line_added(before, after)
        assert lines[index] == f"login_session = {SESSION_ARN}{newline}".encode()
        assert section_of(lines, index) == b"[profile dev]"
        follower = lines[index + 1] if index + 1 < len(lines) else b""
        assert not (follower[:1] in (b" ", b"\t") and follower.strip()), "would swallow a sub-key"
        assert file_mode(config) == 0o640

    @pytest.mark.parametrize(
        ("variables", "flags"),
        [
            ({"AWS_REGION": "ap-southeast-2", "AWS_DEFAULT_REGION": "sa-east-1"}, []),
            ({"AWS_DEFAULT_REGION": "ap-southeast-2"}, []),
            ({"AWS_REGION": "sa-east-1"}, ["--region", "ap-southeast-2"]),
        ],
    )
    def test_new_profile_section_is_appended_like_the_aws_cli_with_no_region_when_one_is_known(
        self, fake: FakeSignin, aws_env: dict[str, str], variables: dict[str, str], flags: list[str]
    ) -> None:
        env = login_env(aws_env, fake)
        del env["AWS_REGION"]
        env.update(variables)
        config = write_config(env, RICH_CONFIG)
        rc, _, err = full_login_here(env, "--profile", "fresh", *flags)
        assert rc == 0, err
        text = config.read_text()
        assert text.startswith(RICH_CONFIG)
        import configparser

        cfg = configparser.RawConfigParser()
        cfg.read_string(text)
        assert dict(cfg["profile fresh"]) == {"login_session": SESSION_ARN}
        assert text == RICH_CONFIG + f"[profile fresh]\nlogin_session = {SESSION_ARN}\n"

    def test_botocore_sees_the_same_config_plus_login_session(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        need_botocore(crt=False)
        env = login_env(aws_env, fake)
        config = write_config(env, RICH_CONFIG)
        script = "import json, sys\nfrom botocore.configloader import raw_config_parse\n"
        script += "print(json.dumps(raw_config_parse(sys.argv[1])))"
        parse = [sys.executable, "-c", script, str(config)]
        before = json.loads(subprocess.run(parse, capture_output=True, text=True, check=True).stdout)
        rc, _, err = full_login_here(env, "--profile", "dev")
        assert rc == 0, err
        after = json.loads(subprocess.run(parse, capture_output=True, text=True, check=True).stdout)
        before["profile dev"]["login_session"] = SESSION_ARN
        assert after == before

    def test_unusual_line_separator_in_comment_is_kept(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """A comment holding U+2028 or U+0085 is one line to the INI parsers; it stays byte-identical."""
        env = login_env(aws_env, fake)
        before = "# owner: Zoë\u2028team\x85infra\n[profile dev]\nregion = eu-west-1\n".encode()
        config = write_config(env, before)
        rc, _, err = full_login_here(env, "--profile", "dev")
        assert rc == 0, err
        after = config.read_bytes()
        assert after == before + f"login_session = {SESSION_ARN}\n".encode()

    @pytest.mark.parametrize(
        "line",
        [
            "role_arn = arn:aws:iam::123456789012:role/R\nsource_profile = default",
            "credential_process = /bin/echo {}",
            "sso_account_id = 210987654321",
            "sso_session = corp\nsso_role_name = ReadOnly",
            "aws_access_key_id = AKIAEXAMPLE",
            "web_identity_token_file = /var/run/token\nrole_arn = arn:aws:iam::123456789012:role/W",
        ],
    )
    def test_profile_with_other_credentials_is_refused(
        self, fake: FakeSignin, aws_env: dict[str, str], line: str
    ) -> None:
        env = login_env(aws_env, fake)
        before = f"[default]\nregion = us-east-1\n\n[profile busy]\n{line}\nregion = us-east-1\n".encode()
        config = write_config(env, before)
        result = run_here(["login", "--profile", "busy", "--no-browser", "--callback-timeout", "3"], env)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        first_key = line.split(" ", 1)[0] if not line.startswith("sso_session") else "sso_role_name"
        assert first_key in result.stderr
        assert config.read_bytes() == before
        assert not cache_path(env).parent.exists()
        assert fake.token_calls() == []
        with fake.lock:
            assert fake.codes == {}  # nobody was sent to sign in

    @pytest.mark.parametrize(
        "line",
        ["sso_session = corp", "sso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1"],
    )
    def test_lone_sso_session_settings_are_not_other_credentials(
        self, fake: FakeSignin, aws_env: dict[str, str], line: str
    ) -> None:
        env = login_env(aws_env, fake)
        config = write_config(env, f"[profile busy]\n{line}\n")
        rc, _, err = full_login_here(env, "--profile", "busy")
        assert rc == 0, err
        assert config.read_text() == f"[profile busy]\n{line}\nlogin_session = {SESSION_ARN}\n"

    @pytest.mark.parametrize(
        ("previous", "yes"),
        [(OTHER_SESSION_ARN, False), (OTHER_SESSION_ARN, True), (SESSION_ARN, False), (SESSION_ARN, True)],
    )
    def test_replacing_a_session_asks_after_the_sign_in_only_when_it_differs(
        self, fake: FakeSignin, aws_env: dict[str, str], previous: str, yes: bool
    ) -> None:
        """As the AWS CLI (login.py): no question before the browser; a different session
        needs --yes (no terminal to ask on); the same session never asks."""
        env = login_env(aws_env, fake)
        write_session(env, fake, profile="other")  # a usable entry for SESSION_ARN
        if previous == OTHER_SESSION_ARN:
            shutil.copy(cache_path(env), cache_path(env, OTHER_SESSION_ARN))
        before = f"[profile dev]\n# keep me\nlogin_session = {previous}\nregion = us-east-1\n".encode()
        config = write_config(env, before)
        entry_before = cache_path(env).read_bytes()
        rc, out, err = full_login(env, "--profile", "dev", *(["--yes"] if yes else []))
        assert out == ""
        assert len(fake.token_calls("authorization_code")) == 1  # the browser was sent, then asked
        if previous == OTHER_SESSION_ARN and not yes:
            assert rc == 2, err
            assert re.search(r"run: \S.* login --profile dev --yes$", err, re.M), err
            assert f"the new session {SESSION_ARN} was not stored" in err
            assert config.read_bytes() == before
            assert cache_path(env).read_bytes() == entry_before  # nothing stored
            return
        assert rc == 0, err
        assert "(y/n)" not in err and "--yes" not in err
        assert config.read_bytes() == before.replace(previous.encode(), SESSION_ARN.encode())
        assert cache_path(env).read_bytes() != entry_before

    @pytest.mark.parametrize("previous", [OTHER_SESSION_ARN, SESSION_ARN])
    def test_a_dead_session_is_replaced_as_a_live_one(
        self, fake: FakeSignin, aws_env: dict[str, str], previous: str
    ) -> None:
        """No entry for the current session: the same session needs no answer; a
        different one is asked about all the same (the AWS CLI asks whenever it differs)."""
        before = f"[profile dev]\n# keep me\nlogin_session = {previous}\nregion = us-east-1\n".encode()
        env = login_env(aws_env, fake)
        config = write_config(env, before)
        rc, out, err = full_login(env, "--profile", "dev")
        assert out == ""
        if previous == OTHER_SESSION_ARN:
            assert rc == 2, err
            assert config.read_bytes() == before and not cache_path(env).exists()
            rc, out, err = full_login(env, "--profile", "dev", "--yes")
        assert rc == 0, err
        assert config.read_bytes() == before.replace(previous.encode(), SESSION_ARN.encode())
        assert cache_path(env).exists()


class TestEntriesFromOtherSDKs:
    """Entries written by the Java, Go and JS SDKs: ``identityToken``, fractional
    seconds, offsets, PKCS #8 keys; readable and refreshable (PROTOCOL.md §7, §9)."""

    @pytest.mark.parametrize(
        ("variant", "expires_in"),
        [
            ("identityToken", 3600),
            ("js-millis", 3600),
            ("js-millis", 120),
            ("java-nanos", 3600),
            ("go-offset+05", 120),
            ("go-offset-07", 3600),
            ("pkcs8-by-hand", 120),
            ("pkcs8-cryptography", 120),
        ],
    )
    def test_read_and_refresh(
        self, fake: FakeSignin, aws_env: dict[str, str], variant: str, expires_in: float
    ) -> None:
        env = login_env(aws_env, fake)
        Path(env["AWS_CONFIG_FILE"]).parent.mkdir(parents=True)
        Path(env["AWS_CONFIG_FILE"]).write_text(
            f"[default]\nregion = us-east-1\nlogin_session = {SESSION_ARN}\n"
        )
        when = time.time() + expires_in
        entry = entry_variant(fake, variant, when)
        path = store_entry(env, entry)
        result = run_here(["credentials"], env)
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        if expires_in > 300:
            assert fake.token_calls() == []
            assert doc["AccessKeyId"] == "ASIAOTHERSDK"
            assert abs(iso_instant(doc["Expiration"]) - int(when)) < 1
            forced = run_here(["refresh", "--force"], env)  # proves the key binding
            assert forced.returncode == 0, forced.stderr
        else:
            assert doc["AccessKeyId"] != "ASIAOTHERSDK"
        (call,) = fake.token_calls()
        assert call["json"]["refreshToken"] == entry["refreshToken"]
        new = json.loads(path.read_text())
        assert set(new) == set(entry)
        assert new["dpopKey"] == entry["dpopKey"]
        if variant == "identityToken":
            assert new["identityToken"] == entry["identityToken"]
        assert new["accessToken"]["accountId"] == ACCOUNT
        if variant.startswith("pkcs8"):  # the rotated token still works with the same key
            again = run_here(["refresh", "--force"], env)
            assert again.returncode == 0, again.stderr


class TestCrashSafety:
    """PROTOCOL.md §9: lock, temp file in the same directory, fsync, os.replace.  A refresh
    process killed (SIGKILL) at a random moment leaves the old entry or a complete new one,
    and no debris."""

    @pytest.mark.skipif(
        not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"), reason="POSIX fork/SIGKILL"
    )
    def test_sigkill_during_refresh(self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path) -> None:
        fake.rotate = False  # a refresh killed after the server answered must not end the session
        path = write_session(aws_env, fake)
        driver_file = tmp_path / "driver.py"
        driver_file.write_text(FORKING_REFRESH_DRIVER)

        # The entry, its lock, and the one temp file (a random name) a killed writer leaves
        # until the next refresh sweeps it.
        def debris_ok(names: set[str]) -> bool:
            temps = {n for n in names if re.fullmatch(re.escape(path.name) + r"\.[0-9a-f]{12}\.tmp", n)}
            return len(temps) <= 1 and names - temps <= {path.name, path.name + ".lock"}

        driver = spawn(
            [sys.executable, str(driver_file), str(HERE)],
            aws_env,
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert driver.stdin is not None and driver.stdout is not None
        statuses: list[int] = []

        def refresh(kill_after: float | None) -> None:
            assert driver.stdin is not None and driver.stdout is not None
            driver.stdin.write("go\n")
            driver.stdin.flush()
            pid = int(driver.stdout.readline())
            if kill_after is not None:
                time.sleep(kill_after)
                os.kill(pid, signal.SIGKILL)  # our child, not yet reaped
            driver.stdin.write("reap\n")
            driver.stdin.flush()
            statuses.append(int(driver.stdout.readline()))

        try:
            # How long one refresh takes (sets the kill window).
            durations = []
            for _ in range(3):
                t0 = time.monotonic()
                refresh(None)
                durations.append(time.monotonic() - t0)
            assert statuses == [0, 0, 0]
            window = max(durations) * 1.2
            rng = random.Random(5005)
            old = json.loads(path.read_text())
            for i in range(KILLS):
                refresh(rng.uniform(0, window))
                entry = json.loads(path.read_text())  # valid JSON, never torn
                if entry != old:
                    assert set(entry) == set(old), i
                    rest = ("accessToken", "refreshToken")
                    assert {k: v for k, v in entry.items() if k not in rest} == {
                        k: v for k, v in old.items() if k not in rest
                    }
                    assert entry["refreshToken"] in fake.refresh_tokens
                    access = entry["accessToken"]
                    assert set(access) == set(old["accessToken"])
                    assert access["secretAccessKey"] != old["accessToken"]["secretAccessKey"]
                    assert access["accountId"] == ACCOUNT
                    old = entry
                names = {p.name for p in path.parent.iterdir()}
                assert debris_ok(names), names
            assert len(statuses) == 3 + KILLS
        finally:
            driver.stdin.close()
            driver.wait(30)
            driver.stdout.close()
        # A complete, normal refresh afterwards: no temp file left, the session still works.
        result = run_cli(["refresh", "--force"], aws_env)
        assert result.returncode == 0, result.stderr
        assert not list(path.parent.glob("*.tmp"))
        assert {p.name for p in path.parent.iterdir()} == {path.name, path.name + ".lock"}
        assert json.loads(path.read_text())["refreshToken"] in fake.refresh_tokens
        assert path.stat().st_mode & 0o777 == 0o600


class TestCacheLinksAndSpecialFiles:
    """A link or special file planted in the cache directory is never followed,
    opened for writing or waited on; links the user chose (the cache directory,
    the config file) keep working; temp files of killed writers are swept."""

    def test_planted_temp_links_are_never_followed_by_a_refresh(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        config = Path(aws_env["AWS_CONFIG_FILE"])
        victim = tmp_path / "victim"
        victim.write_bytes(VICTIM_BYTES)
        names = list(PLANTED_LINK_NAMES) + [f".{os.urandom(6).hex()}.tmp" for _ in range(40)]
        for i, suffix in enumerate(names):
            target = victim if i % 2 == 0 else tmp_path / f"dangling-{i}"  # existing, and not yet existing
            os.symlink(target, f"{path}{suffix}")
            os.symlink(target, f"{config}{suffix}")
        before = tree_state(tmp_path, skip=path.parent)
        for _ in range(2):
            result = run_here(["refresh", "--force"], aws_env)
            assert result.returncode == 0, result.stderr
        assert len(fake.token_calls("refresh_token")) == 2
        assert victim.read_bytes() == VICTIM_BYTES
        assert not path.is_symlink() and stat.S_ISREG(os.lstat(path).st_mode)
        assert json.loads(path.read_text())["accessToken"]["accessKeyId"] != "ASIAOLD"
        assert not list(tmp_path.glob("dangling-*"))
        assert tree_state(tmp_path, skip=path.parent) == before
        for suffix in names:  # a link is at most removed (unlink never follows), never written through
            link = Path(f"{path}{suffix}")
            assert not link.exists() or link.is_symlink(), suffix

    def test_a_temp_link_planted_at_the_exact_name_is_refused_not_followed(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Planted after any sweep, at the very name the writer picks: O_EXCL and O_NOFOLLOW."""
        target = tmp_path / "entry.json"
        target.write_bytes(b"old")
        victim = tmp_path / "victim"
        victim.write_bytes(VICTIM_BYTES)
        real_urandom = os.urandom
        monkeypatch.setattr(os, "urandom", lambda n: b"\xab" * n if n == 6 else real_urandom(n))
        for pointee in (victim, tmp_path / "not-yet"):
            link = tmp_path / f"entry.json.{'ab' * 6}.tmp"
            os.symlink(pointee, link)
            with pytest.raises(st.UnsafeFileError) as info:
                st._atomic_write(str(target), b"new")
            assert str(link) in str(info.value) and "symbolic link" in str(info.value)
            assert link.is_symlink()
            link.unlink()
        assert victim.read_bytes() == VICTIM_BYTES
        assert not (tmp_path / "not-yet").exists()
        assert target.read_bytes() == b"old"

    @pytest.mark.parametrize("expires_in", [200, -60])
    @pytest.mark.parametrize("dangling", [False, True])
    def test_planted_lock_link_fails_the_refresh_and_creates_nothing(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, expires_in: int, dangling: bool
    ) -> None:
        path = write_session(aws_env, fake, expires_in=expires_in)
        victim = tmp_path / "victim"
        if not dangling:
            victim.write_bytes(VICTIM_BYTES)
        lock = Path(f"{path}.lock")
        os.symlink(victim, lock)
        entry_before = file_state(path)
        before = tree_state(tmp_path, skip=path.parent)
        result = run_here(["credentials"], aws_env)
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        assert str(lock) in result.stderr and "symbolic link" in result.stderr
        assert fake.token_calls() == []
        assert victim.exists() is not dangling
        if not dangling:
            assert victim.read_bytes() == VICTIM_BYTES
        assert lock.is_symlink()
        assert file_state(path) == entry_before
        assert tree_state(tmp_path, skip=path.parent) == before

    @pytest.mark.parametrize("kind", ["fifo", "directory", "link", "link-to-fifo"])
    @pytest.mark.parametrize("command", ["credentials", "status", "refresh"])
    def test_special_file_at_the_entry_path_is_refused_promptly(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, kind: str, command: str
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        elsewhere = tmp_path / "elsewhere.json"
        elsewhere.write_bytes(path.read_bytes())
        elsewhere.chmod(0o600)
        path.unlink()
        if kind == "fifo":
            os.mkfifo(path, 0o600)
        elif kind == "directory":
            path.mkdir(0o700)
        elif kind == "link":
            os.symlink(elsewhere, path)
        else:
            os.mkfifo(tmp_path / "fifo", 0o600)
            os.symlink(tmp_path / "fifo", path)
        before = tree_state(tmp_path)
        result = run_here([command], aws_env)
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        assert str(path) in result.stderr
        expected = "not a regular file" if kind in ("fifo", "directory") else "symbolic link"
        assert expected in result.stderr, result.stderr
        assert fake.token_calls() == []
        assert tree_state(tmp_path) == before

    def test_login_replaces_a_link_at_the_entry_path_without_following_it(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = login_env(aws_env, fake)
        path = cache_path(env)
        path.parent.mkdir(parents=True, mode=0o700)
        victim = tmp_path / "victim"
        victim.write_bytes(VICTIM_BYTES)
        os.symlink(victim, path)
        rc, _, err = full_login_here(env)
        assert rc == 0, err
        assert victim.read_bytes() == VICTIM_BYTES
        assert not path.is_symlink() and stat.S_ISREG(os.lstat(path).st_mode)
        assert file_mode(path) == 0o600
        assert json.loads(path.read_text())["accessToken"]["accountId"] == ACCOUNT

    def test_a_linked_cache_directory_chosen_by_the_user_keeps_working(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        real = tmp_path / "elsewhere" / "login-cache"
        real.mkdir(parents=True, mode=0o700)
        link = tmp_path / "home" / "cache-link"
        os.symlink(real, link)
        env = login_env(aws_env, fake, AWS_LOGIN_CACHE_DIRECTORY=str(link))
        rc, _, err = full_login_here(env)
        assert rc == 0, err
        entry = real / cache_path(env).name
        assert stat.S_ISREG(os.lstat(entry).st_mode)
        first = json.loads(entry.read_text())["accessToken"]["accessKeyId"]
        set_expiry(entry, time.time() + 60)
        result = run_here(["credentials"], env)
        assert result.returncode == 0, result.stderr
        assert (
            json.loads(result.stdout)["AccessKeyId"]
            == json.loads(entry.read_text())["accessToken"]["accessKeyId"]
        )
        assert json.loads(result.stdout)["AccessKeyId"] != first
        assert len(fake.token_calls("refresh_token")) == 1
        assert link.is_symlink() and os.readlink(link) == str(real)
        assert file_mode(real) == 0o700 and file_mode(entry) == 0o600
        logout = run_here(["logout"], env)
        assert logout.returncode == 0, logout.stderr
        assert not entry.exists() and link.is_symlink()

    def test_a_linked_config_file_keeps_working_and_stays_a_link(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        dotfiles = tmp_path / "dotfiles"
        dotfiles.mkdir()
        real = dotfiles / "aws-config"
        before = b"# managed in my dotfiles\n[profile dev]\nregion = eu-west-1\n"
        real.write_bytes(before)
        real.chmod(0o644)
        env = login_env(aws_env, fake)
        config = Path(env["AWS_CONFIG_FILE"])
        config.parent.mkdir(parents=True)
        os.symlink(os.path.relpath(real, config.parent), config)
        link_text = os.readlink(config)
        rc, _, err = full_login_here(env, "--profile", "dev")
        assert rc == 0, err
        assert config.is_symlink() and os.readlink(config) == link_text
        assert real.read_bytes() == before + f"login_session = {SESSION_ARN}\n".encode()
        assert file_mode(real) == 0o644
        assert not list(dotfiles.glob("*.tmp")) and not list(config.parent.glob("*.tmp"))
        result = run_here(["credentials", "--profile", "dev"], env)
        assert result.returncode == 0, result.stderr

    def test_temp_files_of_a_killed_writer_are_swept_by_refresh_and_logout(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        other = cache_path(aws_env, OTHER_SESSION_ARN)
        ours = [Path(f"{path}.{os.urandom(6).hex()}.tmp") for _ in range(3)]
        not_ours = [
            Path(f"{path}.tmp"),
            Path(f"{path}.0123456789AB.tmp"),
            Path(f"{path}.0123456789a.tmp"),
            Path(f"{other}.0123456789ab.tmp"),
            path.parent / "unrelated.0123456789ab.tmp",
        ]
        for junk in ours + not_ours:
            junk.write_text('{"accessToken": {"accessKeyId": "half-writ')
        result = run_here(["credentials"], aws_env)
        assert result.returncode == 0, result.stderr
        assert len(fake.token_calls("refresh_token")) == 1
        assert [p for p in ours if p.exists()] == []
        assert all(p.exists() for p in not_ours)
        ours = [Path(f"{path}.{os.urandom(6).hex()}.tmp") for _ in range(2)]
        for junk in ours:
            junk.write_text("half")
        result = run_here(["logout"], aws_env)
        assert result.returncode == 0, result.stderr
        assert not path.exists() and not Path(f"{path}.lock").exists()
        assert [p for p in ours if p.exists()] == []
        assert all(p.exists() for p in not_ours)


class TestCacheOwnershipAndModes:
    """StrictModes: a cache directory, entry or config file another user owns or
    can write is refused with the exact command that fixes it; an entry only
    readable by others is tightened to 0600 with one warning; what login
    creates is private."""

    @pytest.mark.parametrize("change", ["chmod-0777", "chmod-0770", "chmod-0702", "chown-nobody"])
    def test_unsafe_cache_directory_is_refused_with_the_fix(
        self, fake: FakeSignin, aws_env: dict[str, str], change: str
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        cache = path.parent
        fix = make_unsafe(cache, change, "700")
        entry_before = file_state(path)
        refused_with_fix([["credentials"], ["refresh", "--force"], ["status"]], aws_env, fix)
        login = run_here(["login", "--profile", "other", "--no-browser", "--callback-timeout", "5"], aws_env)
        assert login.returncode == 1, login.stderr
        assert fix in login.stderr and "http" not in login.stderr
        assert_no_network(fake)
        assert file_state(path) == entry_before
        assert os.listdir(cache) == [path.name]

    @pytest.mark.parametrize("change", ["chmod-0660", "chmod-0606", "chmod-0622", "chown-nobody"])
    def test_unsafe_entry_is_refused_with_the_fix(
        self, fake: FakeSignin, aws_env: dict[str, str], change: str
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        fix = make_unsafe(path, change, "600")
        entry_before = file_state(path)
        refused_with_fix([["credentials"], ["status"], ["refresh"]], aws_env, fix)
        assert fake.token_calls() == []
        assert file_state(path) == entry_before

    @pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
    @pytest.mark.parametrize("expires_in", [3600, 60])
    def test_entry_readable_by_others_is_tightened_with_one_warning(
        self, fake: FakeSignin, aws_env: dict[str, str], mode: int, expires_in: int
    ) -> None:
        path = write_session(aws_env, fake, expires_in=expires_in)
        path.chmod(mode)
        result = run_here(["credentials"], aws_env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["AccessKeyId"]
        (warning,) = result.stderr.splitlines()
        assert warning.startswith("warning: ") and str(path) in warning and "0600" in warning
        assert f"{mode:04o}" in warning
        assert file_mode(path) == 0o600
        assert len(fake.token_calls("refresh_token")) == (expires_in < 300)
        again = run_here(["credentials"], aws_env)
        assert again.returncode == 0 and again.stderr == ""

    def test_login_creates_a_private_cache_directory_and_config(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = login_env(
            aws_env,
            fake,
            AWS_LOGIN_CACHE_DIRECTORY=str(tmp_path / "new" / "cache"),
            AWS_CONFIG_FILE=str(tmp_path / "other" / "deep" / "config"),
        )
        old = os.umask(0)  # the most permissive umask a login can inherit
        try:
            rc, _, err = full_login_here(env)
        finally:
            os.umask(old)
        assert rc == 0, err
        cache = tmp_path / "new" / "cache"
        assert file_mode(cache) == 0o700
        assert file_mode(cache_path(env)) == 0o600
        config = tmp_path / "other" / "deep" / "config"
        assert file_mode(config) == 0o600
        assert config.read_text() == f"[default]\nlogin_session = {SESSION_ARN}\n"
        assert run_here(["credentials"], env).returncode == 0

    @pytest.mark.parametrize("change", ["chmod-0666", "chmod-0620", "chown-nobody"])
    def test_config_file_others_can_change_is_refused(
        self, fake: FakeSignin, aws_env: dict[str, str], change: str
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        config = Path(aws_env["AWS_CONFIG_FILE"])
        fix = make_unsafe(config, change, "600")
        config_before = file_state(config)
        entry_before = file_state(path)
        commands = [["credentials"], ["login", "--no-browser", "--callback-timeout", "5", "--yes"]]
        for error in refused_with_fix(commands, aws_env, fix):
            assert "http" not in error.replace(fix, "")
        assert_no_network(fake)
        assert file_state(config) == config_before
        assert file_state(path) == entry_before

    def test_strict_modes_hold_for_an_unprivileged_user(self, fake: FakeSignin) -> None:
        """As ``nobody``: its own files work; an entry root owns is refused; a config
        file root owns (an administrator's) is trusted, as for the cache directory."""
        need_setpriv()
        import tempfile

        base = Path(tempfile.mkdtemp(prefix="signin-token-nobody-"))
        try:
            os.chmod(base, 0o755)  # noqa: S103 - nobody must reach its home inside
            home = base / "home"
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env.update(
                HOME=str(home),
                AWS_CONFIG_FILE=str(home / ".aws" / "config"),
                AWS_LOGIN_CACHE_DIRECTORY=str(home / ".aws" / "login" / "cache"),
                AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
                PYTHONPATH=str(HERE),
            )
            home.mkdir()
            path = write_session(env, fake, expires_in=3600)
            for root, dirs, files in os.walk(home):
                for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                    os.chown(name, NOBODY_UID, NOBODY_UID)
            result = run_cli_bytes(["credentials"], env, as_nobody=True)
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout)["AccessKeyId"] == "ASIAOLD"
            os.chown(path, 0, 0)
            path.chmod(0o644)  # readable, so that only the ownership check can refuse it
            result = run_cli_bytes(["credentials"], env, as_nobody=True)
            assert result.returncode == 1, result.stderr
            assert f"chown nobody {path}" in result.stderr
            os.chown(path, NOBODY_UID, NOBODY_UID)
            path.chmod(0o600)
            config = Path(env["AWS_CONFIG_FILE"])
            os.chown(config, 0, 0)
            config.chmod(0o644)
            result = run_cli_bytes(["credentials"], env, as_nobody=True)
            assert result.returncode == 0, result.stderr
            # A config in a directory nobody cannot write: it cannot be replaced, so the
            # login is refused before anyone is sent to sign in.
            os.chown(config.parent, 0, 0)
            config.parent.chmod(0o755)
            args = [
                "login",
                "--profile",
                "new",
                "--region",
                "us-east-1",
                "--no-browser",
                "--callback-timeout",
                "5",
            ]
            result = run_cli_bytes(args, env, as_nobody=True)
            assert result.returncode == 2, result.stderr
            assert str(config) in result.stderr and "http" not in result.stderr
            assert_no_network(fake)
        finally:
            shutil.rmtree(base)


class TestCacheOtherWriters:
    """Entries other tools write: rewritten in place (caught torn), broken for good,
    with members we do not know, without ``accountId`` (PROTOCOL.md §9, §13)."""

    def test_an_entry_caught_half_rewritten_is_read_again_by_the_cli(
        self, fake: FakeSignin, aws_env: dict[str, str], signed_in: Path
    ) -> None:
        path = signed_in
        inode = path.stat().st_ino
        data = json.dumps(
            other_sdk_entry(fake, "ASIAREWRITTEN", 3600), indent=2
        ).encode()  # as the JS SDK writes
        thread = rewrite_in_place(path, data, torn_for=0.3)
        try:
            result = run_cli(["credentials"], aws_env)
        finally:
            assert thread is not None
            thread.join()
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["AccessKeyId"] == "ASIAREWRITTEN"
        assert result.stderr == ""
        assert path.read_bytes() == data and path.stat().st_ino == inode
        assert fake.token_calls() == []

    def test_an_entry_caught_half_rewritten_is_read_again_by_the_api(
        self, fake: FakeSignin, aws_env: dict[str, str], signed_in: Path
    ) -> None:
        path = signed_in
        data = json.dumps(other_sdk_entry(fake, "ASIAREWRITTEN", 3600)).encode()
        warnings: list[str] = []
        thread = rewrite_in_place(path, data, torn_for=0.3)
        try:
            creds = st.get_credentials(on_warning=warnings.append)  # starts while the entry is torn
        finally:
            assert thread is not None
            thread.join()
        assert creds.access_key_id == "ASIAREWRITTEN"
        assert creds.secret_access_key == "secret-of-ASIAREWRITTEN"
        assert warnings == []
        assert path.read_bytes() == data

    @pytest.mark.parametrize("expires_in", [3600, 60])
    @pytest.mark.parametrize("command", ["credentials", "refresh", "status"])
    def test_an_entry_broken_for_good_fails_and_is_never_rewritten(
        self, fake: FakeSignin, aws_env: dict[str, str], expires_in: int, command: str
    ) -> None:
        path = write_session(aws_env, fake, expires_in=expires_in)
        whole = path.read_bytes()
        rewrite_in_place(path, whole[: len(whole) // 2])
        before = file_state(path)
        sleeps: list[float] = []  # the torn-read wait, recorded instead of waited
        result = run_here([command], aws_env, sleeps=sleeps)
        assert result.returncode == 3, result.stderr
        assert sum(sleeps) >= st._TORN_READ_WAIT, sleeps
        assert result.stdout == ""
        assert str(path) in result.stderr
        assert re.search(LOGIN_COMMAND_RE.format(profile="default"), result.stderr), result.stderr
        assert file_state(path) == before
        assert fake.token_calls() == []
        assert os.listdir(path.parent) == [path.name]

    def test_a_refresh_keeps_unknown_members_at_both_levels(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        extra = {"signInRegion": "eu-west-1", "future": {"nested": [1, {"x": None}]}, "n": 1.5}
        path = write_session(aws_env, fake, expires_in=60, extra=extra)
        entry = json.loads(path.read_text())
        entry["accessToken"].update({"credentialScope": "eu-west-1", "futureAccess": {"a": [True, None]}})
        path.write_text(json.dumps(entry))
        for command in (["credentials"], ["refresh", "--force"]):
            result = run_here(command, aws_env)
            assert result.returncode == 0, result.stderr
        assert len(fake.token_calls("refresh_token")) == 2
        new = json.loads(path.read_text())
        for key, value in extra.items():
            assert new[key] == value, key
        assert set(new) == set(entry)
        assert new["accessToken"]["credentialScope"] == "eu-west-1"
        assert new["accessToken"]["futureAccess"] == {"a": [True, None]}
        assert set(new["accessToken"]) == set(entry["accessToken"])
        assert new["accessToken"]["accessKeyId"] != "ASIAOLD"

    @pytest.mark.parametrize("stored", ["absent", "null", "empty"])
    def test_a_missing_account_id_is_derived_from_the_session_never_null(
        self, fake: FakeSignin, aws_env: dict[str, str], stored: str, signed_in: Path
    ) -> None:
        path = signed_in
        entry = json.loads(path.read_text())
        if stored == "absent":
            del entry["accessToken"]["accountId"]
        else:
            entry["accessToken"]["accountId"] = None if stored == "null" else ""
        path.write_text(json.dumps(entry))
        valid = run_here(["credentials", "--format", "process"], aws_env)
        assert valid.returncode == 0, valid.stderr
        assert json.loads(valid.stdout)["AccountId"] == ACCOUNT
        assert fake.token_calls() == []
        forced = run_here(["refresh", "--force"], aws_env)
        assert forced.returncode == 0, forced.stderr
        assert json.loads(path.read_text())["accessToken"]["accountId"] == ACCOUNT
        after = run_here(["credentials", "--format", "process"], aws_env)
        assert after.returncode == 0, after.stderr
        doc = json.loads(after.stdout)
        assert doc["AccountId"] == ACCOUNT and doc["AccessKeyId"] != "ASIAOLD"

    def test_no_account_id_is_invented_when_the_session_has_none(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        session = "a-session-name-without-an-account"
        write_session(aws_env, fake, expires_in=60)
        entry = json.loads(cache_path(aws_env).read_text())
        del entry["accessToken"]["accountId"]
        path = store_entry(aws_env, entry, session)
        Path(aws_env["AWS_CONFIG_FILE"]).write_text(
            f"[default]\nregion = us-east-1\nlogin_session = {session}\n"
        )
        result = run_here(["credentials"], aws_env)
        assert result.returncode == 0, result.stderr
        assert "AccountId" not in json.loads(result.stdout)
        assert "accountId" not in json.loads(path.read_text())["accessToken"]
        assert len(fake.token_calls("refresh_token")) == 1


class TestConfigEditPlacement:
    """``login`` places its edit as the AWS CLI does: right after the section's last
    option line (sub-keys included), before trailing comments and blank lines; a new
    section at the very end; every other byte, and the line endings, unchanged
    (PROTOCOL.md §10)."""

    @pytest.mark.parametrize(
        ("case", "newline"),
        [
            pytest.param(case, newline, id=f"{case}-{name}")
            for case in PLACEMENT_CASES
            for name, newline in (("lf", "\n"), ("crlf", "\r\n"))
            if PLACEMENT_CASES[case][0] or name == "lf"  # an empty file has no line ending to keep
        ],
    )
    def test_login_session_goes_where_the_aws_cli_puts_it(
        self, fake: FakeSignin, aws_env: dict[str, str], case: str, newline: str
    ) -> None:
        before, profile, expected = PLACEMENT_CASES[case]
        env = login_env(aws_env, fake)
        config = Path(env["AWS_CONFIG_FILE"])
        config.parent.mkdir(parents=True)
        config.write_bytes(before.replace("\n", newline).encode())
        config.chmod(0o600)
        rc, _, err = full_login_here(env, "--profile", profile, "--yes")
        assert rc == 0, err
        expected = expected.replace("@", f"login_session = {SESSION_ARN}\n")
        assert config.read_bytes() == expected.replace("\n", newline).encode()
        import configparser

        parsed = configparser.RawConfigParser()
        parsed.read_string(config.read_text())
        section = "default" if profile == "default" else f"profile {profile}"
        assert parsed[section]["login_session"] == SESSION_ARN

    def test_a_prompted_region_is_placed_with_the_session(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """Two new keys in one edit: both after the last option line, in order."""
        config_text = "[profile dev]\r\noutput = json\r\n# trailing\r\n"
        config = Path(aws_env["AWS_CONFIG_FILE"])
        config.parent.mkdir(parents=True)
        config.write_bytes(config_text.encode())
        st._update_config(str(config), "dev", SESSION_ARN, "eu-north-1")
        assert (
            config.read_bytes()
            == (
                f"[profile dev]\r\noutput = json\r\nlogin_session = {SESSION_ARN}\r\n"
                "region = eu-north-1\r\n# trailing\r\n"
            ).encode()
        )


class TestConfigInjection:
    """Nothing from the command line, the environment or the service can add a line,
    a section or a setting to the config file: bad regions and profile names are
    refused (exit 2) before any I/O, an ``idToken`` ``sub`` that is not one printable
    ARN fails the login with nothing written (PROTOCOL.md §8, §10)."""

    @pytest.mark.parametrize(
        ("where", "region"),
        [
            (where, region)
            for where in ("--region", "AWS_REGION", "AWS_DEFAULT_REGION", "profile")
            for region in (
                INJECTED_REGION,
                "us-east-1\r[x]",
                "us-east-1 x",
                "US-EAST-1",
                "us-east-1]",
                "../etc",
                "-x",
            )
            if where != "profile"
            or ("\n" not in region and "\r" not in region)  # a config line holds no line break
        ],
    )
    def test_a_region_that_is_not_a_region_name_is_refused_before_any_io(
        self, fake: FakeSignin, aws_env: dict[str, str], where: str, region: str
    ) -> None:
        env = login_env(aws_env, fake)
        del env["AWS_REGION"]
        text = SMALL_CONFIG
        args = ["login", "--profile", "dev", "--no-browser", "--callback-timeout", "5"]
        if where == "--region":
            args += [f"--region={region}"]
        elif where == "profile":
            text = SMALL_CONFIG.replace("region = eu-west-1", f"region = {region}")
        else:
            env[where] = region
        config, before = config_file_with(env, text)
        result = run_here(args, env)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        source = {"--region": "region", "profile": "region (profile dev)"}.get(where, where)
        assert f"Invalid parameter {source}:" in result.stderr, result.stderr
        assert "http" not in result.stderr
        assert config.read_bytes() == before
        assert not Path(env["AWS_LOGIN_CACHE_DIRECTORY"]).exists()
        assert_no_network(fake)
        if where != "--region":  # the commands that use a session refuse it too, even with no refresh due
            path = write_session(env, fake, profile="dev", expires_in=3600)
            if where == "profile":
                config.write_bytes(before + f"login_session = {SESSION_ARN}\n".encode())
            for command in ("credentials", "refresh"):
                result = run_here([command, "--profile", "dev"], env)
                assert result.returncode == 2, result.stderr
                assert result.stdout == ""
            assert fake.token_calls() == []
            assert json.loads(path.read_text())["accessToken"]["accessKeyId"] == "ASIAOLD"

    @pytest.mark.parametrize(
        "sub",
        [
            SESSION_ARN + "\n[profile evil]\ncredential_process = /bin/sh",
            SESSION_ARN + "]\n[default",
            SESSION_ARN + "\r[profile evil]",
            SESSION_ARN + "\x00",
            SESSION_ARN + "\x1b[2J",
            SESSION_ARN + "\x7f",
            SESSION_ARN + " [profile evil]",
            SESSION_ARN + "\u2028[profile evil]",
            SESSION_ARN + "\x85x",
            "[profile evil]",
            "",
        ],
    )
    def test_an_id_token_sub_that_is_not_one_printable_arn_writes_nothing(
        self, fake: FakeSignin, aws_env: dict[str, str], sub: str
    ) -> None:
        fake.subject = sub
        env = login_env(aws_env, fake)
        config, before = config_file_with(env)
        rc, out, err = full_login_here(env, "--profile", "dev")
        assert rc == 1, err
        assert out == ""
        assert "idToken" in err and "sub" in err
        assert "evil" not in err
        assert config.read_bytes() == before
        cache = Path(env["AWS_LOGIN_CACHE_DIRECTORY"])
        assert not cache.exists() or [p for p in cache.iterdir() if not p.name.endswith(".lock")] == []
        assert len(fake.token_calls("authorization_code")) == 1

    def test_brackets_and_comment_characters_in_an_arn_stay_inside_the_value(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """IAM paths may hold any printable ASCII: such a session is one value, read back
        as such by configparser (as botocore reads it) and by us."""
        sub = f"arn:aws:iam::{ACCOUNT}:user/[default]/x;y#z=w:v]/Bob"
        env = login_env(aws_env, fake)
        config, before = config_file_with(env)
        fake.subject = sub
        rc, _, err = full_login_here(env, "--profile", "dev")
        assert rc == 0, err
        assert config.read_bytes() == before + f"login_session = {sub}\n".encode()
        import configparser

        parsed = configparser.RawConfigParser()
        parsed.read_string(config.read_text())
        assert parsed.sections() == ["default", "profile dev"]
        assert dict(parsed["profile dev"]) == {"region": "eu-west-1", "login_session": sub}
        assert dict(parsed["default"]) == {"output": "json"}
        result = run_here(["credentials", "--profile", "dev"], env)
        assert result.returncode == 0, result.stderr
        assert cache_path(env, sub).exists()

    @pytest.mark.parametrize("command", ["login", "credentials", "logout", "status"])
    @pytest.mark.parametrize("how", ["--profile", "--profile=", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"])
    def test_a_profile_name_the_config_cannot_hold_is_refused_before_anything(
        self, fake: FakeSignin, aws_env: dict[str, str], command: str, how: str
    ) -> None:
        env: dict[str, Any] = login_env(aws_env, fake)
        path = write_session(env, fake, profile="dev", expires_in=60)
        config = Path(env["AWS_CONFIG_FILE"])
        before = file_state(config), file_state(path), tree_state(Path(env["HOME"]))
        extra = ["--no-browser", "--callback-timeout", "5", "--yes"] if command == "login" else []
        names: list[Any] = [*BAD_PROFILE_NAMES, b"dev\xff", b"\xc3\x28", b"\xed\xa0\x80"]  # not UTF-8
        if how in ("--profile=", "AWS_DEFAULT_PROFILE"):  # the same check: a sample is enough
            names = names[::4]
        if how.startswith("--profile"):
            names.append("")
        for name in names:
            run_env = dict(env)
            if how == "--profile":
                args = [command, "--profile", name, *extra]
            elif how == "--profile=":
                args = [
                    command,
                    (b"--profile=" + name) if isinstance(name, bytes) else f"--profile={name}",
                    *extra,
                ]
            else:
                args = [command, *extra]
                if isinstance(name, str) and "\x00" in name:
                    continue
                run_env[how] = name
            result = run_here(args, run_env)
            assert result.returncode == 2, (name, result.stderr)
            assert result.stdout == ""
            assert "http" not in result.stderr
            field = "profile" if how.startswith("--") else how
            assert re.search(rf"(?i)invalid parameter (--)?{field}", result.stderr), (name, result.stderr)
            if isinstance(name, bytes):
                assert "UTF-8" in result.stderr
        assert (file_state(config), file_state(path), tree_state(Path(env["HOME"]))) == before
        assert_no_network(fake)


class TestNoLostUpdatesOrResurrection:
    """Concurrent logins lose no config line; a logout, removal or rewrite by another
    tool during a refresh wins over the refresh; a config that cannot be updated is
    found before the browser opens; a lock file is removed only by its holder."""

    def test_concurrent_logins_to_one_config_both_land(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        config, _ = config_file_with(env)
        args = ["login", "--no-browser", "--callback-timeout", "30", "--profile"]
        landed: list[str] = []
        for trial in range(6):
            with (
                login_process([*args, f"a{trial}"], env) as first,
                login_process([*args, f"b{trial}"], env) as second,
            ):
                urls = [login_url(first), login_url(second)]
                results: list[tuple[int, str]] = []

                def follow(url: str, results: list[tuple[int, str]] = results) -> None:
                    results.append(browser_follow(url))

                followers = [threading.Thread(target=follow, args=(u,)) for u in urls]
                for t in followers:
                    t.start()
                for t in followers:
                    t.join(30)
                assert [status for status, _ in results] == [200, 200], results
                for handle in (first, second):
                    rc, _, err = login_finish(handle)
                    assert rc == 0, err
            landed += [f"a{trial}", f"b{trial}"]
            import configparser

            parsed = configparser.RawConfigParser()
            parsed.read_string(config.read_text())
            for name in landed:
                assert parsed[f"profile {name}"]["login_session"] == SESSION_ARN, (trial, name)
            assert config.read_text().startswith(SMALL_CONFIG)
            assert not list(config.parent.glob("config.*.tmp"))

    def test_logout_during_a_refresh_waits_for_it_and_nothing_comes_back(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600)
        lock = Path(f"{path}.lock")
        with held_refresh(fake, ["refresh", "--force"], aws_env) as (refresh, release):
            logout = spawn([sys.executable, "-m", "signin_token", "logout"], aws_env)
            try:
                time.sleep(1)  # time for the logout to reach the lock the refresh holds
                assert logout.poll() is None, logout.communicate()
                assert path.exists() and lock.exists()  # nothing removed while another holds the lock
                release.set()
                refresh_result = finish_process(refresh)
                logout_result = finish_process(logout)
            finally:
                if logout.poll() is None:
                    logout.kill()
                    logout.communicate()
        assert refresh_result[0] == 0, refresh_result[2]
        assert logout_result[0] == 0, logout_result[2]
        assert str(path) in logout_result[2]
        assert not path.exists() and not lock.exists()
        assert os.listdir(path.parent) == []
        after = run_here(["credentials"], aws_env)
        assert after.returncode == 3, after.stderr

    @pytest.mark.parametrize(
        ("command", "expires_in"),
        [(["refresh", "--force"], 3600), (["credentials"], -60), (["credentials"], 200)],
    )
    def test_an_entry_removed_during_a_refresh_is_not_recreated(
        self, fake: FakeSignin, aws_env: dict[str, str], command: list[str], expires_in: int
    ) -> None:
        path = write_session(aws_env, fake, expires_in=expires_in)
        with held_refresh(fake, command, aws_env) as (proc, release):
            os.unlink(path)  # another tool's logout: no lock
            release.set()
            rc, out, err = finish_process(proc)
        assert rc == 3, err
        assert out == ""  # logged out: not even credentials that are still valid
        assert "removed" in err and str(path) in err
        assert re.search(LOGIN_COMMAND_RE.format(profile="default"), err), err
        assert not path.exists()
        assert [p for p in os.listdir(path.parent) if not p.endswith(".lock")] == []

    @pytest.mark.parametrize("how", ["in-place", "replaced"])
    def test_an_entry_rewritten_during_a_refresh_is_kept_as_written(
        self, fake: FakeSignin, aws_env: dict[str, str], how: str
    ) -> None:
        path = write_session(aws_env, fake, expires_in=-60)
        theirs = json.dumps(other_sdk_entry(fake, "ASIATHEIRS", 3600), indent=2).encode()
        with held_refresh(fake, ["credentials"], aws_env) as (proc, release):
            if how == "in-place":
                rewrite_in_place(path, theirs)
            else:
                other = path.with_name("written-by-another-tool")
                other.write_bytes(theirs)
                other.chmod(0o600)
                os.replace(other, path)
            release.set()
            rc, out, err = finish_process(proc)
        assert rc == 0, err
        assert json.loads(out)["AccessKeyId"] == "ASIATHEIRS"
        assert path.read_bytes() == theirs
        assert [p for p in os.listdir(path.parent) if p.endswith(".tmp")] == []

    @pytest.mark.parametrize("mode", [0o444, 0o400, 0o044])
    def test_a_read_only_config_fails_the_login_before_the_browser(
        self, fake: FakeSignin, aws_env: dict[str, str], mode: int
    ) -> None:
        env = login_env(aws_env, fake)
        config, before = config_file_with(env)
        config.chmod(mode)
        result = run_cli(["login", "--profile", "dev", "--no-browser", "--callback-timeout", "5"], env)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert "http" not in result.stderr
        assert str(config) in result.stderr and "read-only" in result.stderr
        assert config.read_bytes() == before and file_mode(config) == mode
        assert not Path(env["AWS_LOGIN_CACHE_DIRECTORY"]).exists()
        assert_no_network(fake)


@contextlib.contextmanager
def special_file(path: Path, kind: str) -> Iterator[None]:
    """``path`` made a file that is not a regular one: ``fifo``, ``directory``, ``socket``,
    ``dev-zero`` (a link to /dev/zero) or ``link-to-fifo``; removed afterwards."""
    path.parent.mkdir(parents=True, exist_ok=True)
    listener = None
    if kind == "fifo":
        os.mkfifo(path, 0o600)
    elif kind == "directory":
        path.mkdir(0o700)
    elif kind == "socket":
        listener = socket.socket(socket.AF_UNIX)
        os.chdir(path.parent)  # a relative name: socket paths are short
        try:
            listener.bind(path.name)
        finally:
            os.chdir(HERE)
    elif kind == "dev-zero":
        os.symlink("/dev/zero", path)
    else:
        os.mkfifo(path.parent / "fifo", 0o600)
        os.symlink(path.parent / "fifo", path)
    try:
        yield
    finally:
        if listener is not None:
            listener.close()


# What the refusal of each special file names.
SPECIAL_KINDS = {
    "fifo": "a FIFO",
    "directory": "a directory",
    "socket": "a socket",
    "dev-zero": "a character device",
    "link-to-fifo": "a FIFO",
}


@contextlib.contextmanager
def fifo_fed_by_another_user(path: Path, text: str) -> Iterator[subprocess.Popen[str]]:
    """``nobody`` (a real process, through setpriv) makes a FIFO at ``path`` and waits to
    feed it ``text``, as another user can in a sticky directory such as /tmp."""
    script = 'mkfifo -m 622 "$1" && printf %s "$2" > "$1"'
    as_nobody = ["setpriv", f"--reuid={NOBODY_UID}", f"--regid={NOBODY_UID}", "--clear-groups"]
    writer = subprocess.Popen([*as_nobody, "sh", "-c", script, "sh", str(path), text], text=True)
    try:
        for _ in range(1000):  # until the FIFO exists
            if path.exists() or writer.poll() is not None:
                break
            time.sleep(0.01)
        assert stat.S_ISFIFO(os.lstat(path).st_mode) and os.lstat(path).st_uid == NOBODY_UID
        yield writer
    finally:
        writer.kill()
        writer.wait()


class TestFilesCheckedBeforeReading:
    """Every file read (config, shared credentials, cache entry, serve's token file, token's
    --input-json) is opened without blocking and without following a link another user
    made, then checked on the open descriptor: a regular file, owner and modes by the
    StrictModes rule, a size bound.  Only then is it read: a FIFO or device never hangs a
    command, /dev/zero is no MemoryError, and nothing reaches the network."""

    @pytest.mark.parametrize("kind", list(SPECIAL_KINDS))
    @pytest.mark.parametrize("command", ["credentials", "sessions"])
    def test_a_config_that_is_no_regular_file_is_refused_at_once(
        self, fake: FakeSignin, aws_env: dict[str, str], kind: str, command: str
    ) -> None:
        write_session(aws_env, fake, expires_in=60)  # due: a read config would send a refresh
        config = Path(aws_env["AWS_CONFIG_FILE"])
        config.unlink()
        with special_file(config, kind):
            result = run_cli([command], aws_env, timeout=20)
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        assert f"config file {config} is {SPECIAL_KINDS[kind]}" in result.stderr
        assert "not a regular file" in result.stderr and "Traceback" not in result.stderr
        assert_no_network(fake)

    @pytest.mark.parametrize("kind", [*SPECIAL_KINDS, "too-large", "others-can-write"])
    def test_completion_of_profiles_prints_nothing_at_once_for_an_unusable_config(
        self, aws_env: dict[str, str], kind: str
    ) -> None:
        config = Path(aws_env["AWS_CONFIG_FILE"])
        if kind == "too-large":
            write_config(aws_env, "[profile a]\n" + "#" * (4 << 20))
        elif kind == "others-can-write":
            write_config(aws_env, "[profile a]\n").chmod(0o666)
        with contextlib.ExitStack() as stack:
            if kind in SPECIAL_KINDS:
                stack.enter_context(special_file(config, kind))
            result = run_cli(["completion", "--profiles"], aws_env, timeout=20)
        assert (result.returncode, result.stdout) == (0, "")

    def test_a_fifo_another_user_feeds_in_a_sticky_directory_is_refused(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        need_setpriv()
        import tempfile

        shared = Path(tempfile.mkdtemp(prefix="signin-token-sticky-"))
        try:
            shared.chmod(0o1777)  # a shared directory such as /tmp
            write_session(aws_env, fake, expires_in=60)
            hostile = f"[default]\nendpoint_url = {fake.url}\nlogin_session = {SESSION_ARN}\n"
            env = dict(aws_env, AWS_CONFIG_FILE=str(shared / "config"))
            with fifo_fed_by_another_user(shared / "config", hostile):
                results = [run_cli(command, env, timeout=20) for command in (["credentials"], ["status"])]
                completion = run_cli(["completion", "--profiles"], env, timeout=20)
            for result in results:
                assert result.returncode == 1, result.stderr
                assert f"config file {shared / 'config'} is a FIFO" in result.stderr
            assert (completion.returncode, completion.stdout) == (0, "")
            assert_no_network(fake)
        finally:
            shutil.rmtree(shared)

    def test_a_link_another_user_made_is_refused_and_one_of_the_user_is_followed(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        config = Path(aws_env["AWS_CONFIG_FILE"])
        real = tmp_path / "real-config"
        os.replace(config, real)
        os.symlink(real, config)
        chained = tmp_path / "chained"
        os.symlink(config, chained)
        for path in (config, chained):  # the user's own links (a chain of two too) keep working
            result = run_cli(["credentials"], dict(aws_env, AWS_CONFIG_FILE=str(path)))
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout)["AccessKeyId"] == "ASIAOLD"
        need_root()
        os.lchown(config, NOBODY_UID, NOBODY_UID)
        result = run_cli(["credentials"], dict(aws_env, AWS_CONFIG_FILE=str(chained)))
        assert result.returncode == 1, result.stderr
        assert f"config file (a symbolic link) {config} is owned by nobody" in result.stderr
        assert f"chown -h {nobody_user()} {config}" in result.stderr
        assert fake.token_calls() == []

    def test_a_config_over_4_mib_is_refused_before_it_is_read(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        write_session(aws_env, fake, expires_in=60)
        config = Path(aws_env["AWS_CONFIG_FILE"])
        with config.open("a") as f:
            f.write("# padding\n" * ((4 << 20) // 10))
        result = run_cli(["credentials"], aws_env, timeout=20)
        assert result.returncode == 1, result.stderr
        assert f"config file {config} is larger than 4 MiB" in result.stderr
        assert_no_network(fake)

    @pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
    def test_a_shared_credentials_file_that_is_no_regular_file_fails_the_login_at_once(
        self, fake: FakeSignin, aws_env: dict[str, str], kind: str
    ) -> None:
        env = login_env(aws_env, fake)
        config_file_with(env)
        shared = Path(env["AWS_SHARED_CREDENTIALS_FILE"])
        with special_file(shared, kind):
            result = run_cli(["login", "--profile", "dev", "--no-browser", "--callback-timeout", "5"], env)
        assert result.returncode == 1, result.stderr
        assert f"shared credentials file {shared} is {SPECIAL_KINDS[kind]}" in result.stderr
        assert "http" not in result.stderr
        assert_no_network(fake)

    @pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory", "too-large", "nobody's"])
    def test_an_unusable_token_file_stops_serve_at_once(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, kind: str
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        path = tmp_path / "token"
        with contextlib.ExitStack() as stack:
            if kind == "too-large":
                path.write_text("t" * 5000)
                path.chmod(0o600)
            elif kind == "nobody's":
                need_root()
                path.write_text("a-token-of-another-user")
                path.chmod(0o600)
                os.chown(path, NOBODY_UID, NOBODY_UID)
            else:
                stack.enter_context(special_file(path, kind))
            result = run_cli(["serve", "--token-file", str(path)], aws_env, timeout=20)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        expected = {
            "too-large": "larger than 4 KiB",
            "nobody's": f"chown {nobody_user()}",
            "dev-zero": "a symbolic link",  # serve follows no link at all
        }
        assert expected.get(kind, SPECIAL_KINDS.get(kind, "")) in result.stderr, result.stderr
        assert "--token-file" in result.stderr and "another-user" not in result.stderr

    def test_a_cache_entry_over_1_mib_is_unusable_and_kept(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        entry = json.loads(path.read_text())
        entry["padding"] = "x" * (1 << 20)
        path.write_text(json.dumps(entry))
        before = file_state(path)
        for command in (["credentials"], ["status"]):
            result = run_cli(command, aws_env, timeout=20)
            assert result.returncode == 3, result.stderr
            assert f"unusable cache entry {path}: it is larger than 1 MiB" in result.stderr
        assert file_state(path) == before
        assert_no_network(fake)

    @pytest.mark.parametrize("kind", ["fifo", "dev-zero", "too-large"])
    def test_an_unusable_input_json_file_is_refused_at_once(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, kind: str
    ) -> None:
        key_file = tmp_path / "key.pem"
        key_file.write_text(st.DPoPKey.generate().to_pem())
        key_file.chmod(0o600)
        path = tmp_path / "request.json"
        with contextlib.ExitStack() as stack:
            if kind == "too-large":
                path.write_text(json.dumps({"padding": "x" * (1 << 20)}))
            else:
                stack.enter_context(special_file(path, kind))
            argv = [
                "token",
                "--endpoint-url",
                fake.url,
                "--dpop-key",
                str(key_file),
                "--input-json",
                str(path),
            ]
            result = run_cli(argv, aws_env, timeout=20)
        assert result.returncode == 2, result.stderr
        expected = "larger than 1 MiB" if kind == "too-large" else SPECIAL_KINDS[kind]
        assert f"--input-json file {path} is {expected}" in result.stderr
        assert fake.token_calls() == []

    def test_input_json_on_stdin_is_bounded(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        key_file = tmp_path / "key.pem"
        key_file.write_text(st.DPoPKey.generate().to_pem())
        argv = ["token", "--endpoint-url", fake.url, "--dpop-key", str(key_file), "--input-json", "-"]
        code, out, err = run_main(argv, stdin=json.dumps({"padding": "x" * (1 << 20)}))
        assert (code, out) == (2, "")
        assert "--input-json: stdin holds more than 1 MiB" in err
        assert fake.token_calls() == []


def many_profiles_config(count: int) -> tuple[str, dict[str, dict[str, str]]]:
    """A generated config of ``count`` profiles (IAM Identity Center ones, ``login_session``
    ones, nested ``s3`` blocks, comments, a duplicate section) and the string options of each."""
    text = "# generated\n[default]\nregion = eu-west-1\n"
    expected: dict[str, dict[str, str]] = {"default": {"region": "eu-west-1"}}
    for i in range(count):
        if i % 3 == 0:
            body = {"login_session": f"arn:aws:iam::123456789012:user/u{i}", "region": "us-east-1"}
        elif i % 3 == 1:
            body = {"sso_session": "corp", "sso_account_id": f"{100000000000 + i}", "sso_role_name": "Dev"}
        else:
            body = {"region": "us-west-2"}
        text += f"[profile p{i}]\n" + "".join(f"{k} = {v}\n" for k, v in body.items())
        if i % 3 == 2:  # a nested block: not a string option of the profile
            text += "s3 =\n  max_concurrent_requests = 20\n; a comment\n"
        expected[f"p{i}"] = body
    text += "[profile p1]\nregion = ignored\n[sso-session corp]\nsso_region = us-east-1\n"
    return text, expected


class TestConfigParsedOnce:
    """The config is parsed in one pass into a section index that every lookup reads
    and :meth:`set` rebuilds: thousands of profiles read exactly as a few do, and edits
    keep every other lookup right."""

    def test_thousands_of_profiles_each_read_as_written(self, aws_env: dict[str, str]) -> None:
        text, expected = many_profiles_config(5000)
        config = write_config(aws_env, text)
        parsed = st._ConfigFile(str(config))
        profiles = parsed.profiles()
        assert profiles == expected  # the first [profile p1] wins, as before
        assert list(profiles) == list(expected)  # file order
        nested = {"region": "us-west-2", "s3": {"max_concurrent_requests": "20"}}
        assert parsed.section("profile p5", "profile p2") == nested
        assert parsed.section("sso-session corp") == {"sso_region": "us-east-1"}
        code, out, err = run_main(["completion", "--profiles"])
        assert (code, err) == (0, "")
        assert out.splitlines() == list(expected)

    def test_sessions_and_logout_over_thousands_of_profiles(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600)
        text, _ = many_profiles_config(3000)
        config = Path(aws_env["AWS_CONFIG_FILE"])
        config.write_text(text + f"[profile mine]\nregion = us-east-1\nlogin_session = {SESSION_ARN}\n")
        code, out, err = run_main(["sessions", "--json"])
        assert code == 0, err
        rows = {row["profile"]: row for row in json.loads(out)}
        assert len(rows) == 1000 + 1 and rows["mine"]["state"] == "valid"
        assert rows["p2997"]["state"] == "logged-out"
        code, out, err = run_main(["logout", "--profile", "mine"])
        assert code == 0, err
        assert f"removed {path} (used by: mine)" in err
        assert not path.exists()

    def test_edits_keep_every_lookup_right(self, tmp_path: Path) -> None:
        path = tmp_path / "config"
        path.write_text("[profile a]\nregion = us-east-1\n[profile b]\nx = 1\n\n[profile c]\ny = 2")
        config = st._ConfigFile(str(path))
        config.set("a", "login_session", SESSION_ARN)  # a line inserted before b and c
        config.set("c", "z", "3")  # a line added at the very end
        config.set("new", "region", "eu-west-1")  # a section appended
        config.set("b", "x", "4")  # replaced in place
        expected = {
            "a": {"region": "us-east-1", "login_session": SESSION_ARN},
            "b": {"x": "4"},
            "c": {"y": "2", "z": "3"},
            "new": {"region": "eu-west-1"},
        }
        assert config.profiles() == expected
        config.save()
        assert st._ConfigFile(str(path)).profiles() == expected
        assert path.read_text() == (
            f"[profile a]\nregion = us-east-1\nlogin_session = {SESSION_ARN}\n[profile b]\nx = 4\n\n"
            "[profile c]\ny = 2\nz = 3\n[profile new]\nregion = eu-west-1\n"
        )


# --------------------------------------------------------------------------
# Sessions: credentials, refresh, status, logout, login
# --------------------------------------------------------------------------


def without_key(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


BOTOCORE_SCRIPT = """
import json, sys
import botocore.session
session = botocore.session.Session(profile=sys.argv[1])
creds = session.get_credentials()
frozen = creds.get_frozen_credentials()
print(json.dumps({"method": creds.method, "key": frozen.access_key, "secret": frozen.secret_key,
                  "token": frozen.token}))
"""


def botocore_credentials(env: dict[str, str], profile: str) -> dict[str, str]:
    """Resolve ``profile`` with botocore in a subprocess (no global state here)."""
    out = run_ok(
        [sys.executable, "-c", BOTOCORE_SCRIPT, profile],
        # botocore reads AWS_DEFAULT_REGION, not AWS_REGION (the AWS CLI v2 reads both).
        dict(env, AWS_EC2_METADATA_DISABLED="true", AWS_DEFAULT_REGION=env.get("AWS_REGION", "")),
    )
    result: dict[str, str] = json.loads(out)
    return result


JS_SDK_LOGIN_PACKAGE = "@aws-sdk/credential-provider-login"
# fromLoginCredentials({profile}) is the package's entry point for login_session profiles
# (dist-cjs/index.js): cache dir $AWS_LOGIN_CACHE_DIRECTORY, endpoint through the SDK's
# AWS_ENDPOINT_URL_SIGNIN / AWS_ENDPOINT_URL, region from the entry, profile or AWS_REGION.
JS_SDK_RESOLVE_SCRIPT = """
const { fromLoginCredentials } = require("@aws-sdk/credential-provider-login");
(async () => {
  try {
    const c = await fromLoginCredentials({ profile: process.argv[2] })();
    process.stdout.write(JSON.stringify({ key: c.accessKeyId, secret: c.secretAccessKey,
      token: c.sessionToken, account: c.accountId, expiration: c.expiration.toISOString() }));
  } catch (err) {
    process.stderr.write(`${err && err.name}: ${err && err.message}\\n`);
    process.exit(1);
  }
})();
"""


def js_sdk_node_modules() -> Path:
    """The node_modules holding the JS SDK: $SIGNIN_TOKEN_NODE_MODULES, else /work/node's."""
    if shutil.which("node") is None:
        need_peer("node-sdk", "node is not installed")
    for candidate in (os.environ.get("SIGNIN_TOKEN_NODE_MODULES"), "/work/node/node_modules"):
        if candidate and (Path(candidate) / JS_SDK_LOGIN_PACKAGE).is_dir():
            return Path(candidate)
    need_peer(
        "node-sdk",
        f"{JS_SDK_LOGIN_PACKAGE} not found: set SIGNIN_TOKEN_NODE_MODULES to the node_modules holding it",
    )


def js_sdk_credentials(env: dict[str, str], tmp_path: Path, profile: str = "default") -> dict[str, str]:
    """Resolve ``profile`` with the JS SDK's fromLoginCredentials in one node process."""
    modules = js_sdk_node_modules()
    script = tmp_path / "js_peer.js"
    script.write_text(JS_SDK_RESOLVE_SCRIPT)
    out = run_ok(
        ["node", str(script), profile], dict(env, NODE_PATH=str(modules), NODE_NO_WARNINGS="1"), cwd=tmp_path
    )
    result: dict[str, str] = json.loads(out)
    return result


def login_for_js_sdk(aws_env: dict[str, str], fake: FakeSignin, variable: str) -> dict[str, str]:
    """Our CLI logs in against ``fake`` named by ``variable``; the entry is then near expiry."""
    js_sdk_node_modules()  # skip before doing any work
    env = dict(aws_env, AWS_REGION="us-east-1")
    env.pop("AWS_ENDPOINT_URL_SIGNIN", None)
    env[variable] = fake.url
    rc, _, err = full_login(env)
    assert rc == 0, err
    assert len(fake.token_calls("authorization_code")) == 1
    set_expiry(cache_path(env), time.time() + 120)
    return env


def signed_in_with_a_region_flag(env: dict[str, str], region: str) -> Path:
    """``login --region REGION`` and no region anywhere else: the entry records it as
    ``signInRegion``, the config gets none (as the AWS CLI); the entry, set near expiry."""
    rc, _, err = full_login(env, "--region", region)
    assert rc == 0, err
    path = cache_path(env)
    assert json.loads(path.read_text())["signInRegion"] == region
    assert "region" not in Path(env["AWS_CONFIG_FILE"]).read_text()
    set_expiry(path, time.time() + 120)
    return path


STATUS_KEYS = {
    "profile",
    "login_session",
    "account_id",
    "expiration",
    "seconds_left",
    "valid",
    "state",
    "session_end",
    "cache_file",
    "refused",
    "login_profile",
}
SESSIONS_ROW_KEYS = {
    "profile",
    "source",
    "login_profile",
    "login_session",
    "account_id",
    "expiration",
    "session_end",
    "state",
    "cache_file",
}

LISTED_SESSION_ARNS = {
    "default": "arn:aws:iam::111111111111:user/valid",
    "dev": "arn:aws:sts::222222222222:assumed-role/Dev/refreshable",
    "old": "arn:aws:iam::333333333333:user/ended",
    "gone": "arn:aws:iam::444444444444:user/logged-out",
    "broken": "arn:aws:iam::555555555555:user/unusable",
    "badkey": "arn:aws:iam::666666666666:user/badkey",
    "linked": "arn:aws:iam::777777777777:user/linked",
}


def entry_signed_in_ago(
    fake: FakeSignin,
    session: str = SESSION_ARN,
    *,
    expires_in: float = 3600,
    signed_in_ago: float | None = None,
) -> dict[str, Any]:
    """A cache entry bound to ``fake``; its idToken has ``iat`` = now - ``signed_in_ago`` (none: no iat)."""
    key = st.DPoPKey.generate()
    claims: dict[str, Any] = {"sub": session}
    if signed_in_ago is not None:
        claims["iat"] = int(time.time() - signed_in_ago)
    return {
        "accessToken": {
            "accessKeyId": "ASIAOLD",
            "secretAccessKey": "old-secret",
            "sessionToken": "old-session",
            "accountId": session.split(":")[4],
            "expiresAt": iso_stamp(time.time() + expires_in),
        },
        "tokenType": TOKEN_TYPE,
        "clientId": st.SAME_DEVICE_CLIENT_ID,
        "refreshToken": fake.seed_session(key),
        "idToken": fake_jwt(claims),
        "dpopKey": key.to_pem(),
    }


def estimated_session_end(entry: dict[str, Any]) -> float:
    """The session end PROTOCOL.md §15 gives: the idToken's iat + 12 hours."""
    return float(json.loads(b64url_decode(entry["idToken"].split(".")[1]))["iat"] + 43200)


def files_under(root: Path) -> dict[str, tuple[bytes | str, int, int]]:
    """Every file and link under ``root``: (content or link target, mode, mtime_ns)."""
    tree: dict[str, tuple[bytes | str, int, int]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            tree[str(path)] = (os.readlink(path), info.st_mode, info.st_mtime_ns)
        elif path.is_file():
            tree[str(path)] = (path.read_bytes(), info.st_mode, info.st_mtime_ns)
    return tree


def first_url_printed(handles: list[LoginHandle], timeout: float = 60) -> str:
    """The first URL line either process prints on stderr."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for handle in handles:
            try:
                line = handle[1].get(timeout=0.05)
            except queue.Empty:
                continue
            if line is not None and line.strip().startswith("http"):
                return line.strip()
    raise AssertionError("no URL was printed: " + " | ".join("".join(h[2]) for h in handles))


def credential_fields(creds: st.Credentials) -> tuple[Any, ...]:
    """Every field of a Credentials, secrets included."""
    return (
        creds.access_key_id,
        creds.secret_access_key,
        creds.session_token,
        creds.expiration,
        creds.account_id,
        creds.login_session,
    )


def url_lines_printed(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip().startswith("http")]


def call_outcome(run: Callable[[], st.Credentials]) -> tuple[str, Any]:
    """(``"ok"``, the Credentials) or (exception type, message without request ids)."""
    try:
        return "ok", run()
    except st.SigninTokenError as exc:
        return type(exc).__name__, re.sub(r" \[request id [^]]*\]", "", str(exc))


def warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


# A 400 about the grant, with the real service's text (PROTOCOL.md §11): a definitive refusal.
GRANT_REFUSED_FAULT = (
    "raw",
    400,
    json.dumps(
        {
            "error": "INVALID_REQUEST",
            "message": "The provided authorization grant is invalid, expired, revoked, or malformed",
        }
    ).encode(),
    "application/json",
)
REFRESH_FAILURES = {
    # name: (faults for the fake, what the warning or error must say failed)
    "5xx-x3": ([("status", 500, "InternalServerException", "server_error")] * 3, "InternalServerException"),
    "429": (
        [("status", 429, "TooManyRequestsError", "INVALID_REQUEST", {"Retry-After": "0"})] * 3,
        "TooManyRequests",
    ),
    "transport": ([], "127.0.0.1"),
    "rate_exceeded": (
        [("status", 429, "TooManyRequestsError", "rate_exceeded", {"Retry-After": "0"})] * 3,
        "rate_exceeded",
    ),
    "service_unavailable": (
        [("status", 503, "ServiceUnavailableException", "service_unavailable", {"Retry-After": "0"})] * 3,
        "service_unavailable",
    ),
    "conflict": ([("status", 409, "ConflictException", "CONFLICT")], "CONFLICT"),
    "request-fault": ([("status", 400, "ValidationException", "INVALID_REQUEST")], "INVALID_REQUEST"),
    "permissions": (
        [("status", 403, "AccessDeniedException", "INSUFFICIENT_PERMISSIONS")],
        "SignInLocalDevelopmentAccess",
    ),
    "broken-dpopKey": ([], "DPoP key"),
}


# The failures above that a new session may fix (the others are transient: waiting helps).
SESSION_FAULTS = ("permissions", "request-fault", "broken-dpopKey")


def break_next_refresh(env: dict[str, str], fake: FakeSignin, failure: str, path: Path) -> dict[str, str]:
    """Make the next refresh of the entry at ``path`` fail as ``failure`` says; the env to use."""
    faults, _ = REFRESH_FAILURES[failure]
    fake.faults.extend(faults)
    if failure == "transport":
        env = dict(env, AWS_ENDPOINT_URL_SIGNIN=f"http://127.0.0.1:{free_port()}")
        os.environ["AWS_ENDPOINT_URL_SIGNIN"] = env["AWS_ENDPOINT_URL_SIGNIN"]
    elif failure == "broken-dpopKey":
        entry = json.loads(path.read_text())
        entry["dpopKey"] = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
        path.write_text(json.dumps(entry))
    return env


def refreshed_beside_a_ticker(fake: FakeSignin, env: dict[str, str]) -> st.Credentials:
    """``get_credentials_async(environ=env)`` beside a ticker: it refreshed once without ever
    blocking the event loop; its credentials."""
    creds, ticks = beside_a_ticker(lambda: st.get_credentials_async(environ=env))
    assert isinstance(creds, st.Credentials)
    assert len(fake.token_calls("refresh_token")) == 1
    assert_kept_ticking(ticks)
    return creds


class TestLoginSkipIfValid:
    """``login --skip-if-valid`` reuses a valid or refreshable session (PROTOCOL.md §9)."""

    @pytest.mark.parametrize(("expires_in", "refreshes"), [(3600, 0), (120, 1), (-600, 1)])
    def test_reuses_session(
        self, fake: FakeSignin, aws_env: dict[str, str], expires_in: float, refreshes: int
    ) -> None:
        write_session(aws_env, fake, expires_in=expires_in)
        result = run_here(["login", "--skip-if-valid", "--no-browser", "--callback-timeout", "3"], aws_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert "/v1/authorize" not in result.stderr
        assert SESSION_ARN in result.stderr
        assert len(fake.token_calls("refresh_token")) == refreshes
        assert fake.token_calls("authorization_code") == []

    @pytest.mark.parametrize("state", ["no-session", "revoked", "corrupt"])
    def test_logs_in_when_session_is_unusable(
        self, fake: FakeSignin, aws_env: dict[str, str], state: str
    ) -> None:
        env = login_env(aws_env, fake)
        if state != "no-session":
            path = write_session(env, fake, expires_in=-600)
            if state == "revoked":
                fake.faults.append(("status", 401, "AccessDeniedException", "TOKEN_EXPIRED"))
            else:
                path.write_text("{")
        rc, out, err = full_login_here(env, "--skip-if-valid")
        assert rc == 0, err
        assert out == ""
        assert len(fake.token_calls("authorization_code")) == 1
        entry = json.loads(cache_path(env).read_text())
        assert entry["accessToken"]["accessKeyId"] != "ASIAOLD"


class TestCredentialsCommand:
    """``credentials`` / ``export-credentials``: the credential_process JSON and the
    shell formats, refreshing only when 5 minutes or less remain (PROTOCOL.md §9, §12)."""

    @pytest.mark.parametrize("command", ["credentials", "export-credentials"])
    def test_process_format_from_a_valid_entry_needs_no_network(
        self, fake: FakeSignin, aws_env: dict[str, str], command: str, signed_in: Path
    ) -> None:
        path = signed_in
        before = path.read_bytes()
        result = run_here([command, "--format", "process"], aws_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("\n") == 1
        doc = json.loads(result.stdout)
        assert tuple(doc) == PROCESS_KEYS
        assert doc["Version"] == 1
        assert doc["AccountId"] == ACCOUNT
        assert (doc["AccessKeyId"], doc["SecretAccessKey"], doc["SessionToken"]) == (
            "ASIAOLD",
            "old-secret",
            "old-session",
        )
        expected = json.loads(before)["accessToken"]["expiresAt"]
        assert iso_instant(doc["Expiration"]) == iso_instant(expected)
        assert fake.token_calls() == []
        assert path.read_bytes() == before
        # process is also the default format
        plain = run_here([command], aws_env)
        assert plain.stdout == result.stdout

    def test_json_format(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        write_session(aws_env, fake, expires_in=3600)
        result = run_here(["credentials", "--format", "json"], aws_env)
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["AccessKeyId"] == "ASIAOLD"
        assert doc["SecretAccessKey"] == "old-secret"
        assert doc["SessionToken"] == "old-session"

    @pytest.mark.parametrize(
        ("fmt", "pattern"),
        [
            ("env", r"export (AWS_[A-Z_]+)=(.*)"),
            ("env-no-export", r"(AWS_[A-Z_]+)=(.*)"),
            ("fish", r"set -gx (AWS_[A-Z_]+) (.*)"),
            ("powershell", r"\$Env:(AWS_[A-Z_]+)='(.*)'"),
            ("windows-cmd", r"set (AWS_[A-Z_]+)=(.*)"),
        ],
    )
    def test_shell_formats(
        self, fake: FakeSignin, aws_env: dict[str, str], fmt: str, pattern: str, signed_in: Path
    ) -> None:
        path = signed_in
        expires = json.loads(path.read_text())["accessToken"]["expiresAt"]
        result = run_here(["credentials", "--format", fmt], aws_env)
        assert result.returncode == 0, result.stderr
        found = {}
        for line in result.stdout.splitlines():
            m = re.fullmatch(pattern, line)
            assert m is not None, line
            found[m.group(1)] = m.group(2)
        assert set(found) == {
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
        }
        assert found["AWS_ACCESS_KEY_ID"] == "ASIAOLD"
        assert found["AWS_SECRET_ACCESS_KEY"] == "old-secret"
        assert found["AWS_SESSION_TOKEN"] == "old-session"
        assert iso_instant(found["AWS_CREDENTIAL_EXPIRATION"].strip("'")) == iso_instant(expires)
        assert fake.token_calls() == []

    @pytest.mark.parametrize(
        ("fmt", "secret"),
        [
            ("env", "old-secret"),
            ("env-no-export", "old-secret"),
            ("env", "it's a secret"),
            ("env", 'sp ace $HOME `id` "dq"'),
            ("env", "back\\slash\\"),
            ("env-no-export", "x'\\''y"),
        ],
    )
    def test_env_output_evaluated_by_bash(
        self, fake: FakeSignin, aws_env: dict[str, str], fmt: str, secret: str, signed_in: Path
    ) -> None:
        path = signed_in
        entry = json.loads(path.read_text())
        entry["accessToken"]["secretAccessKey"] = secret
        path.write_text(json.dumps(entry))
        bash = shutil.which("bash")
        sh = shutil.which("sh")
        if bash is None or sh is None:
            pytest.skip("no bash")
        cli = shlex.join([sys.executable, "-m", "signin_token", "credentials", "--format", fmt])
        script = (
            f'out="$({cli})" || exit 9\n'
            'eval "$out" || exit 8\n'
            'printf \'%s\\n\' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" '
            '"$AWS_CREDENTIAL_EXPIRATION"\n'
            f'{shlex.quote(sh)} -c \'printf "%s\\n" "${{AWS_SECRET_ACCESS_KEY-unset}}"\'\n'
        )
        lines = run_ok([bash, "-c", script], aws_env).split("\n")
        assert lines[:3] == ["ASIAOLD", secret, "old-session"]
        assert iso_instant(lines[3]) == iso_instant(entry["accessToken"]["expiresAt"])
        assert lines[4] == (secret if fmt == "env" else "unset")

    @pytest.mark.parametrize(
        ("seconds_left", "refreshed"),
        [(3600, False), (400, False), (300, True), (120, True), (-3600, True)],
    )
    def test_refresh_threshold_and_rewrite(
        self, fake: FakeSignin, aws_env: dict[str, str], seconds_left: float, refreshed: bool
    ) -> None:
        extra = {"someFutureKey": {"nested": [1, 2]}, "startUrl": "kept"}
        path = write_session(aws_env, fake, expires_in=seconds_left, extra=extra)
        before = path.read_bytes()
        old = json.loads(before)
        t0 = time.time()
        result = run_here(["credentials"], aws_env)
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        if not refreshed:
            assert fake.token_calls() == []
            assert path.read_bytes() == before
            assert doc["AccessKeyId"] == "ASIAOLD"
            return
        (call,) = fake.token_calls()
        assert call["grant"] == "refresh_token"
        assert call["json"] == {
            "clientId": SAME_DEVICE_CLIENT,
            "refreshToken": old["refreshToken"],
            "grantType": "refresh_token",
        }
        new = json.loads(path.read_text())
        assert file_mode(path) == 0o600
        assert set(new) == set(old)
        for key in set(old) - {"accessToken", "refreshToken"}:
            assert new[key] == old[key], key
        assert set(new["accessToken"]) == CACHE_ACCESS_TOKEN_KEYS
        assert new["accessToken"]["accountId"] == ACCOUNT
        assert new["accessToken"]["accessKeyId"] == doc["AccessKeyId"] != "ASIAOLD"
        assert new["accessToken"]["secretAccessKey"] == doc["SecretAccessKey"]
        assert new["accessToken"]["sessionToken"] == doc["SessionToken"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", new["accessToken"]["expiresAt"])
        assert iso_instant(new["accessToken"]["expiresAt"]) >= int(t0) + 900 - 1
        assert new["refreshToken"] != old["refreshToken"]
        with fake.lock:
            assert new["refreshToken"] in fake.refresh_tokens
        assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []

    def test_refresh_without_refresh_token_keeps_the_old_one(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        old = json.loads(path.read_text())
        fake.omit_refresh_token = True
        result = run_here(["credentials"], aws_env)
        assert result.returncode == 0, result.stderr
        new = json.loads(path.read_text())
        assert new["refreshToken"] == old["refreshToken"]
        assert new["accessToken"]["accessKeyId"] == json.loads(result.stdout)["AccessKeyId"] != "ASIAOLD"
        again = run_here(["refresh", "--force"], aws_env)
        assert again.returncode == 0, again.stderr
        assert [c["json"]["refreshToken"] for c in fake.token_calls()] == [old["refreshToken"]] * 2

    def test_credential_process_from_botocore(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        need_botocore(crt=False)
        path = write_session(aws_env, fake, profile="dev", expires_in=3600)
        command = shlex.join([sys.executable, "-m", "signin_token", "credentials", "--profile", "dev"])
        with Path(aws_env["AWS_CONFIG_FILE"]).open("a") as f:
            f.write(f"\n[profile viaproc]\ncredential_process = {command}\n")
        got = botocore_credentials(aws_env, "viaproc")
        access = json.loads(path.read_text())["accessToken"]
        assert (got["key"], got["secret"], got["token"]) == (
            access["accessKeyId"],
            access["secretAccessKey"],
            access["sessionToken"],
        )
        assert got["method"] == "custom-process"
        assert fake.token_calls() == []


class TestRefreshStatusLogoutExec:
    """``status`` (local files only) and ``exec`` (PROTOCOL.md §9, §10, §12); ``refresh`` is
    in TestRefreshSaysWhatItDid, ``logout`` in TestLogoutLikeAwsLogout."""

    @pytest.mark.parametrize(
        ("expires_in", "rc", "valid"), [(3600, 0, True), (400, 0, True), (200, 0, False), (-60, 0, False)]
    )
    def test_status(
        self, fake: FakeSignin, aws_env: dict[str, str], expires_in: float, rc: int, valid: bool
    ) -> None:
        path = write_session(aws_env, fake, expires_in=expires_in, profile="dev")
        before = path.read_bytes()
        text = run_here(["status", "--profile", "dev"], aws_env)
        assert text.returncode == rc, text.stderr
        assert SESSION_ARN in text.stdout
        result = run_here(["status", "--json"], dict(aws_env, AWS_PROFILE="dev"))
        assert result.returncode == rc, result.stderr
        info = json.loads(result.stdout)
        assert info["profile"] == "dev"
        assert info["login_session"] == SESSION_ARN
        assert info["account_id"] == ACCOUNT
        assert info["valid"] is valid
        # An idToken without iat: the session's end is unknown, so the next use refreshes.
        assert info["state"] == ("valid" if valid else "refreshable") and info["session_end"] is None
        assert iso_instant(info["expiration"]) == iso_instant(json.loads(before)["accessToken"]["expiresAt"])
        assert fake.token_calls() == []
        assert path.read_bytes() == before


class TestUnusableSessions:
    """Unusable cache entries and refused refreshes: exit 3 with the login command,
    files untouched (PROTOCOL.md §9, §11)."""

    @pytest.mark.parametrize(
        ("corrupt", "command"),
        [
            pytest.param(lambda e: "{this is not json", "credentials", id="not-json"),
            pytest.param(lambda e: "", "status", id="empty"),
            pytest.param(lambda e: json.dumps([e]), "refresh", id="array"),
            pytest.param(
                lambda e: json.dumps(without_key(e, "refreshToken")), "credentials", id="no-refreshToken"
            ),
            pytest.param(lambda e: json.dumps(without_key(e, "dpopKey")), "status", id="no-dpopKey"),
            pytest.param(lambda e: json.dumps(without_key(e, "clientId")), "refresh", id="no-clientId"),
            pytest.param(
                lambda e: json.dumps(without_key(e, "accessToken")), "credentials", id="no-accessToken"
            ),
            pytest.param(
                lambda e: json.dumps(dict(e, accessToken=dict(e["accessToken"], expiresAt="tomorrow"))),
                "status",
                id="bad-expiresAt",
            ),
            pytest.param(
                lambda e: json.dumps(
                    dict(e, accessToken=dict(e["accessToken"], expiresAt="2025-13-45T99:00:00Z"))
                ),
                "credentials",
                id="impossible-date",
            ),
            pytest.param(
                lambda e: json.dumps(dict(e, accessToken=without_key(e["accessToken"], "expiresAt"))),
                "refresh",
                id="no-expiresAt",
            ),
            pytest.param(
                lambda e: json.dumps(dict(e, accessToken=without_key(e["accessToken"], "sessionToken"))),
                "credentials",
                id="no-sessionToken",
            ),
        ],
    )
    def test_corrupt_cache(
        self,
        fake: FakeSignin,
        aws_env: dict[str, str],
        corrupt: Callable[[dict[str, Any]], str],
        command: str,
        signed_in: Path,
    ) -> None:
        path = signed_in
        path.write_text(corrupt(json.loads(path.read_text())))
        before = path.read_bytes()
        sleeps: list[float] = []
        result = run_here([command], aws_env, sleeps=sleeps)
        assert result.returncode == 3, result.stderr
        # Re-read for the torn-read wait (another tool may be rewriting it), then given up.
        assert sleeps and set(sleeps) == {0.05} and sum(sleeps) >= st._TORN_READ_WAIT, sleeps
        assert result.stdout == ""
        assert str(path) in result.stderr
        assert path.read_bytes() == before
        assert fake.token_calls() == []

    def test_bad_dpop_key_is_a_new_login(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        path = write_session(  # expired: still-valid credentials would be returned with a warning
            aws_env, fake, expires_in=-60, extra={"dpopKey": "-----BEGIN EC PRIVATE KEY-----\nAAAA\n"}
        )
        before = path.read_bytes()
        result = run_here(["credentials"], aws_env)
        assert result.returncode == 3, result.stderr
        assert str(path) in result.stderr
        assert path.read_bytes() == before
        assert fake.token_calls() == []

    @pytest.mark.parametrize(
        ("fault", "rc"),
        [
            (("status", 401, "AccessDeniedException", "TOKEN_EXPIRED"), 3),
            (("status", 403, "AccessDeniedException", "USER_CREDENTIALS_CHANGED"), 3),
            (GRANT_REFUSED_FAULT, 3),
            (None, 3),  # a refresh token the service does not know: the fake's own 400
            (("status", 400, "ValidationException", "invalid_grant"), 3),
            (("status", 400, "ValidationException", "INVALID_REQUEST"), 1),  # not about the grant
            (("status", 403, "AccessDeniedException", "INSUFFICIENT_PERMISSIONS"), 1),
        ],
        ids=[
            "token-expired",
            "credentials-changed",
            "invalid-grant-injected",
            "invalid-grant-real",
            "invalid_grant-code",
            "malformed-request",
            "permissions",
        ],
    )
    def test_refused_refresh(
        self, fake: FakeSignin, aws_env: dict[str, str], fault: tuple[Any, ...] | None, rc: int
    ) -> None:
        path = write_session(aws_env, fake, expires_in=-60, profile="dev")
        if fault is None:
            with fake.lock:
                fake.refresh_tokens.clear()
        else:
            fake.faults.append(fault)
        before = path.read_bytes()
        config_before = Path(aws_env["AWS_CONFIG_FILE"]).read_bytes()
        result = run_here(["credentials", "--profile", "dev"], aws_env)
        assert result.returncode == rc, result.stderr
        assert result.stdout == ""
        assert len(fake.token_calls()) == 1  # refusals are not retried
        assert path.read_bytes() == before
        assert Path(aws_env["AWS_CONFIG_FILE"]).read_bytes() == config_before
        if rc == 3:
            assert re.search(LOGIN_COMMAND_RE.format(profile="dev"), result.stderr), result.stderr
        elif "INSUFFICIENT_PERMISSIONS" in str(fault):
            assert "signin:CreateOAuth2Token" in result.stderr
            assert "SignInLocalDevelopmentAccess" in result.stderr
        else:
            assert "check the endpoint and region settings" in result.stderr, result.stderr

    @pytest.mark.parametrize(
        ("setup", "command"),
        [
            ("no-config", "credentials"),
            ("no-section", "refresh"),
            ("no-login-session", "status"),
            ("no-login-session", "credentials"),
            ("no-cache-file", "credentials"),
            ("no-cache-file", "status"),
        ],
    )
    def test_no_session_is_exit_3(
        self, fake: FakeSignin, aws_env: dict[str, str], setup: str, command: str
    ) -> None:
        env = login_env(aws_env, fake)
        config = Path(env["AWS_CONFIG_FILE"])
        config.parent.mkdir(parents=True)
        if setup == "no-section":
            config.write_text("[profile other]\nregion = us-east-1\n")
        elif setup == "no-login-session":
            config.write_text("[profile dev]\nregion = us-east-1\noutput = json\n")
        elif setup == "no-cache-file":
            config.write_text(f"[profile dev]\nregion = us-east-1\nlogin_session = {SESSION_ARN}\n")
        result = run_here([command, "--profile", "dev"], env)
        assert result.returncode == 3, result.stderr
        assert result.stdout == ""
        assert re.search(LOGIN_COMMAND_RE.format(profile="dev"), result.stderr), result.stderr
        assert fake.token_calls() == []


class TestConcurrentRefreshOnce:
    """Concurrent processes refresh a session once, under the lock (PROTOCOL.md §9)."""

    def test_eight_processes_one_refresh(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        procs = [spawn([sys.executable, "-m", "signin_token", "credentials"], aws_env) for _ in range(8)]
        results = [(*p.communicate(timeout=60), p.returncode) for p in procs]
        outputs = []
        for out, err, rc in results:
            assert rc == 0, err
            outputs.append(json.loads(out))
        for doc in outputs:
            assert set(doc) == set(PROCESS_KEYS)
            assert iso_instant(doc["Expiration"]) > time.time() + 300
        keys = {doc["AccessKeyId"] for doc in outputs}
        assert len(keys) == 1
        assert keys != {"ASIAOLD"}
        assert len(fake.token_calls("refresh_token")) == 1
        entry = json.loads(path.read_text())
        assert {entry["accessToken"]["accessKeyId"]} == keys
        with fake.lock:
            assert entry["refreshToken"] in fake.refresh_tokens


class TestValidCacheImportsNoHTTP:
    """The valid-cache path imports no HTTP or TLS stack (the module's promise for
    credential_process use)."""

    @pytest.mark.parametrize(("expires_in", "network"), [(3600, False), (60, True)])
    def test_imports(
        self, fake: FakeSignin, aws_env: dict[str, str], expires_in: float, network: bool
    ) -> None:
        write_session(aws_env, fake, expires_in=expires_in)
        probe = (
            "import sys, signin_token\n"
            "rc = signin_token.main(['credentials'])\n"
            "heavy = ('urllib.request', 'ssl', 'http.client', 'argparse')\n"
            "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
            "raise SystemExit(rc)\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", probe],
            env=aws_env,
            cwd=str(HERE),
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        loaded = json.loads(proc.stderr.strip().splitlines()[-1].replace("'", '"'))
        if network:
            assert "urllib.request" in loaded  # the probe sees a network import when there is one
        else:
            assert loaded == []  # not even argparse: the credential_process line is read without it
        assert len(fake.token_calls()) == (1 if network else 0)


class TestBotocoreSharesSessions:
    """botocore's LoginProvider and signin_token share entries both ways
    (PROTOCOL.md §6, §7, §9)."""

    def test_botocore_refreshes_our_login(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        need_botocore()
        env = login_env(aws_env, fake)
        rc, _, err = full_login(env)
        assert rc == 0, err
        (redeem,) = fake.token_calls("authorization_code")
        path = cache_path(env)
        ours = json.loads(path.read_text())
        set_expiry(path, time.time() + 120)
        got = botocore_credentials(env, "default")
        assert got["method"] == "login"
        (refresh,) = fake.token_calls("refresh_token")
        assert refresh["jkt"] == redeem["jkt"]  # botocore signed with the key we stored
        written = json.loads(path.read_text())
        assert written["accessToken"]["accessKeyId"] == got["key"] != ours["accessToken"]["accessKeyId"]
        assert written["dpopKey"] == ours["dpopKey"]
        assert written["idToken"] == ours["idToken"]
        # ... and we read and refresh the entry botocore wrote.
        creds = run_cli(["credentials"], env)
        assert creds.returncode == 0, creds.stderr
        assert json.loads(creds.stdout)["AccessKeyId"] == got["key"]
        assert len(fake.token_calls()) == 2
        forced = run_cli(["refresh", "--force"], env)
        assert forced.returncode == 0, forced.stderr
        assert len(fake.token_calls("refresh_token")) == 2

    def test_botocore_reads_and_refreshes_what_we_refreshed(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        need_botocore()
        path = write_session(aws_env, fake, expires_in=60)
        result = run_cli(["refresh"], aws_env)
        assert result.returncode == 0, result.stderr
        ours = json.loads(path.read_text())
        got = botocore_credentials(aws_env, "default")
        assert (got["key"], got["secret"], got["token"]) == (
            ours["accessToken"]["accessKeyId"],
            ours["accessToken"]["secretAccessKey"],
            ours["accessToken"]["sessionToken"],
        )
        assert len(fake.token_calls()) == 1
        set_expiry(path, time.time() + 100)
        got = botocore_credentials(aws_env, "default")
        assert len(fake.token_calls("refresh_token")) == 2
        assert json.loads(path.read_text())["accessToken"]["accessKeyId"] == got["key"] != "ASIAOLD"
        after = run_cli(["credentials"], aws_env)
        assert json.loads(after.stdout)["AccessKeyId"] == got["key"]

    def test_a_region_given_only_at_login_is_where_everyone_refreshes(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """``login --region`` writes no region to the config but records ``signInRegion``:
        botocore 1.44 and we then refresh with no region anywhere (PROTOCOL.md §16)."""
        need_botocore()
        env = login_env(aws_env, fake)
        del env["AWS_REGION"]
        path = signed_in_with_a_region_flag(env, "eu-west-2")
        got = botocore_credentials(env, "default")
        assert len(fake.token_calls("refresh_token")) == 1
        assert json.loads(path.read_text())["accessToken"]["accessKeyId"] == got["key"]
        set_expiry(path, time.time() + 120)
        ours = run_cli(["credentials"], env)
        assert ours.returncode == 0, ours.stderr
        assert len(fake.token_calls("refresh_token")) == 2
        assert json.loads(path.read_text())["signInRegion"] == "eu-west-2"  # kept by both


class TestJavaScriptSDKSharesSessions:
    """The AWS SDK for JavaScript v3 (@aws-sdk/credential-provider-login) and signin_token share
    login sessions both ways against the strict fake (PROTOCOL.md §9, §13)."""

    @pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL"])
    def test_js_reads_and_refreshes_our_login(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, variable: str
    ) -> None:
        """Also: both honour the endpoint override ``variable`` (no other endpoint is set)."""
        env = login_for_js_sdk(aws_env, fake, variable)
        path = cache_path(env)
        ours = json.loads(path.read_text())
        got = js_sdk_credentials(env, tmp_path)
        (redeem,) = fake.token_calls("authorization_code")
        (refresh,) = fake.token_calls("refresh_token")
        key = st.DPoPKey.from_pem(ours["dpopKey"])
        assert refresh["jkt"] == key.thumbprint() == redeem["jkt"]  # signed with the key we stored
        assert refresh["json"]["refreshToken"] == ours["refreshToken"]
        assert proof_claims(refresh)["htu"] == fake.token_url
        written = json.loads(path.read_text())
        access = written["accessToken"]
        assert (got["key"], got["secret"], got["token"], got["account"]) == (
            access["accessKeyId"],
            access["secretAccessKey"],
            access["sessionToken"],
            ACCOUNT,
        )
        assert got["key"] != ours["accessToken"]["accessKeyId"]
        assert written["refreshToken"] != ours["refreshToken"]
        assert {k: written[k] for k in ("dpopKey", "idToken", "clientId")} == {
            k: ours[k] for k in ("dpopKey", "idToken", "clientId")
        }
        # ... and our CLI reads what the JS SDK wrote, without another refresh.
        creds = run_cli(["credentials"], env)
        assert creds.returncode == 0, creds.stderr
        doc = json.loads(creds.stdout)
        assert (doc["AccessKeyId"], doc["SecretAccessKey"], doc["SessionToken"]) == (
            got["key"],
            got["secret"],
            got["token"],
        )
        assert abs(iso_instant(doc["Expiration"]) - iso_instant(got["expiration"])) < 1
        assert len(fake.token_calls()) == 2

    def test_a_region_given_only_at_login_is_where_everyone_refreshes(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        """``login --region`` (no region in the config, none in the environment): the JS
        SDK refreshes in the entry's ``signInRegion``, and so do we afterwards."""
        js_sdk_node_modules()
        env = dict(aws_env, AWS_ENDPOINT_URL_SIGNIN=fake.url)
        path = signed_in_with_a_region_flag(env, "ap-southeast-2")
        got = js_sdk_credentials(env, tmp_path)
        assert len(fake.token_calls("refresh_token")) == 1
        assert json.loads(path.read_text())["accessToken"]["accessKeyId"] == got["key"]
        set_expiry(path, time.time() + 120)
        ours = run_cli(["credentials"], env)
        assert ours.returncode == 0, ours.stderr
        assert len(fake.token_calls("refresh_token")) == 2

    def test_we_refresh_what_js_wrote_and_keep_its_members(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = login_for_js_sdk(aws_env, fake, "AWS_ENDPOINT_URL_SIGNIN")
        path = cache_path(env)
        entry = json.loads(path.read_text())
        entry["signInRegion"] = "us-east-1"  # a member the JS SDK reads
        entry["peerTopLevel"] = {"kept": [1, 2]}
        entry["accessToken"]["peerInside"] = "kept"
        path.write_text(json.dumps(entry))
        got = js_sdk_credentials(env, tmp_path)
        js_entry = json.loads(path.read_text())
        assert js_entry["accessToken"]["accessKeyId"] == got["key"]
        assert (
            js_entry["peerTopLevel"] == {"kept": [1, 2]} and js_entry["accessToken"]["peerInside"] == "kept"
        )
        # Make it expire, keeping everything else the JS SDK wrote.
        expired = copy.deepcopy(js_entry)
        expired["accessToken"]["expiresAt"] = iso_stamp(time.time() - 60)
        path.write_text(json.dumps(expired, indent=2))
        creds = run_cli(["credentials"], env)
        assert creds.returncode == 0, creds.stderr
        first, second = fake.token_calls("refresh_token")
        assert second["jkt"] == first["jkt"] and second["json"]["refreshToken"] == js_entry["refreshToken"]
        new = json.loads(path.read_text())
        assert json.loads(creds.stdout)["AccessKeyId"] == new["accessToken"]["accessKeyId"] != got["key"]
        assert new["refreshToken"] != js_entry["refreshToken"]
        kept = {k: v for k, v in js_entry.items() if k not in ("accessToken", "refreshToken")}
        assert {k: new.get(k) for k in kept} == kept  # every top-level member the JS SDK wrote
        rewritten = ("accessKeyId", "secretAccessKey", "sessionToken", "expiresAt")
        inside = {k: v for k, v in js_entry["accessToken"].items() if k not in rewritten}
        assert {k: new["accessToken"].get(k) for k in inside} == inside  # ... and inside accessToken


class TestSessionStatusStates:
    """``status`` and ``session_status()``: valid, refreshable (the next use refreshes) or
    ended, with the session end estimated from the idToken's iat (PROTOCOL.md §9, §15)."""

    @pytest.mark.parametrize(
        ("expires_in", "signed_in_ago", "state", "rc"),
        [
            (3600, 600, "valid", 0),
            (200, 3600, "refreshable", 0),
            (-60, 3600, "refreshable", 0),
            (-60, None, "refreshable", 0),  # no iat: the end is unknown, the next use tries
            (-60, 13 * 3600, "ended", 3),
            (200, 12 * 3600 + 60, "ended", 3),
        ],
        ids=["valid", "expiring", "expired", "end-unknown", "ended", "ended-expiring"],
    )
    def test_states(
        self,
        fake: FakeSignin,
        aws_env: dict[str, str],
        expires_in: float,
        signed_in_ago: float | None,
        state: str,
        rc: int,
    ) -> None:
        env = login_env(aws_env, fake)
        entry = entry_signed_in_ago(fake, expires_in=expires_in, signed_in_ago=signed_in_ago)
        path = store_entry(env, entry)
        config = Path(env["AWS_CONFIG_FILE"])
        config.write_text(f"[profile dev]\nregion = us-east-1\nlogin_session = {SESSION_ARN}\n")
        before = files_under(Path(env["HOME"]))
        text = run_here(["status", "--profile", "dev"], env)
        assert text.returncode == rc, text.stderr
        lines = dict(line.split(": ", 1) for line in text.stdout.splitlines())
        assert lines["session"] == SESSION_ARN and lines["account"] == ACCOUNT
        assert lines["state"].split()[0] == state, text.stdout
        assert ("the next use refreshes them" in text.stdout) == (state == "refreshable"), text.stdout
        if signed_in_ago is None:
            assert lines["session ends"] == "unknown"
        else:
            assert iso_instant(lines["session ends"].split()[0]) == estimated_session_end(entry)
        login_hint = re.search(LOGIN_COMMAND_RE.format(profile="dev"), text.stderr)
        assert (login_hint is not None) == (state == "ended"), text.stderr
        result = run_here(["status", "--json", "--profile", "dev"], env)
        assert result.returncode == rc, result.stderr
        info = json.loads(result.stdout)
        assert set(info) == STATUS_KEYS
        assert info["state"] == state and info["valid"] is (state == "valid")
        assert info["profile"] == "dev" and info["login_session"] == SESSION_ARN
        assert info["cache_file"] == str(path)
        assert iso_instant(info["expiration"]) == iso_instant(entry["accessToken"]["expiresAt"])
        if signed_in_ago is None:
            assert info["session_end"] is None
        else:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["session_end"])
            assert iso_instant(info["session_end"]) == estimated_session_end(entry)
        api = st.session_status("dev", environ=env)
        assert set(api) == STATUS_KEYS
        assert {k: v for k, v in api.items() if k != "seconds_left"} == {
            k: v for k, v in info.items() if k != "seconds_left"
        }
        assert abs(api["seconds_left"] - info["seconds_left"]) <= 2
        assert fake.requests == []
        assert files_under(Path(env["HOME"])) == before

    def test_refreshable_means_the_next_credentials_succeed(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        store_entry(env, entry_signed_in_ago(fake, expires_in=-60, signed_in_ago=3600))
        Path(env["AWS_CONFIG_FILE"]).write_text(f"[default]\nlogin_session = {SESSION_ARN}\n")
        status = run_here(["status"], env)
        assert status.returncode == 0, status.stderr
        assert "the next use refreshes them" in status.stdout
        creds = run_here(["credentials"], env)
        assert creds.returncode == 0, creds.stderr
        assert json.loads(creds.stdout)["AccessKeyId"] != "ASIAOLD"
        assert len(fake.token_calls("refresh_token")) == 1
        after = json.loads(run_here(["status", "--json"], env).stdout)
        assert after["state"] == "valid"

    def test_refresh_due_but_the_key_is_unusable_is_exit_3(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        entry = entry_signed_in_ago(fake, expires_in=-60, signed_in_ago=3600)
        entry["dpopKey"] = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
        path = store_entry(env, entry)
        Path(env["AWS_CONFIG_FILE"]).write_text(f"[profile dev]\nlogin_session = {SESSION_ARN}\n")
        before = path.read_bytes()
        for args in (["status"], ["status", "--json"]):
            result = run_here([*args, "--profile", "dev"], env)
            assert result.returncode == 3, result.stderr
            if args == ["status"]:
                assert result.stdout == ""
            else:  # one JSON object in every state
                info = json.loads(result.stdout)
                assert set(info) == STATUS_KEYS | {"error", "login_command"}
                assert (info["state"], info["valid"], info["cache_file"]) == ("unusable", False, str(path))
                assert re.search(LOGIN_COMMAND_RE.format(profile="dev"), info["login_command"])
            assert str(path) in result.stderr
            assert re.search(LOGIN_COMMAND_RE.format(profile="dev"), result.stderr), result.stderr
        assert path.read_bytes() == before
        assert fake.requests == []


class TestSessionsList:
    """``sessions``: every login_session profile and every credential_process profile that
    runs this tool, with its state; local files only (PROTOCOL.md §9, §10, §15)."""

    def setup_files(self, fake: FakeSignin, env: dict[str, str], tmp_path: Path) -> dict[str, dict[str, Any]]:
        entries = {
            "default": entry_signed_in_ago(
                fake, LISTED_SESSION_ARNS["default"], expires_in=3600, signed_in_ago=60
            ),
            "dev": entry_signed_in_ago(fake, LISTED_SESSION_ARNS["dev"], expires_in=-60, signed_in_ago=3600),
            "old": entry_signed_in_ago(
                fake, LISTED_SESSION_ARNS["old"], expires_in=-60, signed_in_ago=13 * 3600
            ),
            "badkey": entry_signed_in_ago(
                fake, LISTED_SESSION_ARNS["badkey"], expires_in=-60, signed_in_ago=60
            ),
            "linked": entry_signed_in_ago(
                fake, LISTED_SESSION_ARNS["linked"], expires_in=3600, signed_in_ago=60
            ),
        }
        entries["badkey"]["dpopKey"] = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
        for name in ("default", "dev", "old", "badkey"):
            store_entry(env, entries[name], LISTED_SESSION_ARNS[name])
        store_entry(env, {}, LISTED_SESSION_ARNS["broken"]).write_text('{"accessToken": {"accessKeyId"')
        elsewhere = tmp_path / "elsewhere.json"
        elsewhere.write_text(json.dumps(entries["linked"]))
        elsewhere.chmod(0o600)
        cache_path(env, LISTED_SESSION_ARNS["linked"]).symlink_to(elsewhere)
        sections = [
            f"[{'default' if n == 'default' else 'profile ' + n}]\nlogin_session = {a}\n"
            for n, a in LISTED_SESSION_ARNS.items()
        ]
        sections += [
            "[profile tool]\ncredential_process = python3 -m signin_token credentials --profile dev\n",
            "[profile tool2]\ncredential_process = /opt/bin/signin-token credentials --profile=old"
            " --format process\n",
            "[profile tool3]\ncredential_process = signin-token credentials\n",
            "[profile tool4]\ncredential_process = signin-token credentials --profile nosuch\n",
            "[profile other]\ncredential_process = /usr/local/bin/other-tool --profile dev\n",
            "[profile plain]\nregion = eu-west-1\n",
        ]
        config = Path(env["AWS_CONFIG_FILE"])
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("".join(sections))
        return entries

    def expected(self, env: dict[str, str], entries: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        states = {
            "default": "valid",
            "dev": "refreshable",
            "old": "ended",
            "gone": "logged-out",
            "broken": "unusable",
            "badkey": "unusable",
            "linked": "unusable",
            "nosuch": "logged-out",
        }
        rows = []
        for name, source, reads in [
            *((n, "login_session", n) for n in LISTED_SESSION_ARNS),
            ("tool", "credential_process", "dev"),
            ("tool2", "credential_process", "old"),
            ("tool3", "credential_process", "default"),
            ("tool4", "credential_process", "nosuch"),
        ]:
            session = LISTED_SESSION_ARNS.get(reads)
            known = states[reads] in ("valid", "refreshable", "ended")
            entry = entries.get(reads)
            rows.append(
                {
                    "profile": name,
                    "source": source,
                    "login_profile": reads,
                    "login_session": session,
                    "account_id": session.split(":")[4] if session else None,
                    "expiration": entry["accessToken"]["expiresAt"] if known and entry else None,
                    "session_end": iso_stamp(estimated_session_end(entry)) if known and entry else None,
                    "state": states[reads],
                    "cache_file": str(cache_path(env, session)) if session else None,
                }
            )
        return rows

    def listing(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, *flags: str
    ) -> tuple[str, list[dict[str, Any]]]:
        """``sessions FLAGS`` over :meth:`setup_files`, which it only reads (no request, nothing
        written, not even a lock file): its stdout, and the rows it must list."""
        env = login_env(aws_env, fake)
        entries = self.setup_files(fake, env, tmp_path)
        before = files_under(tmp_path)
        result = run_here(["sessions", *flags], env)
        assert result.returncode == 0, result.stderr
        assert fake.requests == []
        assert files_under(tmp_path) == before
        return result.stdout, self.expected(env, entries)

    def test_json_lists_every_profile_with_its_state(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        out, expected = self.listing(fake, aws_env, tmp_path, "--json")
        rows = json.loads(out)
        assert isinstance(rows, list) and all(set(row) == SESSIONS_ROW_KEYS for row in rows)
        assert rows == expected

    def test_text_is_an_aligned_table(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        out, expected = self.listing(fake, aws_env, tmp_path)
        header, *lines = out.splitlines()
        assert header.split()[0] == "PROFILE" and "STATE" in header
        starts = [0] + [m.end() for m in re.finditer(r" {2,}", header)]
        assert len(starts) == 7, header
        assert len(lines) == len(expected)
        for line, row in zip(lines, expected):
            for start in starts[1:]:
                assert line[start - 2 : start] == "  " and line[start] != " ", (line, start)
            cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None])]
            uses = (
                "login_session"
                if row["source"] == "login_session"
                else f"credential_process:{row['login_profile']}"
            )
            assert cells == [
                row["profile"],
                uses,
                row["account_id"] or "-",
                row["login_session"] or "-",
                row["expiration"] or "-",
                row["session_end"] or "-",
                row["state"],
            ], line
            assert line == line.rstrip()

    def test_reading_only_tightens_a_0644_entry(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = login_env(aws_env, fake)
        self.setup_files(fake, env, tmp_path)
        loose = cache_path(env, LISTED_SESSION_ARNS["dev"])
        loose.chmod(0o644)  # as the JS SDK creates entries under umask 022
        before = files_under(tmp_path)
        result = run_here(["sessions", "--json"], env)
        assert result.returncode == 0, result.stderr
        assert {r["profile"]: r["state"] for r in json.loads(result.stdout)}["dev"] == "refreshable"
        assert file_mode(loose) == 0o600
        assert str(loose) in result.stderr
        after = files_under(tmp_path)
        assert after[str(loose)][0] == before[str(loose)][0]  # same bytes
        del after[str(loose)], before[str(loose)]
        assert after == before
        assert fake.requests == []

    def test_no_profiles(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        env = login_env(aws_env, fake)
        config = Path(env["AWS_CONFIG_FILE"])
        config.parent.mkdir(parents=True)
        config.write_text("[default]\nregion = us-east-1\n[profile x]\ncredential_process = /bin/true\n")
        result = run_here(["sessions", "--json"], env)
        assert (result.returncode, json.loads(result.stdout)) == (0, [])
        text = run_here(["sessions"], env)
        assert text.returncode == 0 and len(text.stdout.splitlines()) == 1, text.stdout
        assert text.stdout.startswith("PROFILE")
        assert not Path(env["AWS_LOGIN_CACHE_DIRECTORY"]).exists()

    def test_help(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert st.main(["sessions", "--help"]) == 0
        out = capsys.readouterr().out
        assert "--json" in out and "usage:" in out


class TestCredentialsLogin:
    """``credentials --login``: a session that can no longer be refreshed is replaced by one
    same-device sign-in, shared by concurrent callers (PROTOCOL.md §3, §9, §12)."""

    @staticmethod
    def browser(tmp_path: Path) -> tuple[Path, Path]:
        """A browser command that records the URLs it is asked to open and prints to stdout."""
        log = tmp_path / "browser.log"
        script = tmp_path / "browser"
        script.write_text(f'#!/bin/sh\necho "browser noise"\necho "$1" >> {shlex.quote(str(log))}\n')
        script.chmod(0o755)
        return script, log

    def test_concurrent_callers_share_one_browser_sign_in(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        path = write_session(aws_env, fake, expires_in=-60)
        with fake.lock:
            fake.refresh_tokens.clear()  # the service refuses the refresh token
        script, log = self.browser(tmp_path)
        env = dict(login_env(aws_env, fake), BROWSER=str(script))
        args = ["credentials", "--login"]
        with login_process(args, env) as first, login_process(args, env) as second:
            url = first_url_printed([first, second])
            assert urllib.parse.urlsplit(url).path == "/v1/authorize"
            status, page = browser_follow(url)
            assert status == 200, page
            results = [login_finish(h) for h in (first, second)]
        for rc, _, err in results:
            assert rc == 0, err
        docs = [json.loads(out) for _, out, _ in results]  # stdout holds the JSON and nothing else
        assert docs[0] == docs[1]
        assert set(docs[0]) == {
            "Version",
            "AccessKeyId",
            "SecretAccessKey",
            "SessionToken",
            "Expiration",
            "AccountId",
        }
        assert docs[0]["AccessKeyId"] != "ASIAOLD"
        assert sum(len(url_lines_printed(err)) for _, _, err in results) == 1
        assert log.read_text().splitlines() == [url]  # one browser
        assert len(fake.token_calls("authorization_code")) == 1
        entry = json.loads(path.read_text())
        assert entry["accessToken"]["accessKeyId"] == docs[0]["AccessKeyId"]
        assert f"login_session = {SESSION_ARN}" in Path(env["AWS_CONFIG_FILE"]).read_text()
        assert file_mode(path) == 0o600

    def test_without_login_exit_3_and_no_url(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        path = write_session(aws_env, fake, expires_in=-60)
        with fake.lock:
            fake.refresh_tokens.clear()
        script, log = self.browser(tmp_path)
        before = path.read_bytes()
        result = run_cli(["credentials"], dict(login_env(aws_env, fake), BROWSER=str(script)))
        assert result.returncode == 3, result.stderr
        assert result.stdout == ""
        assert url_lines_printed(result.stderr) == []
        assert not log.exists()
        assert fake.token_calls("authorization_code") == []
        assert path.read_bytes() == before

    def test_a_refreshable_session_needs_no_sign_in(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        write_session(aws_env, fake, expires_in=-60)
        script, log = self.browser(tmp_path)
        result = run_cli(["credentials", "--login"], dict(login_env(aws_env, fake), BROWSER=str(script)))
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["AccessKeyId"] != "ASIAOLD"
        assert url_lines_printed(result.stderr) == [] and not log.exists()
        assert len(fake.token_calls("refresh_token")) == 1
        assert fake.token_calls("authorization_code") == []

    def test_help_names_the_flag(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert st.main(["credentials", "--help"]) == 0
        assert "--login" in capsys.readouterr().out


class TestGetCredentialsAsync:
    """``get_credentials_async``: the results, warnings and errors of ``get_credentials``; the
    loop keeps running while the lock and the service are awaited; cancelling releases the
    lock at once and leaves the entry as it was (PROTOCOL.md §9)."""

    def test_exported_with_the_same_arguments(self) -> None:
        assert "get_credentials_async" in st.__all__
        assert asyncio.iscoroutinefunction(st.get_credentials_async)
        assert st.get_credentials_async.__doc__
        sync_code, async_code = st.get_credentials.__code__, st.get_credentials_async.__code__
        assert (
            async_code.co_varnames[: async_code.co_argcount + async_code.co_kwonlyargcount]
            == (sync_code.co_varnames[: sync_code.co_argcount + sync_code.co_kwonlyargcount])
        )
        assert st.get_credentials_async.__kwdefaults__ == st.get_credentials.__kwdefaults__

    def test_same_credentials_as_blocking(
        self, fake: FakeSignin, aws_env: dict[str, str], signed_in: Path
    ) -> None:
        path = signed_in
        cached = st.get_credentials(environ=aws_env)
        assert credential_fields(asyncio.run(st.get_credentials_async(environ=aws_env))) == credential_fields(
            cached
        )
        assert fake.token_calls() == []
        set_expiry(path, time.time() + 60)
        refreshed = asyncio.run(st.get_credentials_async(environ=aws_env))
        assert refreshed.access_key_id != "ASIAOLD" and refreshed.seconds_left() > 300
        assert credential_fields(st.get_credentials(environ=aws_env)) == credential_fields(refreshed)
        assert refreshed.access_key_id == json.loads(path.read_text())["accessToken"]["accessKeyId"]
        set_expiry(path, time.time() + 60)
        again = st.get_credentials(environ=aws_env)  # refreshed by the blocking call this time
        assert credential_fields(asyncio.run(st.get_credentials_async(environ=aws_env))) == credential_fields(
            again
        )
        assert again.access_key_id != refreshed.access_key_id
        assert len(fake.token_calls("refresh_token")) == 2
        assert file_mode(path) == 0o600

    @pytest.mark.parametrize(
        ("expires_in", "fault"),
        [
            (200, ("status", 403, "AccessDeniedException", "INSUFFICIENT_PERMISSIONS")),
            (200, ("status", 401, "AccessDeniedException", "TOKEN_EXPIRED")),
            (-60, ("status", 401, "AccessDeniedException", "TOKEN_EXPIRED")),
            (-60, ("status", 403, "AccessDeniedException", "INSUFFICIENT_PERMISSIONS")),
            (-60, ("status", 400, "ValidationException", "INVALID_REQUEST")),
        ],
        ids=["still-valid-permissions", "still-valid-ended", "ended", "permissions", "malformed-request"],
    )
    def test_same_fallback_and_errors_as_blocking(
        self, fake: FakeSignin, aws_env: dict[str, str], expires_in: float, fault: tuple[Any, ...]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=expires_in)
        before = path.read_bytes()
        marker = path.parent / (path.name + ".ended")
        ended = "TOKEN_EXPIRED" in fault
        seen = []
        now = time.time()  # one instant for both calls: their warnings say the same time left
        for use_async in (False, True):
            assert marker.exists() == (ended and use_async)  # the refusal recorded by the first call
            marker.unlink(missing_ok=True)  # so that the second call asks the service too
            fake.faults.append(fault)
            warnings: list[str] = []
            kw: dict[str, Any] = {"environ": aws_env, "on_warning": warnings.append, "clock": lambda: now}
            if use_async:
                result = call_outcome(lambda: asyncio.run(st.get_credentials_async(**kw)))  # noqa: B023
            else:
                result = call_outcome(lambda: st.get_credentials(**kw))  # noqa: B023
            seen.append((result, [re.sub(r" \[request id [^]]*\]", "", w) for w in warnings]))
        assert seen[0] == seen[1], seen
        (kind, value), warnings = seen[0]
        if ended:  # a definitive refusal: no fallback, even to valid credentials
            assert kind == "SessionEndedError" and warnings == []
        elif expires_in > 0:  # the cached credentials, with the warning
            assert kind == "ok" and value.access_key_id == "ASIAOLD"
            assert len(warnings) == 1 and "using the cached ones" in warnings[0]
        else:
            assert kind == "SigninTokenError" and warnings == []
        assert path.read_bytes() == before
        assert len(fake.requests) == 2  # one refusal each, not retried

    def test_loop_keeps_ticking_during_a_slow_refresh(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        fake.faults.append(("delay", 1.5))

        creds = refreshed_beside_a_ticker(fake, aws_env)
        assert creds.access_key_id == json.loads(path.read_text())["accessToken"]["accessKeyId"] != "ASIAOLD"

    def test_loop_keeps_ticking_while_another_process_holds_the_lock(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys, time, signin_token as st\n"
                "with st._FileLock(sys.argv[1]):\n"
                "    print('locked', flush=True)\n"
                "    time.sleep(1.5)\n",
                f"{path}.lock",
            ],
            env=aws_env,
            cwd=str(HERE),
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "locked\n"

            creds = refreshed_beside_a_ticker(fake, aws_env)
            assert holder.wait(30) == 0
        finally:
            if holder.poll() is None:
                holder.kill()
            holder.wait()
            assert holder.stdout is not None
            holder.stdout.close()
        assert creds.access_key_id != "ASIAOLD"

    def test_cancelled_mid_refresh_releases_the_lock_and_keeps_the_entry(
        self, fake: FakeSignin, aws_env: dict[str, str], signed_in: Path
    ) -> None:
        path = signed_in
        before = path.read_bytes()
        fake.faults.append(("sleep", 30))  # the service hangs

        async def main() -> None:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(st.get_credentials_async(force_refresh=True, environ=aws_env), 0.5)

        asyncio.run(main())
        assert len(fake.requests) == 1  # the refresh was in flight
        assert path.read_bytes() == before
        assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
        # Another process refreshes at once: the lock was released (its wait would be 120 s).
        result = run_here(["refresh", "--force"], aws_env)
        assert result.returncode == 0, result.stderr
        assert json.loads(path.read_text())["accessToken"]["accessKeyId"] != "ASIAOLD"
        assert len(fake.token_calls("refresh_token")) == 1

    @pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")
    def test_cancelled_while_waiting_for_the_lock_leaves_nothing_open(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        before = path.read_bytes()
        fds = len(os.listdir("/proc/self/fd"))
        with st._FileLock(f"{path}.lock"):  # another holder: flock locks are per open file

            async def main() -> None:
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(st.get_credentials_async(environ=aws_env), 0.3)

            asyncio.run(main())
        assert len(os.listdir("/proc/self/fd")) == fds
        assert path.read_bytes() == before
        assert fake.requests == []
        assert asyncio.run(st.get_credentials_async(environ=aws_env)).access_key_id != "ASIAOLD"

    def test_concurrent_tasks_refresh_once(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        path = write_session(aws_env, fake, expires_in=60)
        fake.faults.append(("delay", 0.5))

        async def main() -> list[st.Credentials]:
            return list(await asyncio.gather(*(st.get_credentials_async(environ=aws_env) for _ in range(3))))

        results = asyncio.run(main())
        assert len({r.access_key_id for r in results}) == 1
        assert (
            results[0].access_key_id
            == json.loads(path.read_text())["accessToken"]["accessKeyId"]
            != "ASIAOLD"
        )
        assert len(fake.token_calls("refresh_token")) == 1


class TestRegionResolution:
    """The region as the AWS CLI v2 resolves it: ``--region``, ``AWS_REGION``,
    ``AWS_DEFAULT_REGION``, the profile's ``region``; at login with none, a prompt on a
    terminal (written to the profile), else exit 2 with a command that works
    (PROTOCOL.md §13)."""

    @pytest.mark.parametrize(
        ("explicit", "variables", "profile_region", "expected"),
        [
            (
                "ap-south-1",
                {"AWS_REGION": "sa-east-1", "AWS_DEFAULT_REGION": "eu-west-3"},
                "ca-central-1",
                "ap-south-1",
            ),
            (
                None,
                {"AWS_REGION": "sa-east-1", "AWS_DEFAULT_REGION": "eu-west-3"},
                "ca-central-1",
                "sa-east-1",
            ),
            (None, {"AWS_DEFAULT_REGION": "eu-west-3"}, "ca-central-1", "eu-west-3"),
            (None, {"AWS_REGION": "", "AWS_DEFAULT_REGION": "eu-west-3"}, "ca-central-1", "eu-west-3"),
            (None, {}, "ca-central-1", "ca-central-1"),
            ("", {"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}, "ca-central-1", "ca-central-1"),
            (None, {}, None, None),
        ],
    )
    def test_precedence(
        self,
        aws_env: dict[str, str],
        explicit: str | None,
        variables: dict[str, str],
        profile_region: str | None,
        expected: str | None,
    ) -> None:
        env = dict(aws_env, **variables)
        line = f"region = {profile_region}\n" if profile_region else ""
        config_file_with(env, f"[profile dev]\n{line}output = json\n")
        assert st._Profile("dev", env).region(explicit) == expected

    @pytest.mark.parametrize(
        ("flags", "variables"),
        [
            (["--region", "ap-south-1"], {}),
            ([], {"AWS_REGION": "sa-east-1"}),
            ([], {"AWS_DEFAULT_REGION": "eu-west-3"}),
        ],
    )
    def test_a_known_region_is_not_written_at_login(
        self, fake: FakeSignin, aws_env: dict[str, str], flags: list[str], variables: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        del env["AWS_REGION"]
        env.update(variables)
        config, before = config_file_with(env, "[profile dev]\noutput = json\n")
        rc, _, err = full_login_here(env, "--profile", "dev", *flags)
        assert rc == 0, err
        assert "AWS Region" not in err
        assert config.read_bytes() == before + f"login_session = {SESSION_ARN}\n".encode()

    @pytest.mark.parametrize(
        ("typed", "written"), [("", "us-east-1"), ("eu-north-1", "eu-north-1"), ("  ap-east-1 ", "ap-east-1")]
    )
    def test_on_a_terminal_the_region_is_asked_for_and_written(
        self, fake: FakeSignin, aws_env: dict[str, str], typed: str, written: str
    ) -> None:
        pty = pytest.importorskip("pty")
        env = login_env(aws_env, fake)
        del env["AWS_REGION"]
        config, before = config_file_with(env, "[profile dev]\noutput = json\n# end\n")
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "signin_token",
                "login",
                "--profile",
                "dev",
                "--no-browser",
                "--callback-timeout",
                "30",
            ],
            env=env,
            cwd=str(HERE),
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=slave,
        )
        os.close(slave)
        seen = bytearray()
        done = threading.Event()

        def pump() -> None:
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen.extend(chunk)
            done.set()

        def wait_for(pattern: bytes) -> re.Match[bytes]:
            deadline = time.monotonic() + 30
            while True:
                m = re.search(pattern, bytes(seen))
                if m is not None:
                    return m
                assert not done.is_set() and time.monotonic() < deadline, bytes(seen)
                time.sleep(0.02)

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        try:
            prompt = wait_for(rb"AWS Region \[us-east-1\]: ")
            assert b"http" not in seen[: prompt.start()]
            os.write(master, typed.encode() + b"\n")
            url = wait_for(rb"(http://127\.0\.0\.1:\d+/v1/authorize\?\S+)\r?\n").group(1).decode()
            assert prompt.start() < bytes(seen).index(b"http://")
            status, page = browser_follow(url)
            assert status == 200, page
            assert proc.wait(60) == 0, bytes(seen)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            done.wait(10)
            os.close(master)
            assert proc.stdout is not None
            proc.stdout.close()
        assert config.read_bytes() == before.replace(
            b"# end", f"login_session = {SESSION_ARN}\nregion = {written}\n# end".encode()
        )

    def test_without_a_terminal_the_printed_command_works_as_printed(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        del env["AWS_REGION"]
        config, before = config_file_with(env, "[profile dev]\noutput = json\n")
        result = run_here(["login", "--profile", "dev", "--no-browser", "--callback-timeout", "5"], env)
        assert result.returncode == 2, result.stderr
        assert "http" not in result.stderr
        m = re.search(
            r"run: ((?:\S*python[\w.]* -m signin_token|\S*signin-token)"
            r" login --profile dev --region us-east-1)\b",
            result.stderr,
        )
        assert m is not None, result.stderr
        assert config.read_bytes() == before
        assert_no_network(fake)
        # As printed, in a shell; the "browser" opens nothing: the test follows the URL.
        with login_process([m.group(1)], dict(env, BROWSER="true"), as_printed=True) as h:
            status, page = browser_follow(login_url(h))
            assert status == 200, page
            rc, _, err = login_finish(h)
        assert rc == 0, err
        assert config.read_bytes() == before + f"login_session = {SESSION_ARN}\n".encode()
        assert json.loads(run_here(["credentials", "--profile", "dev"], env).stdout)["AccountId"] == ACCOUNT


class TestLoginRefusesOtherCredentials:
    """Keys for the profile in the shared credentials file refuse the login, as in
    the AWS CLI; other profiles' keys there do not (PROTOCOL.md §10, §13)."""

    @staticmethod
    def shared_credentials(env: dict[str, str], tmp_path: Path, where: str) -> Path:
        """The shared credentials file (created empty, 0600): named by the variable, or the default."""
        if where == "AWS_SHARED_CREDENTIALS_FILE":
            shared = tmp_path / "elsewhere" / "creds"
            env["AWS_SHARED_CREDENTIALS_FILE"] = str(shared)
        else:
            del env["AWS_SHARED_CREDENTIALS_FILE"]
            shared = Path(env["HOME"]) / ".aws" / "credentials"
        shared.parent.mkdir(parents=True, exist_ok=True)
        shared.touch(mode=0o600)
        return shared

    @pytest.mark.parametrize("where", ["AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"])
    @pytest.mark.parametrize("profile", ["dev", "default"])
    def test_keys_in_the_shared_credentials_file_refuse_the_login(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, where: str, profile: str
    ) -> None:
        env = login_env(aws_env, fake)
        self.shared_credentials(env, tmp_path, where).write_text(
            f"[other]\naws_access_key_id = AKIAOTHER\n[{profile}]\n"
            "aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n"
        )
        config, before = config_file_with(env)
        result = run_here(["login", "--profile", profile, "--no-browser", "--callback-timeout", "5"], env)
        assert result.returncode == 2, result.stderr
        assert "aws_access_key_id" in result.stderr and "http" not in result.stderr
        assert config.read_bytes() == before
        assert not Path(env["AWS_LOGIN_CACHE_DIRECTORY"]).exists()
        assert_no_network(fake)

    @pytest.mark.parametrize("where", ["AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"])
    def test_keys_of_another_profile_do_not(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, where: str
    ) -> None:
        env = login_env(aws_env, fake)
        self.shared_credentials(env, tmp_path, where).write_text(
            "[default]\naws_access_key_id = AKIAEXAMPLE\n[profile dev]\naws_access_key_id = AKIAX\n"
        )
        config, before = config_file_with(env)
        rc, _, err = full_login_here(env, "--profile", "dev")
        assert rc == 0, err
        assert config.read_bytes() == before + f"login_session = {SESSION_ARN}\n".encode()


class TestStillValidCredentialsKept:
    """A refresh that fails inside the refresh window never takes away credentials
    that are still valid: they are returned with exactly one warning naming what
    failed and the login command; expired ones, or ``--force``, make it an error
    (PROTOCOL.md §13)."""

    @pytest.mark.parametrize("failure", list(REFRESH_FAILURES))
    def test_credentials_command(self, fake: FakeSignin, aws_env: dict[str, str], failure: str) -> None:
        path = write_session(aws_env, fake, expires_in=200)
        env = break_next_refresh(aws_env, fake, failure, path)
        before = path.read_bytes()
        result = run_here(["credentials"], env)
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert (doc["AccessKeyId"], doc["SecretAccessKey"], doc["SessionToken"]) == (
            "ASIAOLD",
            "old-secret",
            "old-session",
        )
        (warning,) = result.stderr.splitlines()
        assert warning.startswith("warning: could not refresh")
        assert REFRESH_FAILURES[failure][1] in warning, warning
        login_hint = re.search(LOGIN_COMMAND_RE.format(profile="default"), warning)
        assert (login_hint is not None) == (failure in SESSION_FAULTS), warning  # not for transient ones
        assert path.read_bytes() == before
        attempts = {"transport": 0, "broken-dpopKey": 0, "request-fault": 1, "permissions": 1, "conflict": 1}
        attempts = attempts.get(failure, 3)
        assert len(fake.token_calls()) == attempts

    @pytest.mark.parametrize("failure", list(REFRESH_FAILURES))
    def test_exec_static(self, fake: FakeSignin, aws_env: dict[str, str], failure: str) -> None:
        path = write_session(aws_env, fake, expires_in=200)
        env = break_next_refresh(aws_env, fake, failure, path)
        sh = shutil.which("sh")
        assert sh is not None
        result = run_cli(["exec", "--static", "--", sh, "-c", 'printf "%s\\n" "$AWS_ACCESS_KEY_ID"'], env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "ASIAOLD\n"
        assert len(warning_lines(result.stderr)) == 1, result.stderr
        assert REFRESH_FAILURES[failure][1] in result.stderr

    @pytest.mark.parametrize("failure", list(REFRESH_FAILURES))
    def test_python_api(self, fake: FakeSignin, aws_env: dict[str, str], failure: str) -> None:
        path = write_session(aws_env, fake, expires_in=200)
        env = break_next_refresh(aws_env, fake, failure, path)
        warnings: list[str] = []
        sleeps: list[float] = []  # the backoff, recorded instead of waited
        creds = st.get_credentials(environ=env, on_warning=warnings.append, sleep=sleeps.append)
        assert (creds.access_key_id, creds.secret_access_key, creds.session_token) == (
            "ASIAOLD",
            "old-secret",
            "old-session",
        )
        assert 0 < creds.seconds_left() <= 200
        (warning,) = warnings
        assert REFRESH_FAILURES[failure][1] in warning, warning
        login_hint = re.search(LOGIN_COMMAND_RE.format(profile="default"), warning)
        assert (login_hint is not None) == (failure in SESSION_FAULTS), warning
        with pytest.raises(st.SigninTokenError):  # forced: the failure is the answer
            break_next_refresh(env, fake, failure, path)
            st.get_credentials(
                environ=env, force_refresh=True, on_warning=warnings.append, sleep=sleeps.append
            )
        assert len(warnings) == 1
        assert all(0 <= s <= 20 for s in sleeps), sleeps

    @pytest.mark.parametrize("failure", list(REFRESH_FAILURES))
    @pytest.mark.parametrize(("args", "expires_in"), [(["credentials"], -60), (["refresh", "--force"], 3600)])
    def test_expired_or_forced_is_an_error(
        self, fake: FakeSignin, aws_env: dict[str, str], failure: str, args: list[str], expires_in: int
    ) -> None:
        path = write_session(aws_env, fake, expires_in=expires_in)
        env = break_next_refresh(aws_env, fake, failure, path)
        before = path.read_bytes()
        result = run_here(args, env)
        assert result.returncode in (1, 3), result.stderr
        assert result.stdout == ""
        assert "ASIAOLD" not in result.stderr and "old-secret" not in result.stderr
        assert warning_lines(result.stderr) == []
        assert REFRESH_FAILURES[failure][1] in result.stderr, result.stderr
        assert path.read_bytes() == before


class TestLogoutLikeAwsLogout:
    """``logout`` as ``aws logout``: no session is a note and exit 0 (every time);
    ``--all`` removes what holds a login session, judged by content, and our lock
    files, names the profiles that used each, and leaves everything else and the
    config file alone (PROTOCOL.md §10, §13)."""

    def logout_dev_twice(self, env: dict[str, str], note: str) -> None:
        """``logout --profile dev`` twice: exit 0 each time, nothing on stdout, and ``note``
        naming the profile on stderr."""
        for _ in range(2):
            result = run_here(["logout", "--profile", "dev"], env)
            assert result.returncode == 0, result.stderr
            assert result.stdout == ""
            assert note in result.stderr and "'dev'" in result.stderr

    def test_no_login_session_in_the_profile_is_a_note_twice(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        config, before = config_file_with(env)
        self.logout_dev_twice(env, "no login session")
        assert config.read_bytes() == before
        assert not Path(env["AWS_LOGIN_CACHE_DIRECTORY"]).exists()

    def test_a_session_whose_entry_is_gone_is_a_note(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        path = write_session(aws_env, fake, profile="dev")
        config = Path(aws_env["AWS_CONFIG_FILE"])
        before = config.read_bytes()
        first = run_here(["logout", "--profile", "dev"], aws_env)
        assert first.returncode == 0 and not path.exists(), first.stderr
        self.logout_dev_twice(aws_env, "no cached login session")
        assert config.read_bytes() == before

    def test_one_profile(self, fake: FakeSignin, aws_env: dict[str, str], signed_in: Path) -> None:
        path = signed_in
        other = store_entry(aws_env, json.loads(path.read_text()), OTHER_SESSION_ARN)
        config = Path(aws_env["AWS_CONFIG_FILE"])
        config_before = config.read_bytes()
        result = run_here(["logout"], aws_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert not path.exists()
        assert other.exists()
        assert config.read_bytes() == config_before
        assert str(path) in result.stderr
        assert "valid" in result.stderr
        assert fake.token_calls() == []
        after = run_here(["credentials"], aws_env)
        assert after.returncode == 3

    def test_all_removes_sessions_by_content_and_names_their_profiles(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        path = write_session(aws_env, fake, profile="dev")
        entry = json.loads(path.read_text())
        with Path(aws_env["AWS_CONFIG_FILE"]).open("a") as f:  # two profiles share one session
            f.write(
                f"[profile ops]\nlogin_session = {SESSION_ARN}\n"
                f"[profile solo]\nlogin_session = {OTHER_SESSION_ARN}\n"
            )
        config = Path(aws_env["AWS_CONFIG_FILE"])
        config_before = config.read_bytes()
        other = store_entry(aws_env, entry, OTHER_SESSION_ARN)
        cache = path.parent
        renamed = cache / "copied-by-hand.bak"
        renamed.write_text(json.dumps(entry))
        renamed.chmod(0o600)
        notes = cache / "notes.txt"  # judged by content, as aws logout does
        notes.write_text(json.dumps(entry))
        outside = tmp_path / "outside-entry.json"
        outside.write_text(json.dumps(entry))
        outside.chmod(0o600)
        outside_before = file_state(outside)
        keep = {
            "sso-token.json": json.dumps({"accessToken": "aoa-token", "expiresAt": "2030-01-01T00:00:00Z"}),
            "no-key-id.json": json.dumps({"accessToken": {"secretAccessKey": "x"}}),
            "settings.json": json.dumps({"accessToken": {"note": "no key id"}}),
            "list.json": "[1, 2, 3]",
            "junk.json": "{not json",
            "binary": "\x00\x01\x02",
            "README": "notes",
        }
        for name, text in keep.items():
            (cache / name).write_text(text)
        os.symlink(outside, cache / "link-to-an-entry.json")
        orphan_lock = cache / (
            hashlib.sha256(b"arn:aws:iam::222222222222:user/Gone").hexdigest() + ".json.lock"
        )
        orphan_lock.write_text("")
        Path(f"{path}.lock").write_text("")
        before_keep = {name: (cache / name).read_bytes() for name in keep}
        result = run_here(["logout", "--all"], aws_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert not path.exists() and not other.exists() and not renamed.exists() and not notes.exists()
        assert not orphan_lock.exists() and not Path(f"{path}.lock").exists()
        assert {name: (cache / name).read_bytes() for name in keep} == before_keep
        assert (cache / "link-to-an-entry.json").is_symlink()
        assert file_state(outside) == outside_before
        assert sorted(os.listdir(cache)) == sorted([*keep, "link-to-an-entry.json"])
        removed = {
            line.split()[1]: line for line in result.stderr.splitlines() if line.startswith("removed ")
        }
        assert set(removed) == {str(path), str(other), str(renamed), str(notes)}
        assert "stay valid until they expire" in result.stderr
        assert "(used by: dev, ops)" in removed[str(path)]
        assert "(used by: solo)" in removed[str(other)]
        assert "no profile" in removed[str(renamed)]
        assert config.read_bytes() == config_before
        again = run_here(["logout", "--all"], aws_env)
        assert again.returncode == 0, again.stderr
        assert "no cached login session" in again.stderr
        assert fake.token_calls() == []


class TestProfileSettings:
    """Every setting an SDK reads for the Sign-In client: endpoint overrides in
    botocore's order (profile, services section, environment, and ignoring them),
    attempts, FIPS and dual-stack, CA bundle, and the profile chosen by
    ``AWS_DEFAULT_PROFILE`` (PROTOCOL.md §1, §13)."""

    @staticmethod
    def config_with(
        env: dict[str, str], fake: FakeSignin, settings: str, tail: str = "", *, expires_in: float = 60
    ) -> Path:
        path = write_session(env, fake, expires_in=expires_in)
        for name in ("AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL"):
            env.pop(name, None)
            os.environ.pop(name, None)
        config_file_with(
            env, f"[default]\nregion = us-east-1\nlogin_session = {SESSION_ARN}\n{settings}{tail}"
        )
        return path

    @pytest.mark.parametrize("how", ["endpoint_url", "services"])
    def test_configured_endpoints_are_used_with_no_environment(
        self, fake: FakeSignin, aws_env: dict[str, str], how: str
    ) -> None:
        if how == "endpoint_url":
            path = self.config_with(aws_env, fake, f"endpoint_url = {fake.url}\n")
        else:
            tail = "\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:9\n"
            tail += f"signin =\n  endpoint_url = {fake.url}\n"
            path = self.config_with(aws_env, fake, "services = local\n", tail)
        result = run_here(["credentials"], aws_env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["AccessKeyId"] != "ASIAOLD"
        assert len(fake.token_calls("refresh_token")) == 1
        assert (
            json.loads(path.read_text())["accessToken"]["accessKeyId"]
            == json.loads(result.stdout)["AccessKeyId"]
        )

    @pytest.mark.parametrize(
        "winner",
        ["--endpoint-url", "AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL", "services", "endpoint_url"],
    )
    def test_endpoint_precedence(self, fake: FakeSignin, aws_env: dict[str, str], winner: str) -> None:
        order = ["--endpoint-url", "AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL", "services", "endpoint_url"]
        dead = f"http://127.0.0.1:{free_port()}"
        urls = {name: (fake.url if name == winner else dead) for name in order[order.index(winner) :]}
        settings = f"endpoint_url = {urls['endpoint_url']}\n"
        tail = ""
        if "services" in urls:
            settings += "services = local\n"
            tail = f"[services local]\nsignin =\n  endpoint_url = {urls['services']}\n"
        self.config_with(aws_env, fake, settings, tail, expires_in=3600)
        env = dict(aws_env)
        for name in ("AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL"):
            if name in urls:
                env[name] = urls[name]
        args = ["refresh", "--force", "--timeout", "5"]
        if winner == "--endpoint-url":
            args += ["--endpoint-url", fake.url]
        result = run_here(args, env)
        assert result.returncode == 0, result.stderr
        assert len(fake.token_calls("refresh_token")) == 1
        prof = st._Profile(None, env)
        assert prof.endpoint_url(fake.url if winner == "--endpoint-url" else None) == fake.url

    @pytest.mark.parametrize(
        ("variable", "setting", "ignored"),
        [
            ("true", None, True),
            (None, "true", True),
            ("TRUE", "false", True),
            ("false", "true", False),
            (None, "no", False),
        ],
    )
    def test_ignore_configured_endpoint_urls(
        self,
        fake: FakeSignin,
        aws_env: dict[str, str],
        variable: str | None,
        setting: str | None,
        ignored: bool,
    ) -> None:
        line = f"ignore_configured_endpoint_urls = {setting}\n" if setting else ""
        settings = f"endpoint_url = {fake.url}\nservices = local\n{line}"
        self.config_with(
            aws_env, fake, settings, f"[services local]\nsignin =\n  endpoint_url = {fake.url}\n"
        )
        env = dict(aws_env, AWS_ENDPOINT_URL_SIGNIN=fake.url, AWS_ENDPOINT_URL=fake.url)
        if variable is not None:
            env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = variable
        client = st._Profile(None, env).client("us-east-1", None, 10, None)
        assert client.endpoint == ("https://us-east-1.signin.aws.amazon.com" if ignored else fake.url)
        explicit = st._Profile(None, env).client("us-east-1", "http://127.0.0.1:1", 10, None)
        assert explicit.endpoint == "http://127.0.0.1:1"  # an explicit endpoint is never "configured"
        assert fake.token_calls() == []

    def test_a_missing_services_section_is_a_usage_error(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = self.config_with(
            aws_env,
            fake,
            "services = nowhere\n",
            "[services elsewhere]\nsignin =\n  endpoint_url = http://127.0.0.1:9\n",
            expires_in=3600,
        )
        before = path.read_bytes()
        for command in ("credentials", "refresh"):
            result = run_here([command], aws_env)
            assert result.returncode == 2, result.stderr
            assert "nowhere" in result.stderr
        assert path.read_bytes() == before
        assert fake.token_calls() == []

    @pytest.mark.parametrize(
        ("setting", "variable", "attempts"), [("5", None, 5), ("5", "2", 2), (None, "1", 1), (None, None, 3)]
    )
    def test_max_attempts(
        self,
        fake: FakeSignin,
        aws_env: dict[str, str],
        setting: str | None,
        variable: str | None,
        attempts: int,
    ) -> None:
        path = self.config_with(
            aws_env, fake, f"endpoint_url = {fake.url}\n" + (f"max_attempts = {setting}\n" if setting else "")
        )
        fake.faults.extend(
            [("status", 500, "InternalServerException", "server_error", {"Retry-After": "0"})] * 10
        )
        env = dict(aws_env)
        if variable is not None:
            env["AWS_MAX_ATTEMPTS"] = variable
        before = path.read_bytes()
        result = run_here(["refresh", "--force"], env)
        assert result.returncode == 1, result.stderr
        assert "InternalServerException" in result.stderr
        assert len(fake.token_calls()) == attempts
        assert path.read_bytes() == before

    @pytest.mark.parametrize(
        ("settings", "variables", "expected"),
        [
            ("use_fips_endpoint = true\n", {}, "https://signin-fips.us-west-2.amazonaws.com"),
            ("", {"AWS_USE_FIPS_ENDPOINT": "true"}, "https://signin-fips.us-west-2.amazonaws.com"),
            (
                "use_fips_endpoint = true\n",
                {"AWS_USE_FIPS_ENDPOINT": "false"},
                "https://us-west-2.signin.aws.amazon.com",
            ),
            ("use_dualstack_endpoint = true\n", {}, "https://signin.us-west-2.api.aws"),
            ("", {"AWS_USE_DUALSTACK_ENDPOINT": "true"}, "https://signin.us-west-2.api.aws"),
            (
                "use_fips_endpoint = true\nuse_dualstack_endpoint = true\n",
                {},
                "https://signin-fips.us-west-2.api.aws",
            ),
            ("", {}, "https://us-west-2.signin.aws.amazon.com"),
        ],
    )
    def test_fips_and_dual_stack(
        self,
        fake: FakeSignin,
        aws_env: dict[str, str],
        settings: str,
        variables: dict[str, str],
        expected: str,
    ) -> None:
        self.config_with(aws_env, fake, settings)
        env = dict(aws_env, **variables)
        prof = st._Profile(None, env)
        assert prof.client("us-west-2", None, 10, None).endpoint == expected
        assert fake.token_calls() == []

    def test_ca_bundle_in_the_profile_is_used(
        self, aws_env: dict[str, str], tls_files: dict[str, Path]
    ) -> None:
        tls = TLSFakeSignin(tls_files["cert"], tls_files["key"])
        try:
            path = self.config_with(
                aws_env, tls, f"endpoint_url = {tls.url}\nca_bundle = {tls_files['ca']}\n", expires_in=3600
            )
            result = run_here(["refresh", "--force"], aws_env)
            assert result.returncode == 0, result.stderr
            assert len(tls.token_calls("refresh_token")) == 1
            assert json.loads(path.read_text())["accessToken"]["accessKeyId"] != "ASIAOLD"
            wrong = run_here(["refresh", "--force"], dict(aws_env, AWS_CA_BUNDLE=str(tls_files["other-ca"])))
            assert wrong.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in wrong.stderr, wrong.stderr
            missing = tls_files["ca"].with_name("no-such-bundle.pem")
            config_file_with(
                aws_env,
                f"[default]\nregion = us-east-1\nlogin_session = {SESSION_ARN}\n"
                f"endpoint_url = {tls.url}\nca_bundle = {missing}\n",
            )
            gone = run_here(["refresh", "--force"], aws_env)
            assert gone.returncode == 2, gone.stderr
            assert str(missing) in gone.stderr and "ca_bundle" in gone.stderr
            config_file_with(
                aws_env,
                f"[default]\nregion = us-east-1\nlogin_session = {SESSION_ARN}\nendpoint_url = {tls.url}\n",
            )
            gone = run_here(["refresh", "--force"], dict(aws_env, AWS_CA_BUNDLE=str(missing)))
            assert gone.returncode == 2, gone.stderr
            assert str(missing) in gone.stderr and "AWS_CA_BUNDLE" in gone.stderr
            assert len(tls.token_calls("refresh_token")) == 1
        finally:
            tls.close()

    @pytest.mark.parametrize(
        ("variables", "chosen"),
        [
            ({"AWS_DEFAULT_PROFILE": "b"}, "b"),
            ({"AWS_PROFILE": "a", "AWS_DEFAULT_PROFILE": "b"}, "a"),
            ({}, "default"),
        ],
    )
    def test_aws_default_profile(
        self, fake: FakeSignin, aws_env: dict[str, str], variables: dict[str, str], chosen: str
    ) -> None:
        sessions = {"a": SESSION_ARN, "b": OTHER_SESSION_ARN, "default": "arn:aws:iam::333333333333:user/D"}
        write_session(aws_env, fake)
        template = json.loads(cache_path(aws_env).read_text())
        text = ""
        for name, session in sessions.items():
            entry = copy.deepcopy(template)
            entry["accessToken"]["accessKeyId"] = f"ASIA{name.upper()}"
            store_entry(aws_env, entry, session)
            header = "default" if name == "default" else f"profile {name}"
            text += f"[{header}]\nregion = us-east-1\nlogin_session = {session}\n"
        config_file_with(aws_env, text)
        result = run_here(["credentials"], dict(aws_env, **variables))
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["AccessKeyId"] == f"ASIA{chosen.upper()}"


class TestRefusalMessages:
    """Each refusal of the service says what it means, at refresh and at login;
    an unknown code is shown as sent (PROTOCOL.md §11, §13)."""

    @pytest.mark.parametrize(
        ("fault", "rc", "words"),
        [
            (("status", 401, "AccessDeniedException", "TOKEN_EXPIRED"), 3, ["session has ended"]),
            (("status", 403, "AccessDeniedException", "USER_CREDENTIALS_CHANGED"), 3, ["password"]),
            (
                ("status", 403, "AccessDeniedException", "INSUFFICIENT_PERMISSIONS"),
                1,
                ["signin:CreateOAuth2Token", "SignInLocalDevelopmentAccess"],
            ),
            (("status", 403, "AccessDeniedException", "BRAND_NEW_CODE"), 1, ["BRAND_NEW_CODE"]),
            (("status", 400, "ValidationException", "BRAND_NEW_CODE"), 1, ["BRAND_NEW_CODE"]),
        ],
        ids=["token-expired", "credentials-changed", "permissions", "unknown-403", "unknown-400"],
    )
    def test_at_refresh(
        self, fake: FakeSignin, aws_env: dict[str, str], fault: tuple[Any, ...], rc: int, words: list[str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=-60)
        fake.faults.append(fault)
        before = path.read_bytes()
        result = run_here(["credentials"], aws_env)
        assert result.returncode == rc, result.stderr
        assert result.stdout == ""
        for word in words:
            assert word in result.stderr, result.stderr
        if rc == 3:
            assert re.search(LOGIN_COMMAND_RE.format(profile="default"), result.stderr), result.stderr
        assert path.read_bytes() == before

    @pytest.mark.parametrize(
        ("fault", "words"),
        [
            (("status", 401, "AccessDeniedException", "AUTHCODE_EXPIRED"), ["took too long"]),
            (
                ("status", 403, "AccessDeniedException", "INSUFFICIENT_PERMISSIONS"),
                ["signin:CreateOAuth2Token", "SignInLocalDevelopmentAccess"],
            ),
            (("status", 400, "ValidationException", "BRAND_NEW_CODE"), ["BRAND_NEW_CODE"]),
        ],
        ids=["authcode-expired", "permissions", "unknown"],
    )
    def test_at_login(
        self, fake: FakeSignin, aws_env: dict[str, str], fault: tuple[Any, ...], words: list[str]
    ) -> None:
        env = login_env(aws_env, fake)
        config, before = config_file_with(env)
        fake.faults.append(fault)
        rc, out, err = full_login_here(env, "--profile", "dev")
        assert rc == 1, err
        assert out == ""
        for word in words:
            assert word in err, err
        assert len(fake.token_calls()) == 1  # a redemption is never retried
        assert config.read_bytes() == before
        assert not cache_path(env).exists()


TYPO_CONFIG = (
    "[profile dev]\nlogin_session = " + SESSION_ARN + "\n\n"
    "[profile prod]\nlogin_session = " + OTHER_SESSION_ARN + "\n\n"
    "[profile plain]\nregion = eu-west-1\n"
)


class TestUnknownProfiles:
    """A profile in neither the config file nor the shared credentials file is probably a
    typo: one message names the config file, the closest profile and the profiles that have
    a login session; a new profile can still be signed in (PROTOCOL.md §9, §10)."""

    @pytest.mark.parametrize(
        ("command", "rc"),
        [
            (["status"], 3),
            (["credentials"], 3),
            (["refresh"], 3),
            (["exec", "--", "true"], 3),
            (["logout"], 0),
        ],
        ids=["status", "credentials", "refresh", "exec", "logout"],
    )
    def test_a_typo_names_the_config_the_sessions_and_the_closest_name(
        self, fake: FakeSignin, aws_env: dict[str, str], command: list[str], rc: int
    ) -> None:
        env = login_env(aws_env, fake)
        config, before = config_file_with(env, TYPO_CONFIG)
        code, out, err = run_main([command[0], "--profile", "dve", *command[1:]])
        assert code == rc, err
        assert out == ""
        (line,) = [x for x in err.splitlines() if "'dve'" in x]
        assert line.startswith("error: " if rc else "warning: "), err
        assert f"in neither the config file {config} nor the shared credentials file" in line
        assert "did you mean 'dev'?" in line
        assert line.endswith("Profiles with a login session: dev, prod.")
        assert config.read_bytes() == before
        assert_no_network(fake)

    def test_the_closest_name_and_the_session_list_are_optional(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        config, _ = config_file_with(env, "[profile plain]\nregion = eu-west-1\n")
        code, _, err = run_main(["status", "--profile", "zzzzzz"])
        assert code == 3
        assert "did you mean" not in err
        assert f"config file {config} nor" in err and "No profile has a login session yet." in err
        config.unlink()
        code, _, err = run_main(["credentials"])
        assert code == 3
        assert f"config file {config} (which does not exist) nor" in err

    def test_a_known_profile_without_a_session_keeps_the_short_message(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        env = login_env(aws_env, fake)
        config_file_with(env, TYPO_CONFIG)
        shared = Path(env["AWS_SHARED_CREDENTIALS_FILE"])
        shared.write_text("[static]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n")
        shared.chmod(0o600)
        for name in ("plain", "static"):
            code, _, err = run_main(["status", "--profile", name])
            assert code == 3, err
            assert f"error: profile '{name}' has no login session\n" in err
            assert "did you mean" not in err and "config file" not in err

    def test_a_new_profile_can_still_be_signed_in(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        env = login_env(aws_env, fake)
        config, _ = config_file_with(env, TYPO_CONFIG)
        rc, _, err = full_login(env, "--profile", "newname")
        assert rc == 0, err
        assert f"[profile newname]\nlogin_session = {SESSION_ARN}" in config.read_text()
        assert run_cli(["credentials", "--profile", "newname"], env).returncode == 0


# Static keys as the shared files hold them: profile -> (access key id, secret, session token).
SOURCE_KEYS = {
    "env": ("AKIAENVIRONMENT00001", "env-secret-access-key-0001", "env-session-token-0001"),
    "shared": ("AKIASHAREDFILE000001", "shared-secret-access-key-01", None),
    "config": ("AKIACONFIGFILE000001", "config-secret-access-key-01", "config-session-token-01"),
    "process": ("ASIAPROCESS000000001", "process-secret-access-key-1", "process-session-token-001"),
}


def key_lines(name: str) -> str:
    """``aws_access_key_id`` (and secret, token) lines for SOURCE_KEYS[name]."""
    access, secret, token = SOURCE_KEYS[name]
    text = f"aws_access_key_id = {access}\naws_secret_access_key = {secret}\n"
    return text + (f"aws_session_token = {token}\n" if token else "")


def write_aws_files(env: dict[str, str], config: str = "", credentials: str = "") -> None:
    """The config and shared credentials files of ``env`` with these contents."""
    for var, text in (("AWS_CONFIG_FILE", config), ("AWS_SHARED_CREDENTIALS_FILE", credentials)):
        path = Path(env[var])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o600)


def process_script(tmp_path: Path, body: str, name: str = "creds process.py") -> str:
    """A real credential_process: a Python script (in a directory with a space) and its command line."""
    path = tmp_path / "bin dir" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"import json, sys, time\n{body}\n")
    return f'{shlex.quote(sys.executable)} "{path}"'


def assert_keys(keys: Any, name: str, source: str) -> None:
    """``keys`` are SOURCE_KEYS[name] and came from ``source``."""
    assert (keys.access_key_id, keys.secret_access_key, keys.session_token) == SOURCE_KEYS[name]
    assert keys.source == source


class TestSigningKeySources:
    """Credentials for signed calls, from each source in botocore's order (create_credential_resolver):
    environment, shared credentials file, login_session, credential_process, config file, container."""

    def test_environment_keys_with_token_and_expiration(self, aws_env: dict[str, str]) -> None:
        access, secret, token = SOURCE_KEYS["env"]
        later = time.time() + 3600
        env = {
            **aws_env,
            "AWS_ACCESS_KEY_ID": access,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_SESSION_TOKEN": token,
            "AWS_CREDENTIAL_EXPIRATION": iso_stamp(later),
        }
        write_aws_files(env, "[default]\n" + key_lines("config"), "[default]\n" + key_lines("shared"))
        keys = st._signing_keys(None, env)
        assert_keys(keys, "env", "environment")
        assert keys.expiration == pytest.approx(later, abs=1)
        with pytest.raises(st.SigninTokenError) as info:
            st._signing_keys(None, env, clock=lambda: later + 1)
        assert "expired" in str(info.value) and "environment" in str(info.value)

    def test_an_explicit_profile_skips_the_environment_keys(self, aws_env: dict[str, str]) -> None:
        access, secret, _ = SOURCE_KEYS["env"]
        env = {**aws_env, "AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret, "AWS_PROFILE": "dev"}
        write_aws_files(env, "", "[dev]\n" + key_lines("shared"))
        assert_keys(st._signing_keys("dev", env), "shared", "shared credentials file (profile dev)")
        assert st._signing_keys(None, env).source == "environment"  # AWS_PROFILE is not explicit

    @pytest.mark.parametrize("missing", ["AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"])
    def test_an_access_key_without_its_secret_names_the_setting(
        self, aws_env: dict[str, str], missing: str
    ) -> None:
        access = SOURCE_KEYS["env"][0]
        env = dict(aws_env)
        if missing.isupper():
            env["AWS_ACCESS_KEY_ID"] = access
        else:
            write_aws_files(env, f"[default]\naws_access_key_id = {access}\n")
        with pytest.raises(st.ConfigError) as info:
            st._signing_keys(None, env)
        assert missing in str(info.value)

    def test_shared_credentials_file_before_config_file(self, aws_env: dict[str, str]) -> None:
        write_aws_files(aws_env, "[profile dev]\n" + key_lines("config"), "[dev]\n" + key_lines("shared"))
        assert_keys(st._signing_keys("dev", aws_env), "shared", "shared credentials file (profile dev)")
        write_aws_files(aws_env, "[profile dev]\n" + key_lines("config"))
        assert_keys(st._signing_keys("dev", aws_env), "config", "config file (profile dev)")

    def test_login_session_as_get_credentials_refreshed_when_due(
        self, aws_env: dict[str, str], fake: FakeSignin
    ) -> None:
        write_session(aws_env, fake, profile="dev", expires_in=3600)
        keys = st._signing_keys("dev", aws_env)
        assert (keys.access_key_id, keys.secret_access_key, keys.session_token) == (
            "ASIAOLD",
            "old-secret",
            "old-session",
        )
        assert keys.source == "login session (profile dev)"
        assert fake.token_calls() == []
        set_expiry(cache_path(aws_env), time.time() + 60)  # due: inside the 5-minute window
        keys = st._signing_keys("dev", aws_env)
        assert len(fake.token_calls("refresh_token")) == 1
        entry = json.loads(cache_path(aws_env).read_text())["accessToken"]
        assert (keys.access_key_id, keys.secret_access_key, keys.session_token) == (
            entry["accessKeyId"],
            entry["secretAccessKey"],
            entry["sessionToken"],
        )
        assert keys.access_key_id != "ASIAOLD"
        assert keys.expiration == pytest.approx(iso_instant(entry["expiresAt"]), abs=1)

    def test_botocore_order_login_then_process_then_config_keys(
        self, aws_env: dict[str, str], fake: FakeSignin, tmp_path: Path
    ) -> None:
        access, secret, token = SOURCE_KEYS["process"]
        doc = {"Version": 1, "AccessKeyId": access, "SecretAccessKey": secret, "SessionToken": token}
        command = process_script(tmp_path, f"print(json.dumps({doc!r}))")
        write_session(aws_env, fake, profile="dev")
        config = Path(aws_env["AWS_CONFIG_FILE"])
        config.write_text(config.read_text() + f"credential_process = {command}\n" + key_lines("config"))
        assert st._signing_keys("dev", aws_env).source == "login session (profile dev)"
        write_aws_files(aws_env, f"[profile dev]\ncredential_process = {command}\n" + key_lines("config"))
        assert_keys(st._signing_keys("dev", aws_env), "process", "credential_process (profile dev)")

    def test_credential_process_split_without_a_shell_stderr_passed_through(
        self, aws_env: dict[str, str], tmp_path: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        access, secret, token = SOURCE_KEYS["process"]
        later = time.time() + 900
        doc = {
            "Version": 1,
            "AccessKeyId": access,
            "SecretAccessKey": secret,
            "SessionToken": token,
            "Expiration": iso_stamp(later),
        }
        body = "sys.stderr.write('process says hello; args=' + repr(sys.argv[1:]) + '\\n')\n"
        body += f"print(json.dumps({doc!r}))"
        command = process_script(tmp_path, body) + " 'one arg' two;echo"
        write_aws_files(aws_env, f"[profile dev]\ncredential_process = {command}\n")
        keys = st._signing_keys("dev", aws_env)
        assert_keys(keys, "process", "credential_process (profile dev)")
        assert keys.expiration == pytest.approx(later, abs=1)
        assert "process says hello; args=['one arg', 'two;echo']" in capfd.readouterr().err

    @pytest.mark.parametrize(
        ("body", "words"),
        [
            ("sys.exit(3)", "exited with status 3"),
            ("print('not json SECRETVALUE-123456')", "did not print a JSON object"),
            ({"Version": 2}, "Version"),
            ({"Version": True}, "Version"),
            ({"AccessKeyId": None}, "AccessKeyId"),
            ({"SecretAccessKey": 7}, "SecretAccessKey"),
            ({"Expiration": "soon"}, "Expiration"),
            ({"Expiration": "2001-01-01T00:00:00Z"}, "expired"),
        ],
    )
    def test_credential_process_failures_are_clear_and_secret_free(
        self, aws_env: dict[str, str], tmp_path: Path, body: str | dict[str, Any], words: str
    ) -> None:
        if isinstance(body, dict):  # a good answer but for these members (None: left out)
            doc = {"Version": 1, "AccessKeyId": "ASIAX", "SecretAccessKey": "SECRETVALUE-123456", **body}
            body = f"print(json.dumps({ {k: v for k, v in doc.items() if v is not None}!r}))"
        write_aws_files(aws_env, f"[default]\ncredential_process = {process_script(tmp_path, body)}\n")
        with pytest.raises(st.SigninTokenError) as info:
            st._signing_keys(None, aws_env)
        assert words in str(info.value) and "credential_process (profile default)" in str(info.value)
        assert all("SECRETVALUE" not in repr(exc) for exc in exception_chain(info.value))

    def test_credential_process_timeout(self, aws_env: dict[str, str], tmp_path: Path) -> None:
        write_aws_files(
            aws_env, f"[default]\ncredential_process = {process_script(tmp_path, 'time.sleep(60)')}\n"
        )
        with pytest.raises(st.SigninTokenError) as info:
            st._signing_keys(None, aws_env, process_timeout=0.5)
        assert "did not finish within 0.5 s" in str(info.value)

    @pytest.mark.parametrize(
        ("command", "words"),
        [
            ("'unclosed", "cannot be split into arguments"),
            ("", "is empty"),  # set but empty: an error, as in botocore
            ("/nonexistent/credential-helper --x", "could not be run"),
        ],
    )
    def test_credential_process_that_cannot_run(
        self, aws_env: dict[str, str], command: str, words: str
    ) -> None:
        write_aws_files(aws_env, f"[default]\ncredential_process = {command}\nregion = us-east-1\n")
        with pytest.raises(st.SigninTokenError) as info:
            st._signing_keys(None, aws_env)
        assert f"credential_process (profile default) {words}" in str(info.value)

    def test_container_endpoint_of_serve_with_token_or_token_file(
        self, aws_env: dict[str, str], fake: FakeSignin, tmp_path: Path
    ) -> None:
        write_session(aws_env, fake)
        with serving(aws_env) as server:
            served = server.creds()
            consumer = {**aws_env, "AWS_CONFIG_FILE": str(tmp_path / "no-config")}
            consumer["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url
            consumer["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong-token-value-0001"
            with pytest.raises(st.SigninTokenError) as info:
                st._signing_keys(None, consumer)
            assert "HTTP 403" in str(info.value) and "wrong-token" not in str(info.value)
            consumer["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = server.token
            keys = st._signing_keys(None, consumer)
            token_file = tmp_path / "token"
            token_file.write_text(server.token)
            consumer["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "ignored-when-a-file-is-named"
            consumer["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(token_file)
            from_file = st._signing_keys(None, consumer)
        for got in (keys, from_file):
            assert (got.access_key_id, got.secret_access_key, got.session_token) == (
                served["AccessKeyId"],
                served["SecretAccessKey"],
                served["Token"],
            )
            assert got.source == "container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI)"
            assert got.expiration == pytest.approx(iso_instant(served["Expiration"]), abs=1)

    @pytest.mark.parametrize("mode", HostileServer.MODES)
    def test_hostile_container_endpoint_never_shows_the_token(
        self, aws_env: dict[str, str], mode: str
    ) -> None:
        token = "container-token-secret-0001"
        server = HostileServer(mode)
        try:
            env = {**aws_env, "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url + "/creds"}
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token
            with pytest.raises(st.SigninTokenError) as info:
                st._signing_keys(None, env, timeout=5)
        finally:
            server.close()
        assert server.received and token.encode() in server.received[0]  # it was sent, and echoed
        for exc in exception_chain(info.value):
            assert token not in str(exc) and token not in repr(exc.args)
        assert server.url.split("//")[1] in str(info.value) or "container endpoint" in str(info.value)

    @pytest.mark.parametrize(
        ("environ", "words"),
        [
            ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.0.0.1/creds"}, "loopback or the ECS/EKS"),
            (
                {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1.evil.example/c"},
                "loopback or the ECS/EKS",
            ),
            ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "ftp://127.0.0.1/c"}, "http or https URL"),
            ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:99999/c"}, "http or https URL"),
            (
                {
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/c",
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "a\r\nX: y",
                },
                "AWS_CONTAINER_AUTHORIZATION_TOKEN is not a legal header value",
            ),
        ],
    )
    def test_container_settings_refused_before_any_request(
        self, aws_env: dict[str, str], environ: dict[str, str], words: str
    ) -> None:
        with pytest.raises(st.ConfigError) as info:
            st._signing_keys(None, {**aws_env, **environ})
        assert words in str(info.value)

    @pytest.mark.parametrize(
        ("where", "setting", "words"),
        [
            (
                "config",
                "role_arn = arn:aws:iam::123456789012:role/R\nsource_profile = base",
                "assume role credentials (role_arn)",
            ),
            (
                "credentials",
                "role_arn = arn:aws:iam::123456789012:role/R\ncredential_source = Environment",
                "(role_arn)",
            ),
            (
                "config",
                "web_identity_token_file = /t\nrole_arn = arn:aws:iam::123456789012:role/R",
                "web identity credentials (web_identity_token_file)",
            ),
            (
                "config",
                "sso_session = corp\nsso_account_id = 123456789012\nsso_role_name = R",
                "(sso_session)",
            ),
            (
                "config",
                "sso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1",
                "SSO) credentials (sso_start_url)",
            ),
        ],
    )
    def test_sources_we_do_not_implement_name_the_setting(
        self, aws_env: dict[str, str], where: str, setting: str, words: str
    ) -> None:
        if where == "config":
            write_aws_files(aws_env, f"[profile dev]\n{setting}\n" + key_lines("config"))
        else:
            write_aws_files(aws_env, "[profile dev]\n" + key_lines("config"), f"[dev]\n{setting}\n")
        with pytest.raises(st.ConfigError) as info:
            st._signing_keys("dev", aws_env)
        assert words in str(info.value) and "profile 'dev'" in str(info.value)
        assert "does not implement" in str(info.value)

    def test_web_identity_from_the_environment_unless_a_profile_is_given(
        self, aws_env: dict[str, str]
    ) -> None:
        env = {
            **aws_env,
            "AWS_WEB_IDENTITY_TOKEN_FILE": "/t",
            "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/R",
        }
        write_aws_files(env, "[profile dev]\n" + key_lines("config"))
        with pytest.raises(st.ConfigError) as info:
            st._signing_keys(None, env)
        assert "AWS_WEB_IDENTITY_TOKEN_FILE" in str(info.value)
        assert_keys(st._signing_keys("dev", env), "config", "config file (profile dev)")

    def test_no_source_is_a_login_required_error(self, aws_env: dict[str, str]) -> None:
        write_aws_files(aws_env, "[profile dev]\nregion = eu-west-1\n")
        with pytest.raises(st.LoginRequiredError) as info:
            st._signing_keys("dev", aws_env)
        assert "no AWS credentials for profile 'dev'" in str(info.value)
        assert "instance metadata is not used" in str(info.value)
        assert info.value.command.endswith("login --profile dev")

    def test_a_named_profile_that_does_not_exist(self, aws_env: dict[str, str]) -> None:
        write_aws_files(aws_env, "[default]\n" + key_lines("config"))
        for profile, env in (("nope", aws_env), (None, {**aws_env, "AWS_PROFILE": "nope"})):
            with pytest.raises(st.ConfigError) as info:
                st._signing_keys(profile, env)
            assert "'nope' is in neither the config file nor the shared credentials file" in str(info.value)

    def test_inside_exec_the_container_endpoint_signs(
        self, aws_env: dict[str, str], fake: FakeSignin
    ) -> None:
        """exec's child has no keys or profile of its own: the served credentials are its source."""
        path = write_session(aws_env, fake, profile="dev")
        probe = "import signin_token as st; k = st._signing_keys(None); print(k.source, k.access_key_id)"
        result = run_cli(["exec", "--profile", "dev", "--", sys.executable, "-c", probe], aws_env)
        assert result.returncode == 0, result.stderr
        access = json.loads(path.read_text())["accessToken"]["accessKeyId"]
        assert result.stdout == f"container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI) {access}\n"

    def test_order_as_botocore(self, aws_env: dict[str, str], fake: FakeSignin, tmp_path: Path) -> None:
        """Peer test: botocore's resolver picks the same keys for an explicit profile with several sources."""
        need_botocore()
        access, secret, token = SOURCE_KEYS["process"]
        doc = {"Version": 1, "AccessKeyId": access, "SecretAccessKey": secret, "SessionToken": token}
        process = f"credential_process = {process_script(tmp_path, f'print(json.dumps({doc!r}))')}\n"
        env_keys = {
            "AWS_ACCESS_KEY_ID": SOURCE_KEYS["env"][0],
            "AWS_SECRET_ACCESS_KEY": SOURCE_KEYS["env"][1],
        }
        scenarios = [
            (env_keys, key_lines("config"), key_lines("shared")),
            ({}, key_lines("config"), key_lines("shared")),
            ({}, process + key_lines("config"), ""),
            ({}, key_lines("config"), ""),
        ]
        for extra, config, shared in scenarios:
            env = {**aws_env, **extra}
            write_aws_files(env, f"[profile dev]\n{config}", f"[dev]\n{shared}" if shared else "")
            theirs = botocore_credentials(env, "dev")
            ours = st._signing_keys("dev", env)
            assert (ours.access_key_id, ours.secret_access_key) == (theirs["key"], theirs["secret"])
        write_aws_files(aws_env)
        write_session(aws_env, fake, profile="dev")
        config = Path(aws_env["AWS_CONFIG_FILE"])
        config.write_text(config.read_text() + process + key_lines("config"))
        theirs = botocore_credentials(aws_env, "dev")
        assert theirs["method"] == "login" and st._signing_keys("dev", aws_env).access_key_id == theirs["key"]

    def test_secrets_never_in_repr(self, aws_env: dict[str, str]) -> None:
        write_aws_files(aws_env, "[default]\n" + key_lines("config"))
        keys = st._signing_keys(None, aws_env)
        for secret in SOURCE_KEYS["config"][1:]:
            assert secret is not None and secret not in repr(keys)
        assert "config file (profile default)" in repr(keys)


class TestSignInRegion:
    """The entry's ``signInRegion``: written at login, used first at every refresh (before
    the flag, the environment and the profile), validated where it is read (PROTOCOL.md §16)."""

    def connect_host(self, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> str:
        """Run ``credentials ARGV`` in-process with an expired entry and no endpoint override,
        through a refusing proxy: the host the refresh went to (its CONNECT line)."""
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        for name in ("no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        proxy = RecordingProxy(refusal=b"HTTP/1.1 403 no\r\nContent-Length: 0\r\n\r\n")
        try:
            monkeypatch.setenv("https_proxy", proxy.url)
            rc, out, err = run_main(["credentials", *argv])
        finally:
            proxy.close()
        assert (rc, out) == (1, ""), err
        (head,) = proxy.heads
        return head.split(b" ")[1].decode()

    @pytest.mark.parametrize(
        ("recorded", "host"),
        [
            ("eu-west-2", "eu-west-2.signin.aws.amazon.com:443"),
            ("cn-north-1", "cn-north-1.signin.amazonaws.cn:443"),
            ("", "ap-south-1.signin.aws.amazon.com:443"),  # empty: as absent
            (None, "ap-south-1.signin.aws.amazon.com:443"),  # the AWS CLI's entries
        ],
    )
    def test_used_before_the_flag_the_environment_and_the_profile(
        self,
        fake: FakeSignin,
        aws_env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
        recorded: str | None,
        host: str,
    ) -> None:
        extra = {} if recorded is None else {"signInRegion": recorded}
        path = write_session(aws_env, fake, expires_in=-60, region="us-west-1", extra=extra)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", "")
        monkeypatch.setenv("AWS_REGION", "sa-east-1")
        before = path.read_bytes()
        assert self.connect_host(aws_env, monkeypatch, "--region", "ap-south-1") == host
        assert path.read_bytes() == before

    @pytest.mark.parametrize(
        "hostile", ["evil.example.com/x", "us-east-1.attacker.example", "a b", "US-EAST-1", 7, ["eu-west-2"]]
    )
    def test_a_value_that_is_not_a_region_is_ignored_with_one_warning(
        self, fake: FakeSignin, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, hostile: Any
    ) -> None:
        write_session(aws_env, fake, expires_in=-60, region="us-west-1", extra={"signInRegion": hostile})
        monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", "")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        proxy = RecordingProxy(refusal=b"HTTP/1.1 403 no\r\nContent-Length: 0\r\n\r\n")
        try:
            monkeypatch.setenv("https_proxy", proxy.url)
            rc, out, err = run_main(["credentials"])
        finally:
            proxy.close()
        assert (rc, out) == (1, ""), err
        assert [head.split(b" ")[1] for head in proxy.heads] == [b"us-west-1.signin.aws.amazon.com:443"]
        (warning,) = warning_lines(err)
        assert "signInRegion" in warning and "ignoring it" in warning
        if isinstance(hostile, str) and len(hostile) > 3:
            assert hostile not in err

    def test_login_records_the_region_it_used_and_a_later_login_reuses_it(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """``login --region`` writes no region to the config; ``login --profile X`` as every
        exit-3 message prints it then needs no region and no terminal."""
        env = dict(aws_env, AWS_ENDPOINT_URL_SIGNIN=fake.url)
        rc, _, err = full_login(env, "--region", "eu-central-1")
        assert rc == 0, err
        entry = json.loads(cache_path(env).read_text())
        assert entry["signInRegion"] == "eu-central-1"
        assert Path(env["AWS_CONFIG_FILE"]).read_text() == f"[default]\nlogin_session = {SESSION_ARN}\n"
        rc, _, err = full_login(env)  # no region anywhere: the session's own
        assert rc == 0, err
        assert json.loads(cache_path(env).read_text())["signInRegion"] == "eu-central-1"
        assert "AWS Region" not in err
        assert Path(env["AWS_CONFIG_FILE"]).read_text() == f"[default]\nlogin_session = {SESSION_ARN}\n"


def refuse_next_refresh(fake: FakeSignin, refusal: str) -> None:
    """Make the fake refuse the next refresh definitively, as ``refusal`` names."""
    if refusal == "unknown-token":
        with fake.lock:
            fake.refresh_tokens.clear()
    elif refusal == "grant-message":
        fake.faults.append(GRANT_REFUSED_FAULT)
    else:
        status = {"invalid_grant": 400, "TOKEN_EXPIRED": 401}.get(refusal, 403)
        kind = "ValidationException" if status == 400 else "AccessDeniedException"
        fake.faults.append(("status", status, kind, refusal))


DEFINITIVE_REFUSALS = [
    "TOKEN_EXPIRED",
    "USER_CREDENTIALS_CHANGED",
    "invalid_grant",
    "grant-message",
    "unknown-token",
]


class TestRefusedRefreshEndsSession:
    """A definitive refusal (PROTOCOL.md §16) ends the session for this tool, as for
    botocore and the JS SDK, even while the cached credentials are valid; a marker beside
    the entry records it, keyed by the refused refresh token; the entry stays as it was."""

    @pytest.mark.parametrize("refusal", DEFINITIVE_REFUSALS)
    def test_ended_until_a_new_login(self, fake: FakeSignin, aws_env: dict[str, str], refusal: str) -> None:
        path = write_session(aws_env, fake, expires_in=200)  # valid, inside the refresh window
        refuse_next_refresh(fake, refusal)
        before = path.read_bytes()
        first = run_here(["credentials"], aws_env)
        assert (first.returncode, first.stdout) == (3, ""), first.stderr
        assert re.search(LOGIN_COMMAND_RE.format(profile="default"), first.stderr), first.stderr
        assert warning_lines(first.stderr) == [] and "ASIAOLD" not in first.stderr
        assert len(fake.token_calls()) == 1
        assert path.read_bytes() == before  # other tools read it as it is
        marker = path.parent / (path.name + ".ended")
        assert file_mode(marker) == 0o600
        assert json.loads(before)["refreshToken"] not in marker.read_text()
        # From now on: ended, without asking the service again.
        for args in (["credentials"], ["refresh"], ["credentials", "--format", "env"]):
            again = run_here(args, aws_env)
            assert (again.returncode, again.stdout) == (3, ""), again.stderr
            assert re.search(LOGIN_COMMAND_RE.format(profile="default"), again.stderr), again.stderr
        status = run_here(["status"], aws_env)
        assert status.returncode == 3
        assert "state: ended (the service refused" in status.stdout, status.stdout
        info = json.loads(run_here(["status", "--json"], aws_env).stdout)
        assert (info["state"], info["refused"], info["valid"]) == ("ended", True, False)
        assert len(fake.token_calls()) == 1
        assert path.read_bytes() == before

    def test_credentials_login_signs_in_and_clears_it(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = dict(login_env(aws_env, fake), BROWSER=str(following_browser(tmp_path)))
        path = write_session(env, fake, expires_in=200)
        refuse_next_refresh(fake, "TOKEN_EXPIRED")
        assert run_here(["credentials"], env).returncode == 3
        result = run_cli(["credentials", "--login"], env)  # a process: webbrowser reads BROWSER once
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["AccessKeyId"] == json.loads(path.read_text())["accessToken"]["accessKeyId"] != "ASIAOLD"
        assert len(fake.token_calls("authorization_code")) == 1
        assert not (path.parent / (path.name + ".ended")).exists()
        assert run_here(["status"], env).returncode == 0
        assert run_here(["credentials"], env).returncode == 0

    def test_a_new_refresh_token_from_another_tool_clears_it(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """Another tool's login rewrites the entry in place (the AWS CLI does): a new refresh
        token, so the marker is stale and the session is usable again."""
        path = write_session(aws_env, fake, expires_in=200)
        refuse_next_refresh(fake, "USER_CREDENTIALS_CHANGED")
        assert run_here(["credentials"], aws_env).returncode == 3
        entry = json.loads(path.read_text())
        entry["refreshToken"] = fake.seed_session(st.DPoPKey.from_pem(entry["dpopKey"]))
        entry["accessToken"]["accessKeyId"] = "ASIANEWLOGIN"
        entry["accessToken"]["expiresAt"] = iso_stamp(time.time() + 3600)
        with path.open("r+") as f:  # in place, same inode, as the AWS CLI writes
            f.write(json.dumps(entry))
            f.truncate()
        result = run_here(["credentials"], aws_env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["AccessKeyId"] == "ASIANEWLOGIN"
        assert json.loads(run_here(["status", "--json"], aws_env).stdout)["state"] == "valid"
        set_expiry(path, time.time() + 100)
        refreshed = run_here(["refresh"], aws_env)
        assert refreshed.returncode == 0, refreshed.stderr
        assert not (path.parent / (path.name + ".ended")).exists()  # a stale marker is cleaned

    @pytest.mark.parametrize("all_sessions", [False, True])
    def test_logout_removes_the_marker(
        self, fake: FakeSignin, aws_env: dict[str, str], all_sessions: bool
    ) -> None:
        path = write_session(aws_env, fake, expires_in=200)
        refuse_next_refresh(fake, "TOKEN_EXPIRED")
        assert run_here(["credentials"], aws_env).returncode == 3
        marker = path.parent / (path.name + ".ended")
        assert marker.exists()
        if all_sessions:
            path.unlink()  # a marker whose entry is already gone is removed too
        result = run_here(["logout", *(["--all"] if all_sessions else [])], aws_env)
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in path.parent.iterdir()) == []

    def test_python_api_raises_session_ended(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        write_session(aws_env, fake, expires_in=200)
        refuse_next_refresh(fake, "invalid_grant")
        warnings: list[str] = []
        with pytest.raises(st.SessionEndedError) as info:
            st.get_credentials(on_warning=warnings.append)
        assert isinstance(info.value, st.LoginRequiredError) and info.value.command
        with pytest.raises(st.SessionEndedError):
            asyncio.run(st.get_credentials_async(on_warning=warnings.append))
        assert warnings == [] and len(fake.token_calls()) == 1
        assert st.session_status()["state"] == "ended"

    def test_a_marker_through_a_link_is_not_trusted(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600)
        digest = hashlib.sha256(json.loads(path.read_text())["refreshToken"].encode()).hexdigest()
        planted = tmp_path / "planted"
        planted.write_text(digest + "\n")
        (path.parent / (path.name + ".ended")).symlink_to(planted)
        result = run_here(["credentials"], aws_env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["AccessKeyId"] == "ASIAOLD"

    @pytest.mark.parametrize(
        "failure", ["5xx-x3", "429", "rate_exceeded", "service_unavailable", "transport"]
    )
    def test_transient_failures_keep_the_session(
        self, fake: FakeSignin, aws_env: dict[str, str], failure: str
    ) -> None:
        path = write_session(aws_env, fake, expires_in=200)
        env = break_next_refresh(aws_env, fake, failure, path)
        result = run_here(["credentials"], env)
        assert result.returncode == 0, result.stderr
        assert len(warning_lines(result.stderr)) == 1
        assert not (path.parent / (path.name + ".ended")).exists()
        assert json.loads(run_here(["status", "--json"], env).stdout)["state"] == "refreshable"
        fake.faults.clear()
        env["AWS_ENDPOINT_URL_SIGNIN"] = fake.url
        assert run_here(["credentials"], env).returncode == 0
        assert json.loads(path.read_text())["accessToken"]["accessKeyId"] != "ASIAOLD"


# Every code of today's model: the status and error type to send it with, and its kind.
REFUSAL_KINDS = {
    "TOKEN_EXPIRED": (401, "AccessDeniedException", "ended"),
    "USER_CREDENTIALS_CHANGED": (403, "AccessDeniedException", "ended"),
    "INSUFFICIENT_PERMISSIONS": (403, "AccessDeniedException", "fault"),
    "AUTHCODE_EXPIRED": (401, "AccessDeniedException", "ended"),
    "server_error": (500, "InternalServerException", "transient"),
    "INVALID_REQUEST": (400, "ValidationException", "fault"),
    "RESOURCE_NOT_FOUND": (404, "ResourceNotFoundException", "fault"),
    "CONFLICT": (409, "ConflictException", "transient"),
    "SERVICE_QUOTA_EXCEEDED": (402, "ServiceQuotaExceededException", "transient"),
    "unsupported_grant_type": (400, "ValidationException", "fault"),
    "invalid_request": (400, "ValidationException", "fault"),
    "invalid_grant": (400, "InvalidGrantException", "ended"),
    "invalid_scope": (400, "InvalidScopeException", "fault"),
    "invalid_target": (400, "ValidationException", "fault"),
    "invalid_client": (401, "AccessDeniedException", "fault"),
    "rate_exceeded": (429, "TooManyRequestsError", "transient"),
    "service_unavailable": (503, "ServiceUnavailableException", "transient"),
}


class TestRefusalKinds:
    """Each of the model's 17 error codes means one thing at refresh and at login
    (definitive, transient or a request fault) and says what to do (PROTOCOL.md §16)."""

    def test_one_table_covers_every_code(self) -> None:
        assert list(REFUSAL_KINDS) == [m.value for m in st.OAuth2ErrorCode]
        for code, (_, _, kind) in REFUSAL_KINDS.items():
            assert st._REFUSALS[code][0] == kind, code
            assert st._REFUSALS[code][1].strip(), code

    @pytest.mark.parametrize("code", list(REFUSAL_KINDS))
    def test_at_refresh_with_valid_credentials(
        self, fake: FakeSignin, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, code: str
    ) -> None:
        status, error_type, kind = REFUSAL_KINDS[code]
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        path = write_session(aws_env, fake, expires_in=200)
        before = path.read_bytes()
        fake.faults.append(("status", status, error_type, code))
        rc, out, err = run_main(["credentials"])
        advice = st._REFUSALS[code][1]
        if kind == "ended":
            assert (rc, out) == (3, ""), err
            assert advice in err and re.search(LOGIN_COMMAND_RE.format(profile="default"), err), err
        else:  # the session stays usable: the cached credentials, one warning saying what to do
            assert rc == 0, err
            assert json.loads(out)["AccessKeyId"] == "ASIAOLD"
            (warning,) = warning_lines(err)
            assert code in warning and advice in err, err
        assert path.read_bytes() == before
        assert (path.parent / (path.name + ".ended")).exists() == (kind == "ended")
        assert len(fake.token_calls()) == 1

    @pytest.mark.parametrize("code", ["AUTHCODE_EXPIRED", "server_error", "invalid_client"])
    def test_at_login(self, fake: FakeSignin, aws_env: dict[str, str], code: str) -> None:
        status, error_type, kind = REFUSAL_KINDS[code]
        env = login_env(aws_env, fake)
        fake.faults.append(("status", status, error_type, code))
        rc, out, err = full_login(env, "--profile", "dev")
        assert (rc, out) == (1, ""), err
        assert st._REFUSALS[code][1] in err, err
        failure = err[err.index("error: ") :]  # not the --remote advice printed before the wait
        login_hint = re.search(LOGIN_COMMAND_RE.format(profile="dev"), failure)
        assert (login_hint is not None) == (kind == "ended"), err
        assert len(fake.token_calls()) == 1 and not cache_path(env).exists()


class TestStatusJsonEveryState:
    """``status --json`` prints one JSON object in every state, with the exit code of
    ``status``: valid and refreshable 0; ended, logged-out and unusable 3."""

    @pytest.mark.parametrize("setup", ["no-login-session", "no-cache-file", "unparsable", "ended", "valid"])
    def test_one_object(self, fake: FakeSignin, aws_env: dict[str, str], setup: str) -> None:
        path = write_session(aws_env, fake, profile="dev")
        if setup == "no-login-session":
            Path(aws_env["AWS_CONFIG_FILE"]).write_text("[profile dev]\nregion = us-east-1\n")
        elif setup == "no-cache-file":
            path.unlink()
        elif setup == "unparsable":
            path.write_text("{")
        elif setup == "ended":
            set_expiry(path, time.time() + 200)
            refuse_next_refresh(fake, "TOKEN_EXPIRED")
            assert run_here(["credentials", "--profile", "dev"], aws_env).returncode == 3
        text = run_here(["status", "--profile", "dev"], aws_env)
        result = run_here(["status", "--json", "--profile", "dev"], aws_env)
        assert result.returncode == text.returncode == (0 if setup == "valid" else 3), result.stderr
        info = json.loads(result.stdout)
        assert isinstance(info, dict) and result.stdout.count("\n") == 1
        state = {"no-login-session": "logged-out", "no-cache-file": "logged-out", "unparsable": "unusable"}
        assert info["state"] == state.get(setup, setup)
        assert info["profile"] == "dev" and info["valid"] is (setup == "valid")
        assert set(info) >= STATUS_KEYS
        if setup in state:
            assert re.search(LOGIN_COMMAND_RE.format(profile="dev"), info["login_command"])
            assert info["error"] and info["expiration"] is None


class TestCredentialProcessProfiles:
    """A profile whose ``credential_process`` runs this tool's ``credentials --profile X``:
    status, credentials, refresh and logout act on X's session, and no message suggests
    ``login`` for the process profile, which login refuses (PROTOCOL.md §10, §12)."""

    LINES = (
        "{prog} credentials --profile dev",
        "{prog} export-credentials --format process --profile=dev",
        "{prog} --profile dev credentials",
    )

    def setup(self, fake: FakeSignin, env: dict[str, str], line: str, expires_in: float = 3600) -> Path:
        path = write_session(env, fake, profile="dev", expires_in=expires_in)
        prog = f"{sys.executable} -m signin_token"
        with Path(env["AWS_CONFIG_FILE"]).open("a") as f:
            f.write(f"[profile app]\ncredential_process = {line.format(prog=prog)}\n")
        return path

    @pytest.mark.parametrize("line", LINES)
    def test_commands_act_on_the_session_read(
        self, fake: FakeSignin, aws_env: dict[str, str], line: str
    ) -> None:
        path = self.setup(fake, aws_env, line, expires_in=60)
        refresh = run_here(["refresh", "--profile", "app"], aws_env)
        assert refresh.returncode == 0, refresh.stderr
        assert len(fake.token_calls("refresh_token")) == 1
        creds = run_here(["credentials", "--profile", "app"], aws_env)
        assert creds.returncode == 0, creds.stderr
        assert (
            json.loads(creds.stdout)["AccessKeyId"]
            == json.loads(path.read_text())["accessToken"]["accessKeyId"]
        )
        status = run_here(["status", "--json", "--profile", "app"], aws_env)
        assert status.returncode == 0, status.stderr
        info = json.loads(status.stdout)
        assert (info["profile"], info["login_profile"], info["state"]) == ("app", "dev", "valid")
        text = run_here(["status", "--profile", "app"], aws_env)
        assert "reads profile dev" in text.stdout
        logout = run_here(["logout", "--profile", "app"], aws_env)
        assert logout.returncode == 0 and not path.exists()
        after = run_here(["credentials", "--profile", "app"], aws_env)
        assert after.returncode == 3
        assert re.search(LOGIN_COMMAND_RE.format(profile="dev"), after.stderr), after.stderr
        assert "--profile app" not in after.stderr

    def test_ended_session_advice_names_the_login_profile(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = dict(login_env(aws_env, fake), BROWSER=str(following_browser(tmp_path)))
        self.setup(fake, env, self.LINES[0], expires_in=200)
        refuse_next_refresh(fake, "TOKEN_EXPIRED")
        for args in (["credentials"], ["status"], ["refresh"]):
            result = run_here([*args, "--profile", "app"], env)
            assert result.returncode == 3, result.stderr
            assert "--profile app" not in result.stderr, result.stderr
        advice = advised_command(result.stderr)
        ran = run_as_printed(advice, env)
        assert ran.returncode == 0, (advice, ran.stderr)
        assert run_here(["credentials", "--profile", "app"], env).returncode == 0

    def test_credentials_login_signs_in_the_profile_read(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = dict(login_env(aws_env, fake), BROWSER=str(following_browser(tmp_path)))
        path = self.setup(fake, env, self.LINES[0], expires_in=200)
        refuse_next_refresh(fake, "invalid_grant")
        config_before = Path(env["AWS_CONFIG_FILE"]).read_text()
        result = run_cli(["credentials", "--login", "--profile", "app"], env)
        assert result.returncode == 0, result.stderr
        assert (
            json.loads(result.stdout)["AccessKeyId"]
            == json.loads(path.read_text())["accessToken"]["accessKeyId"]
        )
        assert len(fake.token_calls("authorization_code")) == 1
        assert Path(env["AWS_CONFIG_FILE"]).read_text() == config_before  # dev's session, app untouched

    @pytest.mark.parametrize(
        "line", ["aws configure export-credentials --profile dev", "{prog} credentials --profile app"]
    )
    def test_other_processes_are_not_followed_and_login_is_not_suggested(
        self, fake: FakeSignin, aws_env: dict[str, str], line: str
    ) -> None:
        self.setup(fake, aws_env, line)
        for args in (["credentials"], ["status"], ["status", "--json"], ["refresh"]):
            result = run_here([*args, "--profile", "app"], aws_env)
            assert result.returncode == 2, result.stderr
            assert "credential_process" in result.stderr, result.stderr
            assert not re.search(r"(signin_token|signin-token) login", result.stderr), result.stderr
        assert fake.token_calls() == []


class TestAdviceCarriesCommandLineSettings:
    """A session made or used with ``--region`` / ``--endpoint-url`` on the command line:
    the login command a message prints carries them, and works as printed."""

    def test_endpoint_and_region_only_on_the_command_line(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = dict(aws_env, BROWSER=str(following_browser(tmp_path)))
        flags = ["--region", "eu-north-1", "--endpoint-url", fake.url]
        login = run_cli(["login", *flags], env)
        assert login.returncode == 0, login.stderr
        path = cache_path(env)
        set_expiry(path, time.time() + 200)
        refuse_next_refresh(fake, "TOKEN_EXPIRED")
        result = run_cli(["credentials", *flags], env)
        assert result.returncode == 3, result.stderr
        advice = advised_command(result.stderr)
        assert "--endpoint-url" in advice and "eu-north-1" in advice, advice
        ran = run_as_printed(advice, env)
        assert ran.returncode == 0, (advice, ran.stderr)
        after = run_cli(["credentials", *flags], env)
        assert after.returncode == 0, after.stderr


class OnATerminal:
    """A process whose controlling terminal is a new pty (stdin and/or stderr on it, as
    asked); ``shown`` is everything the terminal displayed so far."""

    def __init__(self, argv: list[str], env: dict[str, str], *, stdin: bool, stderr: bool) -> None:
        pty = pytest.importorskip("pty")
        self.master, self.slave = pty.openpty()  # the slave stays open here until the end:
        name = os.ttyname(self.slave)  # a child that holds none of it may still open /dev/tty

        def session_on_the_pty() -> None:
            os.setsid()
            os.close(os.open(name, os.O_RDWR))  # a session leader's first terminal becomes its own

        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=str(HERE),
            stdin=self.slave if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.slave if stderr else subprocess.PIPE,
            preexec_fn=session_on_the_pty,
        )
        self.seen = bytearray()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # every holder of the terminal has closed it
                break
            if not chunk:
                break
            self.seen.extend(chunk)
        self.done.set()

    def wait_for(self, pattern: bytes) -> re.Match[bytes]:
        deadline = time.monotonic() + 30
        while True:
            m = re.search(pattern, bytes(self.seen))
            if m is not None:
                return m
            assert not self.done.is_set() and time.monotonic() < deadline, bytes(self.seen)
            time.sleep(0.02)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 60) -> tuple[int, str, str, str]:
        """(exit code, stdout, stderr when piped, what the terminal showed)."""
        try:
            rc = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            os.close(self.slave)
        self.done.wait(10)
        os.close(self.master)
        assert self.proc.stdout is not None
        out = self.proc.stdout.read().decode()
        self.proc.stdout.close()
        err = ""
        if self.proc.stderr is not None:
            err = self.proc.stderr.read().decode()
            self.proc.stderr.close()
        return rc, out, err, bytes(self.seen).decode(errors="replace").replace("\r\n", "\n")


class TestReplaceQuestionOnATerminal:
    """After the sign-in, on a terminal, a different session is asked about with ``(y/n)``
    (as the AWS CLI's login.py does); "n" stores nothing."""

    @pytest.mark.parametrize("answer", ["y", "n"])
    def test_asked_after_the_browser(self, fake: FakeSignin, aws_env: dict[str, str], answer: str) -> None:
        env = login_env(aws_env, fake)
        before = f"[default]\nregion = us-east-1\nlogin_session = {OTHER_SESSION_ARN}\n"
        config = write_config(env, before)
        argv = [sys.executable, "-m", "signin_token", "login", "--no-browser", "--callback-timeout", "30"]
        term = OnATerminal(argv, env, stdin=True, stderr=True)
        url = term.wait_for(rb"(http://127\.0\.0\.1:\d+/v1/authorize\?\S+)\r?\n").group(1).decode()
        assert b"(y/n)" not in term.seen  # no question before the browser
        status, page = browser_follow(url)
        assert status == 200, page
        question = term.wait_for(rb"Use the new session (\S+) instead\? \(y/n\): ")
        assert question.group(1).decode() == SESSION_ARN
        term.type(answer + "\n")
        rc, out, _, shown = term.finish()
        assert out == ""
        assert OTHER_SESSION_ARN in shown
        if answer == "y":
            assert rc == 0, shown
            assert config.read_text() == before.replace(OTHER_SESSION_ARN, SESSION_ARN)
            assert cache_path(env).exists()
        else:
            assert rc == 1, shown
            assert "was not stored" in shown
            assert config.read_text() == before and not cache_path(env).exists()

    def test_the_same_session_is_not_asked_about(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        env = login_env(aws_env, fake)
        write_session(env, fake)
        argv = [sys.executable, "-m", "signin_token", "login", "--no-browser", "--callback-timeout", "30"]
        term = OnATerminal(argv, env, stdin=True, stderr=True)
        url = term.wait_for(rb"(http://127\.0\.0\.1:\d+/v1/authorize\?\S+)\r?\n").group(1).decode()
        status, page = browser_follow(url)
        assert status == 200, page
        rc, out, _, shown = term.finish()
        assert (rc, out) == (0, ""), shown
        assert "(y/n)" not in shown and "signed in profile default" in shown
        assert json.loads(cache_path(env).read_text())["accessToken"]["accessKeyId"] != "ASIAOLD"


class TestFailedRefreshMessages:
    """Connection refused, timeouts and a 5xx after the last retry: one error line with how
    many attempts were made and when the cached credentials expire(d), one hint line, never
    a traceback."""

    @pytest.mark.parametrize(
        ("failure", "attempts", "hint"),
        [
            ("refused", 2, "check the network connection"),
            ("timeout", 1, "check the network connection"),
            ("5xx", 2, "the service failed: try again later"),
            ("503", 2, "the service is unavailable"),
        ],
    )
    @pytest.mark.parametrize("args", [["credentials"], ["refresh", "--force"]])
    def test_one_line_and_one_hint(
        self,
        fake: FakeSignin,
        aws_env: dict[str, str],
        failure: str,
        attempts: int,
        hint: str,
        args: list[str],
    ) -> None:
        expires_in = -90 if args == ["credentials"] else 3600
        path = write_session(aws_env, fake, expires_in=expires_in)
        env = dict(aws_env, AWS_MAX_ATTEMPTS=str(attempts))
        if failure == "refused":
            env["AWS_ENDPOINT_URL_SIGNIN"] = f"http://127.0.0.1:{free_port()}"
        elif failure == "timeout":
            fake.faults.append(("sleep", 3))
            args = [*args, "--timeout", "0.5"]
        else:
            status, kind, code = (500, "InternalServerException", "server_error")
            if failure == "503":
                status, kind, code = (503, "ServiceUnavailableException", "service_unavailable")
            fake.faults.extend([("status", status, kind, code, {"Retry-After": "0"})] * attempts)
        before = path.read_bytes()
        result = run_here(args, env)
        assert (result.returncode, result.stdout) == (1, ""), result.stderr
        error, advice = result.stderr.splitlines()
        made = f"({attempts} attempt{'s' if attempts > 1 else ''})"
        assert error.startswith(f"error: could not refresh the credentials of profile 'default' {made}: ")
        stamp = json.loads(before)["accessToken"]["expiresAt"]
        verb = "expired at" if expires_in < 0 else "expire at"
        assert f"the cached credentials {verb} {stamp}" in error, error
        assert advice.startswith("hint: ") and hint in advice, advice
        assert "Traceback" not in result.stderr
        assert path.read_bytes() == before


class TestExit3ReachesTheTerminal:
    """SDKs swallow a credential process's stderr (boto/botocore#1348): when ``credentials``
    exits 3 and there is a controlling terminal, the login line also goes to it."""

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "signin_token", "credentials"]

    def test_written_to_the_terminal_when_stderr_is_swallowed(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        write_session(aws_env, fake, expires_in=200)
        refuse_next_refresh(fake, "TOKEN_EXPIRED")
        term = OnATerminal(self.argv(), aws_env, stdin=False, stderr=False)
        rc, out, err, shown = term.finish()
        assert (rc, out) == (3, ""), err
        assert re.search(LOGIN_COMMAND_RE.format(profile="default"), err), err
        (line,) = shown.splitlines()
        assert "signin_token: " in line and "to sign in again, run: " in line
        assert re.search(LOGIN_COMMAND_RE.format(profile="default"), line), line
        for secret in (
            "old-secret",
            "old-session",
            json.loads(cache_path(aws_env).read_text())["refreshToken"],
        ):
            assert secret not in line and secret not in err

    def test_not_twice_when_stderr_is_the_terminal(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        Path(aws_env["AWS_CONFIG_FILE"]).parent.mkdir(parents=True)
        Path(aws_env["AWS_CONFIG_FILE"]).write_text("[default]\nregion = us-east-1\n")
        term = OnATerminal(self.argv(), aws_env, stdin=False, stderr=True)
        rc, out, _, shown = term.finish()
        assert (rc, out) == (3, ""), shown
        assert len(re.findall(LOGIN_COMMAND_RE.format(profile="default"), shown)) == 1, shown

    def test_without_a_terminal_nothing_changes(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        write_session(aws_env, fake, expires_in=200)
        refuse_next_refresh(fake, "TOKEN_EXPIRED")
        proc = subprocess.run(
            self.argv(),
            env=aws_env,
            cwd=str(HERE),
            capture_output=True,
            text=True,
            start_new_session=True,
            timeout=60,
        )
        assert (proc.returncode, proc.stdout) == (3, ""), proc.stderr
        assert re.search(LOGIN_COMMAND_RE.format(profile="default"), proc.stderr), proc.stderr


# --------------------------------------------------------------------------
# Local credential server: container credentials on loopback (PROTOCOL.md §14)
# --------------------------------------------------------------------------

SERVED_KEYS = ["AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId"]


NODE_MODULES = (os.environ.get("SIGNIN_TOKEN_NODE_MODULES") or "/work/node/node_modules").rstrip("/")


@contextlib.contextmanager
def serving_cached_session(aws_env: dict[str, str], fake: FakeSignin) -> Iterator[tuple[Path, ServeProcess]]:
    """A session with an hour left, and ``serve`` answering with its cached credentials:
    (the cache entry's path, the server)."""
    path = write_session(aws_env, fake, expires_in=3600)
    with serving(aws_env) as h:
        assert h.creds()["AccessKeyId"] == "ASIAOLD"
        yield path, h


def entry_secrets(path: Path) -> set[str]:
    """The secrets of a cache entry that must never reach stderr or an error body."""
    entry = json.loads(path.read_text())
    found = {
        entry["refreshToken"],
        entry["accessToken"]["secretAccessKey"],
        entry["accessToken"]["sessionToken"],
    }
    found.update(key_secrets(entry["dpopKey"]))
    return {s for s in found if len(s) >= 6}


def new_login_entry(env: dict[str, str], fake: FakeSignin, access_key: str, expires_in: float = 3600) -> Path:
    """A new login's cache entry for the same session (the config already names it)."""
    key = st.DPoPKey.generate()
    entry = {
        "accessToken": {
            "accessKeyId": access_key,
            "secretAccessKey": "new-secret-" + uuid.uuid4().hex,
            "sessionToken": "new-session-" + uuid.uuid4().hex,
            "accountId": ACCOUNT,
            "expiresAt": iso_stamp(time.time() + expires_in),
        },
        "tokenType": TOKEN_TYPE,
        "clientId": st.SAME_DEVICE_CLIENT_ID,
        "refreshToken": fake.seed_session(key),
        "idToken": fake_jwt({"sub": SESSION_ARN}),
        "dpopKey": key.to_pem(),
    }
    return store_entry(env, entry)


def sdk_env(aws_env: dict[str, str], tmp_path: Path, handle: ServeProcess) -> dict[str, str]:
    """A process environment with no AWS setting but the two container variables."""
    home = tmp_path / "sdk-home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in aws_env.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home),
        AWS_CONTAINER_CREDENTIALS_FULL_URI=handle.url,
        AWS_CONTAINER_AUTHORIZATION_TOKEN=handle.token,
    )
    return env


class ManualClock:
    """A clock that moves only when told to (``advance``); ``wall`` for the
    credentials' expiry (epoch seconds), ``monotonic`` for the server's deadlines."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.start = time.monotonic()

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def wall(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return self.start + self.offset


@contextlib.contextmanager
def server_in_process(
    profile: str | None = None, *, wall_clock: Callable[[], float] = time.time, **kwargs: Any
) -> Iterator[tuple[st._CredentialServer, str]]:
    """The credential server in this process (the environment is ``aws_env``'s), its
    token; ``wall_clock`` is the credentials' clock, ``kwargs`` go to the server."""
    source = st._ServedCredentials(
        profile, region=None, endpoint_url=None, timeout=30, on_clock_skew=None, clock=wall_clock
    )
    source.credentials()
    token = "tok-" + uuid.uuid4().hex
    server = st._CredentialServer(source, token, **kwargs)
    server.start()
    try:
        yield server, token
    finally:
        server.close()


def split_responses(data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Split a byte stream of HTTP/1.1 responses (Content-Length framed)."""
    out = []
    while data:
        head, sep, data = data.partition(b"\r\n\r\n")
        assert sep, head
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers["content-length"])
        out.append((int(lines[0].split()[1]), headers, data[:length]))
        data = data[length:]
    return out


def read_one_response(s: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Exactly one response from a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    length = int(re.search(rb"(?i)content-length: *(\d+)", data.split(b"\r\n\r\n")[0]).group(1))  # type: ignore[union-attr]
    while len(data.partition(b"\r\n\r\n")[2]) < length:
        data += s.recv(65536)
    ((status, headers, body),) = split_responses(data)
    return status, headers, body


def authorized_get(server: st._CredentialServer, token: str, *, close: bool = True) -> bytes:
    """A request for the credentials with the server's own Host and token."""
    return (
        f"GET /credentials HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: {token}\r\n"
        + ("Connection: close\r\n" if close else "")
        + "\r\n"
    ).encode()


def send_and_read(port: int, data: bytes, *, timeout: float = 10) -> bytes:
    """Send ``data`` on a new connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


class TestCredentialServer:
    """PROTOCOL.md §14: ``serve`` answers the container-credentials protocol on loopback to
    holders of its token only, with credentials that have more than 5 minutes left,
    refreshing once for any number of concurrent requests, 503 with the login command when
    the session has ended (and serving again after a new login), stopping cleanly on
    SIGINT/SIGTERM; botocore and the JS SDK use it as is."""

    def test_prints_the_two_variables_and_serves_the_cached_credentials(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600)
        access = json.loads(path.read_text())["accessToken"]
        with serving(aws_env) as h:
            lines = h.stdout.splitlines()
            assert len(lines) == 2
            m = re.fullmatch(r"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + SERVED_URI_RE, lines[0])
            assert m is not None, lines
            assert re.fullmatch(r"AWS_CONTAINER_AUTHORIZATION_TOKEN=[A-Za-z0-9_-]{43,}", lines[1]), lines
            status, headers, body = h.get()
            assert status == 200, body
            assert headers["cache-control"] == "no-store"
            assert headers["content-type"] == "application/json"
            doc = json.loads(body)
            assert list(doc) == SERVED_KEYS
            assert (doc["AccessKeyId"], doc["SecretAccessKey"], doc["Token"], doc["AccountId"]) == (
                access["accessKeyId"],
                access["secretAccessKey"],
                access["sessionToken"],
                ACCOUNT,
            )
            assert iso_instant(doc["Expiration"]) == iso_instant(access["expiresAt"])
            assert h.creds() == doc  # again, from memory
        assert fake.token_calls() == []
        stderr = "".join(h.stderr)
        assert h.token not in stderr and "Traceback" not in stderr
        assert not any(s in stderr for s in entry_secrets(path))

    def test_a_new_token_each_start(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        write_session(aws_env, fake, expires_in=3600)
        with serving(aws_env) as first:
            pass
        with serving(aws_env) as second:
            status, _, _ = second.get(first.token)
            assert status == 403
        assert first.token != second.token

    def test_only_the_token_holder_gets_only_the_credentials(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """In-process, with a server clock that runs fast: each wrong token's 403 is held
        longer than the last (0.1 s doubling), which would be 6 s of real waiting."""
        path = write_session(aws_env, fake, expires_in=3600)
        secrets_ = entry_secrets(path)
        clock = ManualClock()
        with (
            server_in_process(timeout=10**6, clock=clock.monotonic) as (server, token),
            ticking(server, token, clock),
        ):
            h = ServeProcess(None, server.url, token, "")  # type: ignore[arg-type]
            cases: list[tuple[str, dict[str, Any], int]] = [
                ("no token", {"token": None}, 401),
                ("wrong token", {"token": "wrong"}, 403),
                ("one character off", {"token": h.token[:-1] + ("A" if h.token[-1] != "A" else "B")}, 403),
                ("longer", {"token": h.token + "x"}, 403),
                ("prefix", {"token": h.token[:10]}, 403),
                ("Bearer form", {"token": "Bearer " + h.token}, 403),
                ("two headers", {"headers": [("Authorization", "x")]}, 403),
                ("other path", {"path": "/other"}, 404),
                ("root", {"path": "/"}, 404),
                ("trailing slash", {"path": h.path + "/"}, 404),
                ("refresh token path", {"path": "/refresh-token"}, 404),
                ("HEAD", {"method": "HEAD"}, 405),
                ("OPTIONS", {"method": "OPTIONS"}, 405),
                ("POST", {"method": "POST"}, 405),
                ("PUT", {"method": "PUT"}, 405),
                ("DELETE", {"method": "DELETE"}, 405),
                ("PATCH", {"method": "PATCH"}, 405),
                ("unknown method", {"method": "BREW"}, 405),
                ("HEAD without token", {"method": "HEAD", "token": None}, 405),
            ]
            for name, kwargs, expected in cases:
                status, headers, body = h.get(**kwargs)
                assert status == expected, (name, status, body)
                assert headers.get("cache-control") == "no-store", name
                assert not any(s.encode() in body for s in secrets_), name
                if expected == 405:
                    assert headers.get("allow") == "GET", name
                if kwargs.get("method") != "HEAD":
                    assert set(json.loads(body)) == {"code", "message"}, name
            assert list(h.creds()) == SERVED_KEYS  # still serving
        assert fake.token_calls() == []

    def test_concurrent_fetches_during_an_expiry_cause_one_refresh(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        with serving_cached_session(aws_env, fake) as (path, h):
            set_expiry(path, time.time() + 120)  # now inside the refresh window
            barrier = threading.Barrier(32)
            results: list[Any] = []

            def fetch() -> None:
                barrier.wait(30)
                try:
                    results.append(h.get())
                except Exception as exc:
                    results.append(exc)

            threads = [threading.Thread(target=fetch) for _ in range(32)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert len(results) == 32
            keys = set()
            for result in results:
                assert not isinstance(result, Exception), result
                status, _, body = result
                assert status == 200, body
                doc = json.loads(body)
                assert iso_instant(doc["Expiration"]) > time.time() + 300
                keys.add(doc["AccessKeyId"])
            assert len(keys) == 1 and keys != {"ASIAOLD"}
            assert len(fake.token_calls("refresh_token")) == 1
            for _ in range(50):
                assert h.creds()["AccessKeyId"] in keys
            assert len(fake.token_calls("refresh_token")) == 1
            assert json.loads(path.read_text())["accessToken"]["accessKeyId"] in keys

    def test_credentials_inside_the_window_are_never_served(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """The fake issues 303-second credentials: they stay servable for 3 seconds only
        by the server's clock, which is moved 4 seconds on instead of waiting."""
        fake.expires_in = 303
        write_session(aws_env, fake, expires_in=100)
        clock = ManualClock()
        with server_in_process(wall_clock=clock.wall) as (server, token):
            first = json.loads(
                split_responses(send_and_read(server.port, authorized_get(server, token)))[0][2]
            )
            assert iso_instant(first["Expiration"]) > clock.wall() + 300
            fake.expires_in = 3600
            clock.advance(4)
            (reply,) = split_responses(send_and_read(server.port, authorized_get(server, token)))
            assert reply[0] == 200, reply
            second = json.loads(reply[2])
            assert second["AccessKeyId"] != first["AccessKeyId"]
            assert iso_instant(second["Expiration"]) > clock.wall() + 300
        assert len(fake.token_calls("refresh_token")) == 2  # at start, then 4 s later

    def test_session_end_is_503_with_the_login_command_then_serves_after_a_new_login(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        with serving_cached_session(aws_env, fake) as (path, h):
            secrets_ = entry_secrets(path)
            set_expiry(path, time.time() + 60)
            with fake.lock:
                fake.refresh_tokens.clear()  # the session is over at the service
            for _attempt in range(3):
                status, headers, body = h.get()
                assert status == 503, body
                assert headers["cache-control"] == "no-store"
                doc = json.loads(body)
                assert doc["code"] == "LoginRequired"
                assert re.search(r"run: " + LOGIN_COMMAND_RE.format(profile="default"), doc["message"]), doc
                assert not any(s.encode() in body for s in secrets_)
            assert len(fake.token_calls("refresh_token")) == 1  # answered from memory since
            assert h.proc.poll() is None
            new_login_entry(aws_env, fake, "ASIANEW")
            assert h.creds()["AccessKeyId"] == "ASIANEW"
            # A logout is seen at once, not served from memory.
            assert run_here(["logout"], aws_env).returncode == 0
            status, _, body = h.get()
            assert status == 503 and json.loads(body)["code"] == "LoginRequired"
            new_login_entry(aws_env, fake, "ASIAAGAIN")
            assert h.creds()["AccessKeyId"] == "ASIAAGAIN"
        stderr = "".join(h.stderr)
        assert "Traceback" not in stderr and h.token not in stderr

    def test_service_failure_is_a_502_with_a_redacted_line(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600)
        clock = ManualClock()
        with server_in_process(wall_clock=clock.wall) as (server, token):
            entry = json.loads(path.read_text())
            set_expiry(path, time.time() + 60)
            echo = json.dumps({"error": "server_error", "message": f"boom {entry['refreshToken']}\nx"})
            fake.faults = [("raw", 500, echo.encode(), "application/json")] * 3
            ((status, _, body),) = split_responses(send_and_read(server.port, authorized_get(server, token)))
            assert status == 502, body
            doc = json.loads(body)
            assert doc["code"] == "RefreshFailed"
            assert "\n" not in doc["message"] and entry["refreshToken"] not in doc["message"]
            assert "boom" in doc["message"]
            calls = len(fake.token_calls())
            again = split_responses(send_and_read(server.port, authorized_get(server, token)))
            assert (again[0][0], again[0][2]) == (502, body) and len(fake.token_calls()) == calls  # memory
            clock.advance(1.2)  # failures are retried after a second
            ((status, _, body),) = split_responses(send_and_read(server.port, authorized_get(server, token)))
            assert status == 200 and json.loads(body)["AccessKeyId"] != "ASIAOLD"

    @pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
    @pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
    def test_signals_stop_it_cleanly(self, fake: FakeSignin, aws_env: dict[str, str], signame: str) -> None:
        write_session(aws_env, fake, expires_in=3600)
        with serving(aws_env) as h:
            assert h.creds()
            h.proc.send_signal(getattr(signal, signame))
            assert h.proc.wait(30) == 0
        assert "Traceback" not in "".join(h.stderr) and "interrupted" not in "".join(h.stderr)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", h.port), timeout=5).close()

    def test_env_format_is_evaluated_by_sh(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        write_session(aws_env, fake, expires_in=3600)
        with serving(aws_env, "--format", "env") as h:
            lines = h.stdout.splitlines()
            assert [line.split("=", 1)[0] for line in lines] == [
                "export AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "export AWS_CONTAINER_AUTHORIZATION_TOKEN",
            ]
            proc = subprocess.run(
                [
                    "sh",
                    "-c",
                    h.stdout + 'printf "%s\\n" "$AWS_CONTAINER_CREDENTIALS_FULL_URI" '
                    '"$AWS_CONTAINER_AUTHORIZATION_TOKEN"',
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert proc.stdout.splitlines() == [h.url, h.token]
            assert h.creds()

    def test_json_format(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        write_session(aws_env, fake, expires_in=3600)
        with serving(aws_env, "--format", "json", lines=1) as h:
            assert h.stdout.count("\n") == 1
            doc = json.loads(h.stdout)
            assert list(doc) == ["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"]
            assert re.fullmatch(SERVED_URI_RE, doc["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
            assert h.creds()

    def test_fixed_port(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        write_session(aws_env, fake, expires_in=3600)
        port = free_port()
        with serving(aws_env, "--port", str(port)) as h:
            assert h.port == port and h.creds()

    @pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com", "::", "10.0.0.1"])
    def test_non_loopback_host_refused(self, fake: FakeSignin, aws_env: dict[str, str], host: str) -> None:
        write_session(aws_env, fake, expires_in=3600)
        result = run_cli(["serve", "--host", host], aws_env, timeout=30)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert "--allow-non-loopback" in result.stderr

    @pytest.mark.parametrize("host", ["localhost", "127.0.0.2", "::1"])
    def test_other_loopback_hosts(self, fake: FakeSignin, aws_env: dict[str, str], host: str) -> None:
        if host == "::1":
            try:
                with socket.socket(socket.AF_INET6) as s:
                    s.bind(("::1", 0))
            except OSError:
                pytest.skip("::1 is not configured here")
        if host == "127.0.0.2" and not sys.platform.startswith("linux"):
            pytest.skip("all of 127/8 is local on Linux only")
        write_session(aws_env, fake, expires_in=3600)
        with serving(aws_env, "--host", host) as h:
            creds = h.creds()
        assert creds["AccessKeyId"] == "ASIAOLD" and creds["Token"] == "old-session", creds
        assert set(creds) >= {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}, creds

    def test_help_explains_the_exposure(self) -> None:
        code, out, _ = run_main(["serve", "--help"])
        assert code == 0
        text = " ".join(out.split())
        assert "--allow-non-loopback" in text and "clear text" in text and "token" in text

    def test_token_file(self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path) -> None:
        write_session(aws_env, fake, expires_in=3600)
        token = "file-token-" + uuid.uuid4().hex
        good = tmp_path / "token"
        good.write_text(token + "\n")
        good.chmod(0o600)
        with serving(aws_env, "--token-file", str(good)) as h:
            assert h.token == token
            assert h.creds()
            assert h.get("wrong")[0] == 403
        assert token not in "".join(h.stderr)

    @pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
    @pytest.mark.parametrize(
        ("content", "mode", "word"),
        [
            ("tok-secret-1234", 0o644, "other users"),
            ("tok-secret-1234", 0o640, "other users"),
            ("tok-secret-1234", 0o620, "other users"),
            ("tok-secret-1234", 0o602, "other users"),
            ("", 0o600, "empty"),
            ("  \n", 0o600, "empty"),
            ("tok\nsecret-1234", 0o600, "printable"),
            ("tok-secret-1234\x07", 0o600, "printable"),
            ("tok-secret-1234", 0o600, "16 characters at least"),
            ("tok-secret-1234" * 300, 0o600, "larger than 4 KiB"),
            (None, 0o600, "cannot be created"),
        ],
    )
    def test_unsafe_token_file_refused(
        self,
        fake: FakeSignin,
        aws_env: dict[str, str],
        tmp_path: Path,
        content: str | None,
        mode: int,
        word: str,
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        path = tmp_path / "token"
        if content is not None:
            path.write_text(content)
            path.chmod(mode)
        else:
            path = tmp_path / "no-such-directory" / "token"
        result = run_cli(["serve", "--token-file", str(path)], aws_env, timeout=30)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert word in result.stderr
        assert "secret-1234" not in result.stderr

    def test_no_session_is_exit_3_before_listening(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        result = run_cli(["serve"], login_env(aws_env, fake), timeout=30)
        assert result.returncode == 3, result.stderr
        assert result.stdout == ""
        assert re.search(LOGIN_COMMAND_RE.format(profile="default"), result.stderr)

    def test_debug_logs_one_line_per_request_and_no_secret(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600)
        with serving(aws_env, "--debug") as h:
            h.get()
            h.get(None)
            h.get(path="/x")
            h.get(method="OPTIONS")
            deadline = time.monotonic() + 10
            while sum(line.startswith("debug: ") for line in h.stderr) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
        debug = [line for line in h.stderr if line.startswith("debug: ")]
        assert [line.split()[-1] for line in debug] == ["200", "401", "404", "405"], debug
        stderr = "".join(h.stderr)
        assert h.token not in stderr
        assert not any(s in stderr for s in entry_secrets(path))

    def test_botocore_uses_it(self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path) -> None:
        if importlib.util.find_spec("botocore") is None:
            pytest.skip("botocore is not importable")
        path = write_session(aws_env, fake, expires_in=3600)
        access = json.loads(path.read_text())["accessToken"]
        with serving(aws_env) as h:
            script = (
                "import json, botocore.session\n"
                "c = botocore.session.Session().get_credentials()\n"
                "f = c.get_frozen_credentials()\n"
                "print(json.dumps([c.method, f.access_key, f.secret_key, f.token, f.account_id]))\n"
            )
            out = run_ok([sys.executable, "-c", script], sdk_env(aws_env, tmp_path, h), cwd=None)
        method, key, secret, token, account = json.loads(out)
        assert method == "container-role"
        assert (key, secret, token) == (
            access["accessKeyId"],
            access["secretAccessKey"],
            access["sessionToken"],
        )
        assert account in (ACCOUNT, None)  # older botocore drops it

    @pytest.mark.parametrize(
        ("package", "expression"),
        [
            ("@aws-sdk/credential-provider-http", "m.fromHttp()"),
            ("@aws-sdk/credential-provider-imds", "m.fromContainerMetadata()"),
        ],
    )
    def test_js_sdk_uses_it(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, package: str, expression: str
    ) -> None:
        node = shutil.which("node")
        module = Path(NODE_MODULES) / package
        if node is None or not (module / "package.json").exists():
            pytest.skip(f"node or {package} is not installed (set SIGNIN_TOKEN_NODE_MODULES)")
        path = write_session(aws_env, fake, expires_in=3600)
        access = json.loads(path.read_text())["accessToken"]
        script = (
            f"const m = require({json.dumps(str(module))});\n"
            f"({expression})().then((c) => console.log(JSON.stringify({{k: c.accessKeyId, "
            "s: c.secretAccessKey, t: c.sessionToken, e: c.expiration.toISOString()})),"
            " (e) => { console.error(String(e)); process.exit(1); });\n"
        )
        with serving(aws_env) as h:
            out = run_ok([node, "-e", script], sdk_env(aws_env, tmp_path, h), cwd=None)
        doc = json.loads(out)
        assert (doc["k"], doc["s"], doc["t"]) == (
            access["accessKeyId"],
            access["secretAccessKey"],
            access["sessionToken"],
        )
        assert iso_instant(doc["e"].replace(".000Z", "Z")) == iso_instant(access["expiresAt"])


class TestCredentialServerHTTP:
    """PROTOCOL.md §14, RFC 9112: the server's own HTTP/1.1 handling: keep-alive,
    pipelining, framing, bounded heads, malformed input, slow, idle and silent clients,
    and a refresh that never holds up the other requests."""

    def test_keep_alive_and_pipelining(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        write_session(aws_env, fake, expires_in=3600)
        with server_in_process() as (server, token):
            get = authorized_get(server, token, close=False)
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                for _ in range(3):  # one connection, one request after another
                    s.sendall(get)
                    status, headers, body = read_one_response(s)
                    assert status == 200 and "connection" not in headers
                    assert json.loads(body)["AccessKeyId"] == "ASIAOLD"
            close = authorized_get(server, token)
            replies = split_responses(send_and_read(server.port, b"\r\n" + get + get + close + get))
            assert [r[0] for r in replies] == [200, 200, 200]  # nothing after Connection: close
            assert replies[2][1]["connection"] == "close"

    @pytest.mark.parametrize(
        ("request_bytes", "status"),
        [
            (b"GET /credentials HTTP/1.0\r\n{H}Authorization: {token}\r\n\r\n", 200),
            (b"GET /credentials HTTP/1.1\r\n{H}Authorization: {token}\r\nContent-Length: 3\r\n\r\nabc", 200),
            (b"POST /credentials HTTP/1.1\r\n{H}Authorization: {token}\r\nContent-Length: 2\r\n\r\n{}", 405),
            (b"HEAD /credentials HTTP/1.1\r\n{H}Authorization: {token}\r\n\r\n", 405),
            (b"garbage\r\n\r\n", 400),
            (b"GET /credentials\r\n\r\n", 400),
            (b"GET /credentials HTTP/2.0\r\n\r\n", 400),
            (b"GET /credentials HTTP/1.1\r\n{H}no colon here\r\n\r\n", 400),
            (b"GET /credentials HTTP/1.1\r\n{H}Authorization : {token}\r\n\r\n", 400),
            (b"GET /credentials HTTP/1.1\r\n{H}X: a\r\n folded\r\n\r\n", 400),
            (b"GET /credentials HTTP/1.1\r\n{H}" + b"X: " + b"y" * 20000 + b"\r\n\r\n", 431),
            (
                b"GET /credentials HTTP/1.1\r\n{H}Authorization: {token}\r\nAuthorization: {token}\r\n\r\n",
                403,
            ),
            (b"GET http://127.0.0.1/credentials HTTP/1.1\r\n{H}Authorization: {token}\r\n\r\n", 404),
        ],
        ids=[
            "http-1.0",
            "get-with-body",
            "post-with-body",
            "head",
            "garbage",
            "no-version",
            "http-2",
            "no-colon",
            "space-before-colon",
            "obs-fold",
            "huge-head",
            "two-tokens",
            "absolute-form",
        ],
    )
    def test_one_answer_then_close(
        self, fake: FakeSignin, aws_env: dict[str, str], request_bytes: bytes, status: int
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600)
        with server_in_process() as (server, token):
            data = request_bytes.replace(b"{token}", token.encode())
            data = data.replace(b"{H}", f"Host: 127.0.0.1:{server.port}\r\n".encode())  # its own Host
            reply = send_and_read(server.port, data)
            assert reply.startswith(f"HTTP/1.1 {status} ".encode()), reply[:60]
            head, _, body = reply.partition(b"\r\n\r\n")
            assert b"cache-control: no-store" in head.lower()
            if data.startswith(b"HEAD"):
                assert body == b""
            elif status == 200:
                assert json.loads(body)["AccessKeyId"] == "ASIAOLD"
            assert not any(s.encode() in reply for s in entry_secrets(path) if status != 200)

    def test_slow_idle_and_silent_clients_hold_nothing_up(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        clock = ManualClock()  # stands still until the end: the deadline is not what is tested here
        with server_in_process(timeout=0.5, clock=clock.monotonic) as (server, token):
            idle = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(40)]
            half = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            half.sendall(b"GET /credentials HTTP/1.1\r\nAuthorization: ")
            trickled = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            request = authorized_get(server, token)
            try:
                for i, byte in enumerate(request):
                    trickled.send(bytes([byte]))
                    if i % 10 == 0:  # others are answered meanwhile
                        reply = send_and_read(server.port, request)
                        assert reply.startswith(b"HTTP/1.1 200 ")
                data = b""
                while True:
                    chunk = trickled.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                assert data.startswith(b"HTTP/1.1 200 ")
                # The silent ones are dropped after the timeout (EOF, no answer).
                clock.advance(0.6)
                assert send_and_read(server.port, request).startswith(b"HTTP/1.1 200 ")  # wakes the loop
                for s in [*idle, half]:
                    s.settimeout(10)
                    assert s.recv(100) == b""
            finally:
                for s in [*idle, half, trickled]:
                    s.close()

    def test_a_refresh_does_not_hold_up_other_requests(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600)
        with server_in_process() as (server, token):
            set_expiry(path, time.time() + 60)
            hung = threading.Event()
            fake.faults = [("hang", hung)]  # the first refresh attempt hangs, then the retry works
            order: list[str] = []

            def slow() -> None:
                reply = send_and_read(server.port, authorized_get(server, token), timeout=60)
                order.append("refresh " + reply[:12].decode())

            thread = threading.Thread(target=slow)
            thread.start()
            while not fake.token_calls():  # the refresh is under way
                time.sleep(0.02)
            other = f"GET /credentials HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n"
            reply = send_and_read(server.port, other.encode())
            order.append("other " + reply[:12].decode())
            hung.set()
            thread.join(60)
            assert order == ["other HTTP/1.1 401", "refresh HTTP/1.1 200"]
            assert len(fake.token_calls()) == 2  # the hung attempt and its retry

    def test_close_frees_the_port_and_drops_connections(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        with server_in_process() as (server, _):
            port = server.port
            held = socket.create_connection(("127.0.0.1", port), timeout=10)
            server.close()
            server.close()  # twice is fine
            with contextlib.suppress(ConnectionResetError):  # reset when still in the backlog
                assert held.recv(10) == b""
            held.close()
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
        with server_in_process(port=port) as (again, token):  # the same fixed port at once
            assert again.port == port
            reply = send_and_read(port, authorized_get(again, token))
            assert reply.startswith(b"HTTP/1.1 200 ")


LOW_FD_SERVE = (
    "import os, resource, sys\n"
    "resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))\n"
    "held = [os.open(os.devnull, os.O_RDONLY) for _ in range(int(sys.argv[1]))]\n"
    "import signin_token\n"
    "sys.exit(signin_token.main(sys.argv[2:]))\n"
)

# serve, whose every descriptor is taken on SIGUSR2 (until EMFILE) and given back on SIGUSR1.
FD_FILLING_SERVE = (
    "import os, resource, signal, sys\n"
    "resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))\n"
    "taken = []\n"
    "def fill(*_):\n"
    "    try:\n"
    "        while True:\n"
    "            taken.append(os.open(os.devnull, os.O_RDONLY))\n"
    "    except OSError:\n"
    "        os.write(2, b'filled\\n')\n"
    "def free(*_):\n"
    "    while taken:\n"
    "        os.close(taken.pop())\n"
    "    os.write(2, b'freed\\n')\n"
    "signal.signal(signal.SIGUSR2, fill)\n"
    "signal.signal(signal.SIGUSR1, free)\n"
    "import signin_token\n"
    "sys.exit(signin_token.main(sys.argv[1:]))\n"
)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def answered(s: socket.socket) -> bool:
    """Whether an answer (or the end) is already waiting on ``s``, without waiting."""
    s.setblocking(False)
    try:
        return s.recv(1, socket.MSG_PEEK) is not None
    except BlockingIOError:
        return False
    finally:
        s.settimeout(10)


@contextlib.contextmanager
def ticking(server: st._CredentialServer, token: str, clock: ManualClock) -> Iterator[None]:
    """Move the server's ``clock`` on a second every 5 ms of real time, waking its loop
    with an authorized request each time, so held answers come due at once."""
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.005):
            clock.advance(1)
            send_and_read(server.port, authorized_get(server, token))

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(30)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Until ``condition()`` holds (an event, not a timing: 30 s at most)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


class TestCredentialServerUnderAttack:
    """Another local user against the credential server: DNS rebinding (Host), slowloris,
    descriptor exhaustion and token guessing.  An authorized client is always answered."""

    @pytest.mark.parametrize(
        ("listen", "fields", "ok"),
        [
            ("127.0.0.1", ["127.0.0.1:{port}"], True),
            ("127.0.0.1", ["localhost:{port}"], True),
            ("127.0.0.1", ["LocalHost:{port} "], True),
            ("127.0.0.1", [], False),
            ("127.0.0.1", [""], False),
            ("127.0.0.1", ["evil.example:{port}"], False),
            ("127.0.0.1", ["localhost.evil.example:{port}"], False),
            ("127.0.0.1", ["127.0.0.1:{other}"], False),
            ("127.0.0.1", ["127.0.0.1"], False),
            ("127.0.0.1", ["localhost"], False),
            ("127.0.0.1", ["[::1]:{port}"], False),
            ("127.0.0.1", ["127.0.0.2:{port}"], False),
            ("127.0.0.1", ["127.0.0.1:{port}", "127.0.0.1:{port}"], False),
            ("127.0.0.1", ["127.0.0.1:{port}", "evil.example:{port}"], False),
            ("::1", ["[::1]:{port}"], True),
            ("::1", ["localhost:{port}"], True),
            ("::1", ["::1:{port}"], False),
            ("::1", ["127.0.0.1:{port}"], False),
            ("127.0.0.2", ["127.0.0.2:{port}"], True),
            ("127.0.0.2", ["127.0.0.1:{port}"], False),
            ("192.0.2.7", ["192.0.2.7:{port}"], True),
            ("192.0.2.7", ["localhost:{port}"], False),
            ("192.0.2.7", ["evil.example:{port}"], False),
            ("0.0.0.0", ["192.0.2.7:{port}"], True),
            ("0.0.0.0", ["localhost:{port}"], True),
            ("0.0.0.0", ["[2001:db8::1]:{port}"], True),
            ("0.0.0.0", ["evil.example:{port}"], False),
            ("0.0.0.0", ["192.0.2.7:{other}"], False),
            ("0.0.0.0", ["192.0.2.7"], False),
            ("0.0.0.0", ["2001:db8::1:{port}"], False),
            ("myhost.example", ["myhost.example:{port}"], True),
            ("myhost.example", ["evil.example:{port}"], False),
        ],
    )
    def test_host_check_names_only_this_listener(self, listen: str, fields: list[str], ok: bool) -> None:
        given = [f.format(port=9911, other=9912) for f in fields]
        assert st._host_check(listen, 9911)(given) is ok, given
        if ok:  # RFC 9110 §7.2: no port means 80
            assert st._host_check(listen, 80)([f.replace(":{port}", "") for f in fields])

    def test_another_host_is_400_without_touching_the_credentials(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600)
        with serving(aws_env) as h:
            set_expiry(path, time.time() + 60)  # the next authorized answer needs a refresh
            before = path.read_bytes()
            for host in [None, "evil.example:{port}", "127.0.0.1:1", "127.0.0.1", "[::1]:{port}", "x"]:
                value = None if host is None else host.format(port=h.port)
                status, headers, body = h.get(host=value)
                assert status == 400, (host, body)
                assert headers["cache-control"] == "no-store"
                assert json.loads(body)["code"] == "BadRequest"
            assert fake.token_calls() == [] and path.read_bytes() == before
            for host in ["localhost:{port}", "127.0.0.1:{port}"]:
                assert h.get(host=host.format(port=h.port))[0] == 200
            assert len(fake.token_calls("refresh_token")) == 1  # the first good request refreshed

    def test_ipv6_listener_answers_its_own_names(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        if not socket.has_ipv6:
            pytest.skip("no IPv6")
        with socket.socket(socket.AF_INET6) as probe:
            try:
                probe.bind(("::1", 0))
            except OSError:
                pytest.skip("::1 is not configured here")
        write_session(aws_env, fake, expires_in=3600)
        with serving(aws_env, "--host", "::1") as h:
            assert h.url.startswith("http://[::1]:")
            assert h.get()[0] == 200  # http.client sends [::1]:PORT
            assert h.get(host=f"localhost:{h.port}")[0] == 200
            assert h.get(host=f"127.0.0.1:{h.port}")[0] == 400
            assert h.get(host=f"evil.example:{h.port}")[0] == 400

    def test_a_head_trickled_past_its_deadline_is_dropped(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """The deadline runs from the accept (or the previous answer), not from the last byte."""
        write_session(aws_env, fake, expires_in=3600)
        clock = ManualClock()
        with server_in_process(timeout=10, clock=clock.monotonic) as (server, token):
            trickler = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            kept = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            try:
                trickler.sendall(b"GET /credentials HTTP/1.1\r\n")
                # Accepted in order: once this later connection is answered, so was the trickler.
                assert send_and_read(server.port, authorized_get(server, token)).startswith(b"HTTP/1.1 200 ")
                clock.advance(6)
                trickler.sendall(b"X: 1\r\n")
                kept.sendall(authorized_get(server, token, close=False))  # answered at 6 s
                assert read_one_response(kept)[0] == 200
                clock.advance(6)  # 12 s after the accept, 6 s after the last byte and kept's answer
                trickler.sendall(b"X: 2\r\n")
                assert send_and_read(server.port, authorized_get(server, token)).startswith(b"HTTP/1.1 200 ")
                with contextlib.suppress(ConnectionResetError):
                    assert trickler.recv(100) == b""  # dropped, never answered
                kept.sendall(authorized_get(server, token, close=False))  # its own deadline: 16 s
                assert read_one_response(kept)[0] == 200
            finally:
                trickler.close()
                kept.close()

    def test_slowloris_holding_every_slot_does_not_lock_out_a_client(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        with server_in_process(max_connections=32) as (server, token):
            stop = threading.Event()
            held: list[socket.socket] = []
            evicted = [0]

            def attack() -> None:  # 64 connections (twice the cap), a byte each in turn
                while not stop.is_set():
                    for i, s in enumerate(held):
                        try:
                            s.send(b"X")
                        except OSError:
                            evicted[0] += 1
                            s.close()
                            held[i] = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                    while len(held) < 64:
                        held.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
                    time.sleep(0.01)

            attacker = threading.Thread(target=attack)
            attacker.start()
            try:
                wait_for(lambda: evicted[0] >= 32, "the attack never filled the slots")
                for _ in range(5):
                    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                        s.sendall(authorized_get(server, token))
                        status, _, body = read_one_response(s)
                        assert status == 200 and json.loads(body)["AccessKeyId"] == "ASIAOLD"
            finally:
                stop.set()
                attacker.join(30)
                for s in held:
                    s.close()

    @pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_NOFILE and /proc")
    @pytest.mark.parametrize("taken", [0, 120], ids=["cap-follows-the-limit", "accept-fails-emfile"])
    def test_out_of_descriptors_no_busy_loop_and_recovers(
        self, fake: FakeSignin, aws_env: dict[str, str], taken: int
    ) -> None:
        """256 descriptors (macOS's default), 300 idle connections; ``taken`` of them used
        by something else, so that ``accept`` itself fails with EMFILE."""
        write_session(aws_env, fake, expires_in=3600)
        launcher = [sys.executable, "-c", LOW_FD_SERVE, str(taken)]
        with serving(aws_env, launcher=launcher) as h:
            idle: list[socket.socket] = []
            try:
                for _ in range(300):
                    with contextlib.suppress(OSError):  # a full backlog may refuse a few
                        idle.append(socket.create_connection(("127.0.0.1", h.port), timeout=10))
                assert len(idle) >= 250
                time.sleep(0.3)  # the server has seen them all
                cpu, wall = cpu_seconds(h.proc.pid), time.monotonic()
                time.sleep(1)  # a busy loop would burn about as much CPU as this
                cpu, wall = cpu_seconds(h.proc.pid) - cpu, time.monotonic() - wall
                assert cpu < 0.2 * wall, f"the server used {cpu:.2f} s of CPU in {wall:.2f} s"
                assert h.get()[0] == 200  # the oldest idle one made room
            finally:
                for s in idle:
                    s.close()
            assert h.get()[0] == 200  # and after they are gone

    @pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_NOFILE and /proc")
    def test_with_no_descriptor_to_free_the_listener_rests_then_recovers(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """Every descriptor taken by something else, no connection to drop: accept fails
        with EMFILE and the listener rests instead of spinning; it listens again by itself."""
        write_session(aws_env, fake, expires_in=3600)
        with serving(aws_env, launcher=[sys.executable, "-c", FD_FILLING_SERVE]) as h:
            h.proc.send_signal(signal.SIGUSR2)
            wait_for(lambda: "filled\n" in h.stderr, "the descriptors were not taken")
            waiting = [socket.create_connection(("127.0.0.1", h.port), timeout=10) for _ in range(20)]
            try:
                time.sleep(0.3)  # the server has tried to accept them
                cpu, wall = cpu_seconds(h.proc.pid), time.monotonic()
                time.sleep(1)  # a busy loop would burn about as much CPU as this
                cpu, wall = cpu_seconds(h.proc.pid) - cpu, time.monotonic() - wall
                assert cpu < 0.2 * wall, f"the server used {cpu:.2f} s of CPU in {wall:.2f} s"
                h.proc.send_signal(signal.SIGUSR1)
                wait_for(lambda: "freed\n" in h.stderr, "the descriptors were not given back")
                assert h.get()[0] == 200
            finally:
                for s in waiting:
                    s.close()

    def test_wrong_tokens_wait_longer_and_longer_without_holding_up_others(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        clock = ManualClock()  # stands still: every delay is the server's own
        lines: list[str] = []
        with server_in_process(timeout=600, clock=clock.monotonic, log=lines.append) as (server, token):

            def poke() -> None:  # an authorized client, answered at once; it wakes the loop
                assert send_and_read(server.port, authorized_get(server, token)).startswith(b"HTTP/1.1 200 ")

            def guess(expected_delay: float) -> None:
                s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                try:
                    wrong = f"GET /credentials HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                    count = len(lines)
                    s.sendall(f"{wrong}Authorization: {token[:-1]}x\r\n\r\n".encode())
                    wait_for(lambda: any(" 403" in line for line in lines[count:]), "the guess was not read")
                    poke()
                    clock.advance(expected_delay - 0.02)
                    poke()
                    assert not answered(s), f"answered before {expected_delay} s"
                    clock.advance(0.04)
                    poke()
                    assert s.recv(100).startswith(b"HTTP/1.1 403 ")
                finally:
                    s.close()

            for delay in [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]:  # doubling, at most 5 s
                guess(delay)
            clock.advance(61)  # a minute without a wrong token forgives them
            guess(0.1)
            guess(0.2)

    def test_more_connections_than_slots_do_not_guess_faster(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        """A held 403 keeps its slot: while the clock stands, connections past the cap are
        closed unread, so no guess beyond one per slot is even compared."""
        write_session(aws_env, fake, expires_in=3600)
        clock = ManualClock()
        lines: list[str] = []
        with server_in_process(max_connections=8, clock=clock.monotonic, log=lines.append) as (server, token):
            wrong = (
                f"GET /credentials HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: guess\r\n\r\n"
            ).encode()
            held = []
            for _ in range(8):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                s.sendall(wrong)
                held.append(s)
                wait_for(lambda: len(lines) == len(held), "the guess was not read")
            extra = []
            for _ in range(24):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                with contextlib.suppress(OSError):  # closed unread: a reset is fine too
                    s.sendall(wrong)
                    assert s.recv(100) == b""
                extra.append(s)
            assert len(lines) == 8 and not any(answered(s) for s in held)
            clock.advance(10)  # the loop looks at its timers at least once a second
            wait_for(lambda: all(answered(s) for s in held), "the held 403s were not sent")
            assert all(s.recv(100).startswith(b"HTTP/1.1 403 ") for s in held)
            assert send_and_read(server.port, authorized_get(server, token)).startswith(b"HTTP/1.1 200 ")
            assert [line.split()[-1] for line in lines] == ["403"] * 8 + ["200"]
            for s in held + extra:
                s.close()


class TestServeTokenFile:
    """``serve --token-file F``: F is created (0600, exclusively, never through a link) with
    a new 256-bit token when missing and reused after; an existing F is checked on the open
    descriptor before it is read, and a token of fewer than 16 characters is refused."""

    def test_a_missing_file_is_created_0600_and_reused(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        path = tmp_path / "serve-token"
        with serving(aws_env, "--token-file", str(path)) as first:
            assert first.creds()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.stat().st_uid == os.getuid()
        assert path.read_text() == first.token + "\n"
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", first.token)  # 256 bits
        assert f"created {path}" in "".join(first.stderr) and first.token not in "".join(first.stderr)
        stamp = path.stat()
        with serving(aws_env, "--token-file", str(path)) as second:
            assert second.token == first.token
            assert second.creds()
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)
        assert "created" not in "".join(second.stderr)

    def test_the_readme_container_recipe_works_the_first_time(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        """The README's container recipe run by sh as written, with ``signin-token`` this
        module, a free port for 9911, and for ``docker run --env-file serve.env`` a fresh
        process that reads serve.env as docker does (NAME=value lines) and fetches."""
        readme = (HERE / "README.md").read_text(encoding="utf-8")
        serve, wait, docker = [line.strip() for line in readme.splitlines() if "serve.env" in line][:3]
        assert serve.startswith(
            "signin-token serve --profile dev --port 9911 --token-file ~/.aws/serve-token"
        )
        assert docker.startswith("docker run --rm --network host --env-file serve.env ")
        write_session(aws_env, fake, profile="dev", expires_in=3600)
        token_file = Path(aws_env["HOME"]) / ".aws" / "serve-token"
        assert not token_file.exists()
        port = free_port()
        client = (
            "import json, urllib.request\n"
            "env = dict(line.split('=', 1) for line in open('serve.env').read().splitlines())\n"
            "request = urllib.request.Request(env['AWS_CONTAINER_CREDENTIALS_FULL_URI'],\n"
            "    headers={'Authorization': env['AWS_CONTAINER_AUTHORIZATION_TOKEN']})\n"
            "print(json.load(urllib.request.urlopen(request, timeout=30))['AccessKeyId'])\n"
        )
        script = "\n".join(
            [
                serve.replace("signin-token", '"$PY" -m signin_token').replace("9911", str(port)),
                wait,
                '"$PY" -c "$CLIENT"',
                "status=$?",
                "kill $!",
                "wait $!",
                "exit $status",
            ]
        )
        env = {**aws_env, "PY": sys.executable, "CLIENT": client}
        proc = subprocess.run(
            ["sh", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == "ASIAOLD\n"
        assert (tmp_path / "serve.env").read_text() == (
            f"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:{port}/credentials\n"
            f"AWS_CONTAINER_AUTHORIZATION_TOKEN={token_file.read_text().strip()}\n"
        )
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

    def test_a_16_character_token_is_enough(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        path = tmp_path / "token"
        path.write_text("0123456789abcdef\n")
        path.chmod(0o600)
        with serving(aws_env, "--token-file", str(path)) as h:
            assert h.token == "0123456789abcdef" and h.creds()

    @pytest.mark.skipif(os.name != "posix", reason="links, FIFOs and modes")
    @pytest.mark.parametrize("kind", ["short", "fifo", "link", "dangling-link", "directory", "no-directory"])
    def test_refused_before_anything(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, kind: str
    ) -> None:
        """Exit 2 naming the rule, in-process, before any network I/O (the session would
        need a refresh) and with no file created or changed."""
        write_session(aws_env, fake, expires_in=100)
        target = tmp_path / "target"
        path = tmp_path / "token"
        word = {
            "short": "16 characters at least",
            "fifo": "regular file",
            "link": "symbolic link",
            "dangling-link": "symbolic link",
            "directory": "regular file",
            "no-directory": "cannot be created",
        }[kind]
        if kind == "short":
            path.write_text("0123456789abcde\n")  # 15
            path.chmod(0o600)
        elif kind == "fifo":
            os.mkfifo(path, 0o600)  # would block a plain open() for ever
        elif kind == "link":
            target.write_text("0123456789abcdef-long-enough\n")
            target.chmod(0o600)
            path.symlink_to(target)
        elif kind == "dangling-link":
            path.symlink_to(target)
        elif kind == "directory":
            path.mkdir(mode=0o700)
        else:
            path = tmp_path / "no-such-directory" / "token"
        before = sorted(p.name for p in tmp_path.iterdir())
        code, out, err = run_main(["serve", "--token-file", str(path)])
        assert code == 2, err
        assert out == "" and word in err and "--token-file" in err
        assert "0123456789abcde" not in err
        assert fake.token_calls() == []
        assert sorted(p.name for p in tmp_path.iterdir()) == before
        assert not target.exists() or target.read_text() == "0123456789abcdef-long-enough\n"


# --------------------------------------------------------------------------
# Credential export (PROTOCOL.md §12)
# --------------------------------------------------------------------------

# Every quote-like code point, the shells' other metacharacters, line breaks, backslashes
# and a few plain letters (NUL excluded: no credential, file or environment can hold it).
QUOTE_POOL = (
    "'\"`$\\\n\r\t"
    + "".join(chr(c) for c in range(0x2018, 0x2020))
    + "\uff07"
    + " %!^&|<>();*?~#{}[]=-+/@:,."
    + "aZ9é€\u2028\u00a0"
)
SHELL_FORMATS = ("env", "env-no-export", "fish", "powershell", "windows-cmd")
EXPIRATION = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
EXPORTED_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
# PowerShell's single-quote characters (about_Quoting_Rules; the language specification's
# single-quote-character: U+0027, U+2018, U+2019, U+201A, U+201B).
PS_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")


def hostile_values(seed: int, count: int) -> list[str]:
    """Seeded hostile values, plus the classic break-outs, each 1-24 characters."""
    rng = random.Random(seed)
    values = ["'", "''", "\\", "\\'", "'\\''", "\u2019", "\u2018\u2019", "$(id)", "`id`", "%PATH%", "!x!"]
    values += ["".join(rng.choice(QUOTE_POOL) for _ in range(rng.randint(1, 24))) for _ in range(count)]
    return values


def credentials_of(access: str, secret: str, token: str, account: str | None = ACCOUNT) -> st.Credentials:
    return st.Credentials(access, secret, token, EXPIRATION, account, SESSION_ARN)


def value_triples(values: list[str]) -> list[tuple[str, str, str]]:
    """Each value once as each of the three secrets."""
    n = len(values)
    return [(values[i], values[(i + 1) % n], values[(i + 2) % n]) for i in range(n)]


def ps_parse(line: str) -> tuple[str, str]:
    """An independent reading of ``$Env:NAME='...'`` by PowerShell's verbatim-string grammar:
    the literal opens and closes with any single-quote character; inside, two single-quote
    characters in a row stand for one (the second: our writer doubles the same character,
    so which one the grammar keeps makes no difference); nothing else is special."""
    m = re.match(r"\$Env:([A-Za-z_][A-Za-z0-9_]*)=", line)
    assert m is not None, line
    i = m.end()
    assert line[i] in PS_QUOTES, line
    i += 1
    out = []
    while True:
        assert i < len(line), f"unterminated string: {line!r}"
        c = line[i]
        if c in PS_QUOTES:
            if i + 1 < len(line) and line[i + 1] in PS_QUOTES:
                out.append(line[i + 1])
                i += 2
                continue
            i += 1
            break
        out.append(c)
        i += 1
    assert i == len(line), f"code after the closing quote: {line[i:]!r}"
    return m.group(1), "".join(out)


def cmd_takes_literally(value: str) -> bool:
    """What ``set NAME=value`` in cmd.exe takes literally: printable ASCII other than
    space, % (expansion), ! (delayed expansion), ^ (escape), & | < > (operators),
    ( ) (blocks) and " (quoting)."""
    return bool(value) and all("!" <= c <= "~" and c not in '%!^&|<>()"' for c in value)


def assert_shell_reads_back(
    argv: list[str],
    env: dict[str, str],
    expected: list[str],
    *,
    stdin: bytes | None = None,
    timeout: float = 60,
) -> None:
    """A shell running ``argv`` (a script printing the exported values one a line) exits 0
    and prints exactly ``expected``."""
    proc = subprocess.run(argv, input=stdin, env=env, capture_output=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[:2000]
    got = proc.stdout.split(b"\n")
    assert got[-1] == b""
    assert got[:-1] == [v.encode("utf-8") for v in expected]


class TestExportQuoting:
    """PROTOCOL.md §12: ``credentials --format`` output of hostile values either reads back
    byte-exact in the real shell (sh, bash, dash, fish; PowerShell by its documented grammar)
    or is refused; nothing non-printable is ever emitted; cmd.exe output holds only what
    cmd takes literally.  The process format carries AccountId when known."""

    def test_non_printable_refused_in_every_shell_format(self) -> None:
        for value in hostile_values(1, 300):
            creds = credentials_of("ASIAX", value, "tok")
            if value.isprintable():
                continue
            for fmt in SHELL_FORMATS:
                with pytest.raises(st.SigninTokenError) as info:
                    st._export(creds, fmt)
                assert value not in str(info.value)
            for fmt in ("process", "json"):  # JSON escapes everything: exact, and ASCII only
                out = st._export(creds, fmt)
                assert out.isascii()
                assert fmt == "json" or out.count("\n") == 1
                assert json.loads(out)["SecretAccessKey"] == value

    def test_printable_output_has_no_control_characters(self) -> None:
        for access, secret, token in value_triples([v for v in hostile_values(2, 200) if v.isprintable()]):
            for fmt in SHELL_FORMATS:
                try:
                    out = st._export(credentials_of(access, secret, token), fmt)
                except st.SigninTokenError:
                    assert fmt == "windows-cmd"
                    continue
                lines = out.split("\n")
                assert lines[-1] == "" and len(lines) == 5
                assert all(line.isprintable() for line in lines)

    @pytest.mark.parametrize("shell", ["sh", "bash", "dash"])
    @pytest.mark.parametrize("fmt", ["env", "env-no-export"])
    def test_posix_shells_read_back_exact(self, shell: str, fmt: str) -> None:
        path = shutil.which(shell)
        if path is None:
            pytest.skip(f"no {shell}")
        triples = value_triples([v for v in hostile_values(3, 250) if v.isprintable()])
        script, expected = [], []
        for triple in triples:
            out = st._export(credentials_of(*triple), fmt)
            script.append(f'(\n{out}printf "%s\\n" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" ')
            script.append('"$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION"\n)\n')
            expected += [*triple, "2030-01-02T03:04:05Z"]
        for locale in ("C", "C.UTF-8"):
            env = dict(os.environ, LC_ALL=locale)
            assert_shell_reads_back([path, "-s"], env, expected, stdin="".join(script).encode("utf-8"))

    def test_fish_reads_back_exact(self, tmp_path: Path) -> None:
        fish = shutil.which("fish")
        if fish is None:
            pytest.skip("fish is not installed")
        triples = value_triples([v for v in hostile_values(4, 250) if v.isprintable()])
        script, expected = [], []
        for triple in triples:
            out = st._export(credentials_of(*triple), "fish")
            script.append(f"begin\n{out}printf '%s\\n' $AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY ")
            script.append("$AWS_SESSION_TOKEN $AWS_CREDENTIAL_EXPIRATION\nend\n")
            expected += [*triple, "2030-01-02T03:04:05Z"]
        file = tmp_path / "export.fish"
        file.write_text("".join(script), encoding="utf-8")
        env = dict(os.environ, LC_ALL="C.UTF-8", HOME=str(tmp_path))
        assert_shell_reads_back([fish, "--no-config", str(file)], env, expected, timeout=120)

    def test_powershell_grammar_reads_back_exact(self) -> None:
        for triple in value_triples([v for v in hostile_values(5, 400) if v.isprintable()]):
            out = st._export(credentials_of(*triple), "powershell")
            parsed = dict(ps_parse(line) for line in out.splitlines())
            assert [parsed[n] for n in EXPORTED_NAMES] == list(triple)
            assert parsed["AWS_CREDENTIAL_EXPIRATION"] == "2030-01-02T03:04:05Z"

    @pytest.mark.parametrize("quote", sorted(PS_QUOTES - {"'"}))
    def test_powershell_reader_catches_a_typographic_break_out(self, quote: str) -> None:
        """The reader is strict enough: ASCII-only doubling lets U+2018-U+201B end the string."""
        hostile = f"x{quote}; Remove-Item -Recurse ~; {quote}"
        naive = "$Env:AWS_SECRET_ACCESS_KEY='" + hostile.replace("'", "''") + "'"
        with pytest.raises(AssertionError, match="after the closing quote"):
            ps_parse(naive)
        line = st._export(credentials_of("ASIAX", hostile, "tok"), "powershell").splitlines()[1]
        assert ps_parse(line) == ("AWS_SECRET_ACCESS_KEY", hostile)

    def test_cmd_takes_only_what_cmd_reads_literally(self) -> None:
        values = [v for v in hostile_values(6, 300) if v.isprintable()]
        values += ["A+/=b", "x:y@z,w;v", "ASIA0123", "a'b`c~d$e#f*g?h[i]j{k}l"]
        refused = accepted = 0
        for value in values:
            creds = credentials_of("ASIAX", value, "tok")
            if cmd_takes_literally(value):
                out = st._export(creds, "windows-cmd")
                assert out.splitlines()[1] == f"set AWS_SECRET_ACCESS_KEY={value}"
                accepted += 1
            else:
                with pytest.raises(st.SigninTokenError) as info:
                    st._export(creds, "windows-cmd")
                assert value not in str(info.value)
                refused += 1
        assert refused > 50 and accepted >= 4

    @pytest.mark.parametrize(
        "value", ["%PATH%", "!x!", "a^", "a&b", "a|b", "a<b", "a>b", "(a)", 'a"b', "a b", "é", "a\u2019b"]
    )
    def test_cmd_refuses(self, value: str) -> None:
        with pytest.raises(st.SigninTokenError):
            st._export(credentials_of("ASIAX", "s", value), "windows-cmd")

    def test_process_format_carries_account_id(self) -> None:
        out = st._export(credentials_of("ASIAX", "s", "t"), "process")
        doc = json.loads(out)
        assert tuple(doc) == PROCESS_KEYS
        assert doc["AccountId"] == ACCOUNT and out.count("\n") == 1
        unknown = json.loads(st._export(credentials_of("ASIAX", "s", "t", account=None), "process"))
        assert "AccountId" not in unknown
        full = json.loads(st._export(credentials_of("ASIAX", "s", "t"), "json"))
        assert list(full)[-2:] == ["AccountId", "LoginSession"] and full["LoginSession"] == SESSION_ARN
        for fmt in ("env", "env-no-export", "fish", "powershell", "windows-cmd"):
            assert ACCOUNT not in st._export(credentials_of("ASIAX", "s", "t"), fmt)

    def test_cli_powershell_output_of_a_hostile_secret(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600)
        entry = json.loads(path.read_text())
        hostile = "a\u2019;calc;\u2018'\u201a\u201b`$x\"\uff07"
        entry["accessToken"]["secretAccessKey"] = hostile
        path.write_text(json.dumps(entry))
        result = run_cli(["credentials", "--format", "powershell"], dict(aws_env, PYTHONIOENCODING="utf-8"))
        assert result.returncode == 0, result.stderr
        parsed = dict(ps_parse(line) for line in result.stdout.splitlines())
        assert parsed["AWS_SECRET_ACCESS_KEY"] == hostile
        entry["accessToken"]["secretAccessKey"] = "new\nline"
        path.write_text(json.dumps(entry))
        for fmt in SHELL_FORMATS:
            refused = run_here(["credentials", "--format", fmt], aws_env)
            assert refused.returncode == 1 and refused.stdout == ""
            assert "new" not in refused.stderr


# --------------------------------------------------------------------------
# Command line: python -m signin_token
# --------------------------------------------------------------------------

# What an SDK would resolve before the container credentials (PROTOCOL.md §14), each set
# to a stale value: exec must hide every one of them, and AWS_PROFILE (set per test), from
# its child.
STALE_CREDENTIALS_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIASTALE",
    "AWS_SECRET_ACCESS_KEY": "stale-secret",
    "AWS_SESSION_TOKEN": "stale-token",
    "AWS_CREDENTIAL_EXPIRATION": "2000-01-01T00:00:00Z",
    "AWS_DEFAULT_PROFILE": "elsewhere",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/nonexistent/token",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/stale",
}
EXEC_REMOVED = ("AWS_PROFILE", *STALE_CREDENTIALS_ENV)
CHILD_BOTOCORE_SCRIPT = """
import json, os, sys, time
import botocore.session
removed = [name for name in sys.argv[1].split(",") if name in os.environ]
creds = botocore.session.Session().get_credentials()
first = creds.get_frozen_credentials().access_key
time.sleep(1.5)  # past the 1 second the first credentials are servable
second = creds.get_frozen_credentials().access_key
print(json.dumps({"method": creds.method, "first": first, "second": second, "removed": removed,
                  "uri": os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
                  "region": os.environ.get("AWS_REGION"), "default": os.environ.get("AWS_DEFAULT_REGION")}))
"""
CHILD_SIGNALS_SCRIPT = """
import pathlib, signal, sys, time
def handler(signum, frame):
    pathlib.Path(sys.argv[1]).write_text(str(signum))
    raise SystemExit(40 + signum)
for name in ("SIGINT", "SIGTERM", "SIGHUP"):
    signal.signal(getattr(signal, name), handler)
print("ready", flush=True)
time.sleep(60)
raise SystemExit(9)
"""


# Credentials an SDK in exec's child would resolve before the container credentials, if
# exec let it: setup name -> what writes them (into the test's environment and files).
def _web_identity(env: dict[str, str], tmp_path: Path) -> None:
    token = tmp_path / "web-identity-token"
    token.write_text("eyJ.web.identity")
    env.update(
        AWS_ROLE_ARN="arn:aws:iam::210987654321:role/Ci",
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token),
        AWS_ROLE_SESSION_NAME="ci",
    )


def _default_keys(env: dict[str, str], tmp_path: Path) -> None:
    Path(env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        "[default]\naws_access_key_id = AKIADEFAULTKEYS\naws_secret_access_key = default-secret\n"
    )


def _default_login_session(env: dict[str, str], tmp_path: Path) -> None:
    entry = json.loads(cache_path(env).read_text())
    entry["accessToken"]["accessKeyId"] = "ASIAOTHERSESSION"
    entry["idToken"] = fake_jwt({"sub": OTHER_SESSION_ARN})
    store_entry(env, entry, OTHER_SESSION_ARN)
    with Path(env["AWS_CONFIG_FILE"]).open("a") as f:
        f.write(f"[default]\nregion = us-east-1\nlogin_session = {OTHER_SESSION_ARN}\n")


def _other_profile(env: dict[str, str], tmp_path: Path) -> None:
    with Path(env["AWS_CONFIG_FILE"]).open("a") as f:
        f.write("[profile other]\naws_access_key_id = AKIAOTHERPROFILE\naws_secret_access_key = other\n")
    env["AWS_PROFILE"] = "other"


def _boto2_config(env: dict[str, str], tmp_path: Path) -> None:
    Path(env["HOME"], ".boto").write_text(
        "[Credentials]\naws_access_key_id = AKIABOTOTWO\naws_secret_access_key = boto-secret\n"
    )


CONFLICTING_CREDENTIALS: dict[str, Callable[[dict[str, str], Path], None]] = {
    "~/.boto of boto2": _boto2_config,
    "web identity in the environment": _web_identity,
    "[default] keys in the credentials file": _default_keys,
    "[default] login_session of another session": _default_login_session,
    "AWS_PROFILE naming another profile": _other_profile,
}
CHILD_BOTOCORE_IDENTITY = (
    "import json, botocore.session\n"
    "c = botocore.session.Session().get_credentials()\n"
    "print(json.dumps([c.method, c.get_frozen_credentials().access_key]))\n"
)
CHILD_JS_SDK_IDENTITY = """
const { fromNodeProviderChain } = require("@aws-sdk/credential-providers");
fromNodeProviderChain()().then(
  (c) => console.log(JSON.stringify(["node", c.accessKeyId])),
  (e) => { console.error(String(e)); process.exit(1); });
"""
# Counts the SIGINTs it gets (one "INT" line each in the file argv[1]); SIGTERM ends it
# with 40 + that count.  It takes each signal off the queue at once (sigwaitinfo), as a Go
# program's signal thread does, so a second SIGINT close behind the first counts too.
CHILD_COUNTS_SIGINT_SCRIPT = """
import os, signal, sys
waited = {signal.SIGINT, signal.SIGTERM}
signal.pthread_sigmask(signal.SIG_BLOCK, waited)
with open(sys.argv[1], "a") as f:
    f.write("ready\\n")
count = 0
while signal.sigwaitinfo(waited).si_signo == signal.SIGINT:
    count += 1
    with open(sys.argv[1], "a") as f:
        f.write("INT\\n")
raise SystemExit(40 + count)
"""

# Sources the script on stdin's command, then runs the completion function bash registered
# for NAME with COMP_WORDS set to the remaining arguments; prints COMPREPLY one per line.
BASH_COMPLETE_SCRIPT = r"""
name=$1 script=$2; shift 2
source <(eval "$script") || exit 90
spec=$(complete -p "$name") || exit 91
spec=${spec#*-F }
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"${spec%% *}" "$name" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""

# The matches zsh's completion system offers for $2 (typed, then TAB) with the script $1
# loaded: a real interactive zsh on a pseudo-terminal (zsh/zpty), compadd (wrapped by the
# file $3, ZSH_RECORD_OFFERS) printing them.
ZSH_COMPLETE_SCRIPT = r"""
zmodload zsh/zpty || exit 90
zpty z zsh -f -i
zpty -w z 'PROMPT=; autoload -Uz compinit; compinit -u -D'
zpty -w z "source ${(q)1}; source ${(q)3}"
zpty -w z "zstyle ':completion:*' menu no"
zpty -w z 'print -r -- RE""ADY'
zpty -r z line '*READY*'
zpty -w -n z "$2"$'\t'
out=
typeset -F SECONDS
end=$((SECONDS + 60))
# Typeahead can cut a completion short: send the next line only once it has offered something.
while ((SECONDS < end)); do
    if zpty -r -t z line; then out+=$line; [[ $out == *HIT:* ]] && break; else sleep 0.05; fi
done
sleep 0.2
zpty -w z $'\C-u print -r -- DO""NE'
while ((SECONDS < end)); do
    if zpty -r -t z line; then out+=$line; [[ $out == *DONE* ]] && break; else sleep 0.05; fi
done
zpty -d z
print -r -- "$out"
"""


ZSH_RECORD_OFFERS = r"""
compadd() {
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then  # only asked for the matches: not offered
        builtin compadd "$@"
        return
    fi
    local -a hits
    builtin compadd -A hits "$@"
    print -r -- "HIT:"${^hits}
    builtin compadd "$@"
}
"""


def console_script_dir(tmp_path: Path, name: str = "signin-token") -> Path:
    """A directory holding ``name``: a console script, as pip writes one, running main()."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom signin_token import main\nsys.exit(main())\n")
    script.chmod(0o755)
    return bin_dir


def console_script_env(aws_env: dict[str, str], tmp_path: Path, name: str = "signin-token") -> dict[str, str]:
    """``aws_env`` with the console script ``name`` first on PATH."""
    return dict(aws_env, PATH=f"{console_script_dir(tmp_path, name)}{os.pathsep}{aws_env.get('PATH', '')}")


def bash_offers(
    env: dict[str, str], words: list[str], script: str = "signin-token completion bash"
) -> list[str]:
    """COMPREPLY for ``words`` (the last being completed), the script loaded in a real bash."""
    argv = ["bash", "--norc", "--noprofile", "-c", BASH_COMPLETE_SCRIPT, "bash", words[0], script, *words]
    return [line for line in run_ok(argv, env, quiet=True).splitlines() if line]


def completion_config(env: dict[str, str], text: str) -> None:
    config = Path(env["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)


def command_words() -> list[str]:
    """Every command name and alias, from the CLI's own table."""
    return [word for name, aliases, _, _ in st._COMMANDS for word in (name, *aliases)]


def option_choices(command: str, flag: str) -> list[str]:
    """The choices of ``command``'s option ``flag``, from the CLI's own table."""
    options = next(opts for name, _, _, opts in st._COMMANDS if name == command)
    return [str(c) for flags, kwargs in options if flag in flags for c in kwargs["choices"]]


COMPLETED_PROFILES = (
    "[default]\nregion = us-east-1\n[profile dev]\n[profile  prod ]\n[sso-session corp]\n[services s]\n"
)


def completion_script(env: dict[str, str], shell: str, path: Path) -> Path:
    """``path``, holding what the console script ``signin-token completion SHELL`` prints."""
    result = subprocess.run(["signin-token", "completion", shell], env=env, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr
    path.write_bytes(result.stdout)
    return path


def fish_offers(env: dict[str, str], script: Path, line: str) -> list[str]:
    """What fish offers for ``line`` (``complete -C``) with ``script`` loaded."""
    commands = f"source {shlex.quote(str(script))}; complete -C {shlex.quote(line)}"
    offered = run_ok(["fish", "--no-config", "-c", commands], env, cwd=None)
    return [entry.split("\t", 1)[0] for entry in offered.splitlines() if entry]


def zsh_has_zpty() -> bool:
    """Whether zsh can drive an interactive zsh on a pseudo-terminal (zsh/zpty)."""
    return (
        subprocess.run(["zsh", "-fc", "zmodload zsh/zpty"], capture_output=True, check=False).returncode == 0
    )


def zsh_offers(env: dict[str, str], script: Path, line: str, tmp_path: Path) -> list[str]:
    """What a real interactive zsh offers for ``line`` (typed, then Tab) with ``script`` loaded."""
    record = tmp_path / "record.zsh"
    record.write_text(ZSH_RECORD_OFFERS)
    done = subprocess.run(
        ["zsh", "-f", "-c", ZSH_COMPLETE_SCRIPT, "zsh", str(script), line, str(record)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "DONE" in done.stdout, done.stdout + done.stderr
    return sorted(set(re.findall(r"HIT:([^\s\x1b]+)", done.stdout)))


@contextlib.contextmanager
def on_a_terminal(
    argv: list[str], env: dict[str, str], *, cwd: Path | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], int, bytearray]]:
    """``argv`` as the leader of a new session whose controlling terminal is a new
    pseudo-terminal, its process group in the foreground (as a shell runs a job):
    (the process, the terminal's master side, what the terminal showed so far)."""
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=str(cwd or HERE),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(slave)
    seen = bytearray()

    def pump() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # every process closed the terminal
                return
            if not chunk:
                return
            seen.extend(chunk)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        yield proc, master, seen
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        thread.join(10)
        os.close(master)


def until_seen(seen: bytearray, wanted: bytes, proc: subprocess.Popen[bytes]) -> None:
    """Wait (30 s at most) until the terminal has shown ``wanted``."""
    deadline = time.monotonic() + 30
    while wanted not in seen:
        assert proc.poll() is None and time.monotonic() < deadline, bytes(seen)
        time.sleep(0.02)


def until_written(path: Path, text: str, proc: subprocess.Popen[bytes]) -> None:
    """Wait (30 s at most) until the file ``path`` holds ``text`` or more."""
    deadline = time.monotonic() + 30
    while not (path.exists() and path.read_text().startswith(text)):
        assert proc.poll() is None and time.monotonic() < deadline, path.read_text() if path.exists() else ""
        time.sleep(0.02)


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux: /proc/PID/task/PID/children)."""
    return [int(n) for n in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def until_state(pids: set[int], state: str) -> None:
    """Wait (30 s at most) until each process of ``pids`` is in ``state`` (/proc/PID/stat)."""
    deadline = time.monotonic() + 30
    while True:
        states = {Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] for pid in pids}
        if states == {state}:
            return
        assert time.monotonic() < deadline, states
        time.sleep(0.02)


def following_browser(tmp_path: Path) -> Path:
    """A "browser" for $BROWSER that follows the sign-in URL to its redirect, as a user would."""
    script = tmp_path / "follow-browser"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, urllib.request\n"
        "opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))\n"
        "opener.open(sys.argv[1], timeout=20).read()\n"
    )
    script.chmod(0o755)
    return script


def run_as_printed(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a command exactly as a message printed it, in sh, with no terminal."""
    return subprocess.run(
        ["sh", "-c", command],
        env=env,
        cwd=str(HERE),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def advised_command(stderr: str) -> str:
    """The one command a message says to run."""
    found = re.findall(r"run: (\S.*?)(?: \(with your region\)|, or set |$)", stderr, flags=re.M)
    assert len(found) == 1, stderr
    return str(found[0])


class TestEndToEnd:
    """End to end through the real CLI against the strict fake (PROTOCOL.md §3, §5, §9)."""

    def test_login_then_refresh(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        env = login_env(aws_env, fake)
        with login_process(["login", "--no-browser"], env) as h:
            status, page = browser_follow(login_url(h))
            assert status == 200, page
            rc, out, err = login_finish(h, timeout=30)
        assert rc == 0, err
        assert out == ""
        cfg = Path(env["AWS_CONFIG_FILE"]).read_text()
        assert f"login_session = {SESSION_ARN}" in cfg
        result = run_cli(["refresh", "--force"], env)
        assert result.returncode == 0, result.stderr
        creds = run_cli(["credentials"], env)
        assert creds.returncode == 0, creds.stderr
        doc = json.loads(creds.stdout)
        assert tuple(doc) == PROCESS_KEYS
        assert doc["AccountId"] == ACCOUNT
        assert len(fake.token_calls("refresh_token")) == 1


class TestLowLevelCommands:
    """The low-level commands (pkce, authorize-url, dpop-key, token): exit codes
    0 success, 1 service/transport error, 2 invalid input; one ``error:`` line."""

    @staticmethod
    def key_file(tmp_path: Path, key: st.DPoPKey) -> str:
        path = tmp_path / "dpop.pem"
        path.write_text(key.to_pem())
        return str(path)

    @staticmethod
    def assert_one_error_line(err: str) -> None:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert "Traceback" not in err

    def test_pkce(self) -> None:
        code, out, err = run_main(["pkce"])
        assert code == 0 and err == ""
        doc = json.loads(out)
        assert set(doc) == {"code_verifier", "code_challenge", "code_challenge_method", "state"}
        assert doc["code_challenge"] == b64url(hashlib.sha256(doc["code_verifier"].encode()).digest())
        assert doc["code_challenge_method"] == "SHA-256" and uuid.UUID(doc["state"]).version == 4

    def test_authorize_url(self, aws_env: dict[str, str]) -> None:
        code, out, err = run_main(
            [
                "authorize-url",
                "--region",
                "eu-west-1",
                "--remote",
                "--code-challenge",
                "abc",
                "--state",
                "st-1",
            ]
        )
        assert code == 0, err
        assert out == (
            "https://eu-west-1.signin.aws.amazon.com/v1/authorize?response_type=code"
            "&client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fcross-device&state=st-1"
            "&code_challenge_method=SHA-256&scope=openid"
            "&redirect_uri=https%3A%2F%2Feu-west-1.signin.aws.amazon.com%2Fv1%2Fsessions%2Fconfirmation"
            "&code_challenge=abc\n"
        )

    def test_authorize_url_same_device(self, aws_env: dict[str, str]) -> None:
        argv = [
            "authorize-url",
            "--endpoint-url",
            "http://127.0.0.1:9/x",
            "--code-challenge",
            "c",
            "--state",
            "s",
        ]
        code, out, err = run_main([*argv, "--redirect-uri", REDIRECT_URI])
        assert code == 0, err
        assert out.startswith("http://127.0.0.1:9/v1/authorize?") and "same-device" in out
        code, out, err = run_main(argv)  # same-device without a redirect URI
        assert code == 2 and out == ""
        self.assert_one_error_line(err)

    def test_authorize_url_missing_region(self, aws_env: dict[str, str]) -> None:
        code, out, err = run_main(["authorize-url", "--remote", "--code-challenge", "c", "--state", "s"])
        assert code == 2 and out == ""
        self.assert_one_error_line(err)
        assert "Missing Region" in err

    def test_dpop_key_file(self, tmp_path: Path) -> None:
        path = tmp_path / "key.pem"
        code, out, err = run_main(["dpop-key", "--output", str(path)])
        assert code == 0 and out == ""
        assert str(path) in err
        assert file_mode(path) == 0o600
        content = path.read_text()
        key = st.DPoPKey.from_pem(content)
        assert key.to_pem() == content
        code, out, err = run_main(["dpop-key", "--output", str(path)])
        assert code != 0 and out == ""
        self.assert_one_error_line(err)
        assert path.read_text() == content

    def test_dpop_key_stdout(self) -> None:
        code, out, err = run_main(["dpop-key"])
        assert code == 0 and err == ""
        assert out.startswith("-----BEGIN EC PRIVATE KEY-----\n")
        assert st.DPoPKey.from_pem(out).to_pem() == out
        assert run_main(["dpop-key"])[1] != out

    def test_token_flags(self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path) -> None:
        key = st.DPoPKey.generate()
        token = fake.seed_session(key)
        code, out, err = run_main(token_refresh_argv(fake.url, self.key_file(tmp_path, key), token))
        assert code == 0, err
        doc = json.loads(out)
        assert set(doc) == {"accessToken", "tokenType", "expiresIn", "refreshToken"}
        assert set(doc["accessToken"]) == {"accessKeyId", "secretAccessKey", "sessionToken"}
        assert doc["tokenType"] == TOKEN_TYPE and doc["expiresIn"] == 900
        assert fake.refresh_tokens[doc["refreshToken"]]["jkt"] == key.thumbprint()
        assert token not in err

    def test_token_input_json_file(self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path) -> None:
        key = st.DPoPKey.generate()
        body = code_request(fake, REDIRECT_URI)[0].token_input.to_dict()
        request_file = tmp_path / "request.json"
        request_file.write_text(json.dumps(body))
        code, out, err = run_main(
            [
                "token",
                "--endpoint-url",
                fake.url,
                "--dpop-key",
                self.key_file(tmp_path, key),
                "--input-json",
                str(request_file),
            ]
        )
        assert code == 0, err
        doc = json.loads(out)
        assert set(doc) == {"accessToken", "tokenType", "expiresIn", "refreshToken", "idToken"}
        assert json.loads(fake.requests[0]["body"]) == body

    def test_token_input_json_stdin_form(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        key = st.DPoPKey.generate()
        wire = {
            "clientId": st.SAME_DEVICE_CLIENT_ID,
            "grantType": "refresh_token",
            "refreshToken": fake.seed_session(key),
        }
        argv = ["token", "--endpoint-url", fake.url, "--dpop-key", self.key_file(tmp_path, key)]
        code, out, err = run_main([*argv, "--input-json", "-", "--form"], stdin=json.dumps(wire))
        assert code == 0, err
        assert json.loads(out)["refreshToken"]
        assert request_header(fake.requests[0], "Content-Type") == "application/x-www-form-urlencoded"
        assert fake.requests[0]["json"] == wire

    @pytest.mark.parametrize(
        ("extra", "stdin"),
        [
            (
                [
                    "--grant-type",
                    "refresh_token",
                    "--client-id",
                    st.SAME_DEVICE_CLIENT_ID,
                    "--code",
                    "CODE-SECRET",
                ],
                "",
            ),
            (
                [
                    "--grant-type",
                    "authorization_code",
                    "--client-id",
                    st.SAME_DEVICE_CLIENT_ID,
                    "--code",
                    "CODE-SECRET",
                    "--redirect-uri",
                    REDIRECT_URI,
                    "--code-verifier",
                    "short",
                ],
                "",
            ),
            (["--grant-type", "refresh_token", "--refresh-token", "RT-SECRET"], ""),
            (
                [
                    "--grant-type",
                    "refresh_token",
                    "--client-id",
                    "arn:aws:signin:::devtools/x",
                    "--refresh-token",
                    "RT-SECRET",
                ],
                "",
            ),
            (["--input-json", "-"], "not json"),
            (["--input-json", "-"], "[1, 2]"),
            (
                ["--input-json", "-"],
                json.dumps({"clientId": st.SAME_DEVICE_CLIENT_ID, "grantType": "password"}),
            ),
            (["--input-json", "-", "--grant-type", "refresh_token"], json.dumps(REFRESH_MEMBERS)),
        ],
    )
    def test_token_invalid_input(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, extra: list[str], stdin: str
    ) -> None:
        argv = [
            "token",
            "--endpoint-url",
            fake.url,
            "--dpop-key",
            self.key_file(tmp_path, st.DPoPKey.generate()),
        ]
        code, out, err = run_main([*argv, *extra], stdin=stdin)
        assert code == 2 and out == ""
        self.assert_one_error_line(err)
        assert "SECRET" not in err
        assert fake.requests == []
        # --debug adds the traceback; the exit code stays the same.
        code, _, err = run_main([*argv, *extra, "--debug"], stdin=stdin)
        assert code == 2 and "Traceback (most recent call last)" in err
        assert err.rstrip().splitlines()[-1].startswith("error: ")

    def test_token_invalid_key_file(self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path) -> None:
        bad = tmp_path / "bad.pem"
        bad.write_text(pem_armor("EC PRIVATE KEY", sec1_key_der(d=bytes(32), public=False)))
        code, out, err = run_main(
            ["token", "--endpoint-url", fake.url, "--dpop-key", str(bad), "--input-json", "-"],
            stdin=json.dumps(st.CreateOAuth2TokenRequestBody(**REFRESH_MEMBERS).to_dict()),
        )
        assert code == 2 and out == ""
        self.assert_one_error_line(err)

    def test_token_missing_key_file(self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path) -> None:
        code, out, err = run_main(
            [
                "token",
                "--endpoint-url",
                fake.url,
                "--dpop-key",
                str(tmp_path / "absent.pem"),
                "--input-json",
                "-",
            ],
            stdin=json.dumps(st.CreateOAuth2TokenRequestBody(**REFRESH_MEMBERS).to_dict()),
        )
        assert code == 2 and out == ""  # a bad argument: nothing was done
        self.assert_one_error_line(err)
        assert "absent.pem" in err

    def test_token_service_error(self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path) -> None:
        key = st.DPoPKey.generate()
        argv = token_refresh_argv(fake.url, self.key_file(tmp_path, key), "rt-UNKNOWN-SECRET")
        code, out, err = run_main(argv)
        assert code == 1 and out == ""
        self.assert_one_error_line(err)
        assert "ValidationException" in err and "INVALID_REQUEST" in err
        assert "rt-UNKNOWN-SECRET" not in err
        code, out, err = run_main([*argv, "--debug"])
        assert code == 1 and "Traceback (most recent call last)" in err
        assert "rt-UNKNOWN-SECRET" not in err

    def test_token_transport_error(self, aws_env: dict[str, str], tmp_path: Path) -> None:
        pkce = st.generate_pkce()
        argv = token_code_argv(
            f"http://127.0.0.1:{free_port()}",
            self.key_file(tmp_path, st.DPoPKey.generate()),
            "code-x",
            pkce.code_verifier,
            REDIRECT_URI,
        )
        code, out, err = run_main(argv)
        assert code == 1 and out == ""
        self.assert_one_error_line(err)
        assert pkce.code_verifier not in err

    @pytest.mark.parametrize(
        "command",
        [
            [],
            ["pkce"],
            ["authorize-url"],
            ["dpop-key"],
            ["token"],
            ["login"],
            ["credentials"],
            ["export-credentials"],
            ["refresh"],
            ["status"],
            ["logout"],
            ["exec"],
        ],
        ids=lambda c: c[0] if c else "top",
    )
    def test_help(self, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
        assert st.main([*command, "--help"]) == 0
        assert "usage:" in capsys.readouterr().out

    @pytest.mark.parametrize("argv", [["--help"], ["-h", "credentials"], ["--help", "status"]])
    def test_top_level_help_lists_every_command(
        self, argv: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        # The parser is built in full only for the chosen command; the top-level
        # help must still list all of them.
        assert st.main(argv) == 0
        out = capsys.readouterr().out
        for name, aliases, _, _ in st._COMMANDS:
            assert re.search(rf"^\s+{re.escape(name)}\b", out, re.M), name
            assert all(alias in out for alias in aliases)

    def test_command_help_names_its_own_options(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert st.main(["credentials", "--help"]) == 0
        out = capsys.readouterr().out
        assert "--format" in out and "--profile" in out and "--redirect-port" not in out

    def test_usage_errors_exit_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert st.main([]) == 2
        assert st.main(["no-such-command"]) == 2
        assert st.main(["token"]) == 2  # --dpop-key is required
        assert "usage:" in capsys.readouterr().err

    def test_subprocess_token(self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path) -> None:
        key = st.DPoPKey.generate()
        env = dict(aws_env, AWS_ENDPOINT_URL_SIGNIN=fake.url)
        wire = {
            "clientId": st.SAME_DEVICE_CLIENT_ID,
            "grantType": "refresh_token",
            "refreshToken": fake.seed_session(key),
        }
        result = run_cli(
            ["token", "--dpop-key", self.key_file(tmp_path, key), "--input-json", "-"],
            env,
            stdin_text=json.dumps(wire),
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        doc = json.loads(result.stdout)
        assert (
            doc["tokenType"] == TOKEN_TYPE
            and fake.refresh_tokens[doc["refreshToken"]]["jkt"] == key.thumbprint()
        )
        # The same process, invalid input: exit 2, one error line, no traceback.
        bad = run_cli(
            ["token", "--dpop-key", self.key_file(tmp_path, key), "--input-json", "-"],
            env,
            stdin_text=json.dumps(dict(wire, code="x")),
        )
        assert bad.returncode == 2 and bad.stdout == ""
        self.assert_one_error_line(bad.stderr)
        assert len(fake.requests) == 1

    def test_subprocess_dpop_key_mode(self, aws_env: dict[str, str], tmp_path: Path) -> None:
        path = tmp_path / "sub.pem"
        result = run_cli(["dpop-key", "--output", str(path)], dict(aws_env))
        assert result.returncode == 0, result.stderr
        assert file_mode(path) == 0o600
        st.DPoPKey.from_pem(path.read_text())


class TestExecServesCredentials:
    """PROTOCOL.md §14: ``exec`` serves refreshing credentials to its child on 127.0.0.1
    (``AWS_CONTAINER_CREDENTIALS_FULL_URI`` + token), or puts them in its environment
    (``--static``); the child's SDKs (botocore, the JS SDK) resolve nothing else first: no
    web identity, no other profile, no [default] keys or session; ``SIGNIN_TOKEN_PROFILE``
    names the profile and refuses a nested exec.  It checks the session before starting
    anything, starts ``$SHELL`` without a command, passes the exit code through (128+N for a
    signal), forwards SIGINT/SIGQUIT/SIGTERM/SIGHUP sent to it alone, and one Ctrl-C at the
    terminal reaches the child once."""

    def test_child_botocore_outlives_a_credential_period(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        if importlib.util.find_spec("botocore") is None:
            pytest.skip("botocore is not importable")
        fake.expires_in = 301  # each set of credentials is servable for 1 second
        write_session(aws_env, fake, profile="dev", expires_in=100)
        env = dict(aws_env, AWS_PROFILE="dev", **STALE_CREDENTIALS_ENV)
        result = run_cli(
            ["exec", "--", sys.executable, "-c", CHILD_BOTOCORE_SCRIPT, ",".join(EXEC_REMOVED)],
            env,
            timeout=90,
        )
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["method"] == "container-role"
        assert doc["removed"] == []
        assert re.fullmatch(SERVED_URI_RE, doc["uri"])
        assert doc["first"].startswith("ASIA") and doc["first"] != "ASIAOLD"
        assert doc["second"].startswith("ASIA") and doc["second"] != doc["first"]
        assert doc["region"] == doc["default"] == "us-east-1"
        assert len(fake.token_calls("refresh_token")) >= 2  # the check at start, then one period on
        cached = json.loads(cache_path(aws_env).read_text())["accessToken"]["accessKeyId"]
        assert cached == doc["second"]
        # The server is gone with the child.
        port = urllib.parse.urlsplit(doc["uri"]).port
        assert port is not None
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        assert "stale-secret" not in result.stderr and "Traceback" not in result.stderr

    def test_child_environment(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        path = write_session(aws_env, fake, expires_in=3600, region="eu-west-3")
        script = (
            "import json, os, sys, urllib.request\n"
            "e = os.environ\n"
            "r = urllib.request.Request(e['AWS_CONTAINER_CREDENTIALS_FULL_URI'],"
            " headers={'Authorization': e['AWS_CONTAINER_AUTHORIZATION_TOKEN']})\n"
            "opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))\n"
            "doc = json.load(opener.open(r, timeout=30))\n"
            "print(json.dumps({'present': [n for n in sys.argv[1].split(',') if n in e],"
            " 'region': e.get('AWS_REGION'), 'key': doc['AccessKeyId'], 'other': e.get('KEEP_ME')}))\n"
        )
        env = dict(aws_env, AWS_PROFILE="default", KEEP_ME="kept", **STALE_CREDENTIALS_ENV)
        result = run_cli(["exec", "--", sys.executable, "-c", script, ",".join(EXEC_REMOVED)], env)
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc == {
            "present": [],
            "region": "eu-west-3",
            "key": json.loads(path.read_text())["accessToken"]["accessKeyId"],
            "other": "kept",
        }
        assert fake.token_calls() == []

    @pytest.mark.parametrize(
        ("script", "code"),
        [
            ("exit 0", 0),
            ("exit 7", 7),
            ("exit 42", 42),
            ("exit 255", 255),
            ("kill -TERM $$", 143),
            ("kill -KILL $$", 137),
        ],
    )
    def test_exit_code_passthrough(
        self, fake: FakeSignin, aws_env: dict[str, str], script: str, code: int
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        sh = shutil.which("sh")
        assert sh is not None
        result = run_cli(["exec", "--", sh, "-c", script], aws_env)
        assert result.returncode == code, result.stderr
        static = run_cli(["exec", "--static", "--", sh, "-c", script], aws_env)
        assert static.returncode == code, static.stderr

    @pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
    @pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM", "SIGHUP"])
    def test_signals_are_forwarded(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, signame: str
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        marker = tmp_path / "got"
        with login_process(
            ["exec", "--", sys.executable, "-c", CHILD_SIGNALS_SCRIPT, str(marker)], aws_env
        ) as h:
            proc = h[0]
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"
            signum = getattr(signal, signame)
            proc.send_signal(signum)  # to exec only: the child hears it through exec
            rc, _, err = login_finish(h, timeout=30)
        assert rc == 40 + signum, err
        assert marker.read_text() == str(signum)
        assert "Traceback" not in err

    @pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sender of a signal: Linux")
    @pytest.mark.parametrize("sender", ["the terminal (Ctrl-C)", "kill to exec alone"])
    def test_one_interrupt_reaches_the_child_once(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, sender: str
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        record = tmp_path / "signals"
        argv = [sys.executable, "-m", "signin_token", "exec", "--", sys.executable, "-c"]
        with on_a_terminal([*argv, CHILD_COUNTS_SIGINT_SCRIPT, str(record)], aws_env) as (proc, master, _):
            until_written(record, "ready\n", proc)
            if sender.startswith("the terminal"):
                # exec is stopped while the terminal's SIGINT reaches the child, so that a second
                # one forwarded by exec could not merge with it in the child's pending signals.
                os.kill(proc.pid, signal.SIGSTOP)
                until_state({proc.pid}, "T")
                os.write(master, b"\x03")  # to the foreground process group: exec and its child
                until_written(record, "ready\nINT\n", proc)
                os.kill(proc.pid, signal.SIGCONT)  # exec now takes its pending SIGINT
            else:
                os.kill(proc.pid, signal.SIGINT)
                until_written(record, "ready\nINT\n", proc)
            proc.send_signal(signal.SIGTERM)  # to exec alone: forwarded, after any second SIGINT
            rc = proc.wait(timeout=30)
        assert record.read_text() == "ready\nINT\n"
        assert rc == 41  # the child's code: one SIGINT

    @pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process states from /proc")
    def test_ctrl_z_and_fg_in_a_shell_stop_and_continue_exec_and_the_child(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        bash = shutil.which("bash")
        if bash is None:
            pytest.skip("bash is not installed")
        write_session(aws_env, fake, expires_in=3600)
        record, child_script = tmp_path / "signals", tmp_path / "child.py"
        child_script.write_text(CHILD_COUNTS_SIGINT_SCRIPT)
        command = [sys.executable, "-m", "signin_token", "exec", "--", sys.executable, str(child_script)]
        env = dict(aws_env, PS1="$ ", TERM="dumb")
        with on_a_terminal([bash, "--norc", "--noprofile", "-i"], env) as (shell, master, seen):
            os.write(master, f"{shlex.join([*command, str(record)])}\n".encode())
            until_written(record, "ready\n", shell)
            exec_pid = child_pids(shell.pid)[0]
            pids = {exec_pid, *child_pids(exec_pid)}
            assert len(pids) == 2
            os.write(master, b"\x1a")  # Ctrl-Z: the whole job stops
            until_state(pids, "T")
            os.write(master, b"fg\n")
            until_state(pids, "S")
            os.write(master, b"\x03")
            until_written(record, "ready\nINT\n", shell)
            os.kill(exec_pid, signal.SIGTERM)
            os.write(master, b'echo "exit code $?"\n')
            until_seen(seen, b"exit code 41", shell)
        assert record.read_text() == "ready\nINT\n"

    def test_no_command_runs_shell(self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path) -> None:
        write_session(aws_env, fake, expires_in=3600)
        record = tmp_path / "shell-ran"
        shell = tmp_path / "my-shell"
        shell.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$0" "$#" "$AWS_CONTAINER_CREDENTIALS_FULL_URI" > {shlex.quote(str(record))}\n'
            "exit 5\n"
        )
        shell.chmod(0o755)
        for args in (["exec"], ["exec", "--"]):
            record.unlink(missing_ok=True)
            result = run_cli(args, dict(aws_env, SHELL=str(shell)))
            assert result.returncode == 5, result.stderr
            lines = record.read_text().splitlines()
            assert lines[:2] == [str(shell), "0"]
            assert re.fullmatch(SERVED_URI_RE, lines[2])

    def test_no_command_and_no_shell_runs_bin_sh(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        if not os.path.exists("/bin/sh"):
            pytest.skip("no /bin/sh")
        write_session(aws_env, fake, expires_in=3600)
        env = {k: v for k, v in aws_env.items() if k != "SHELL"}
        result = run_cli(
            ["exec"], env, stdin_text='echo "sh ran: ${AWS_CONTAINER_AUTHORIZATION_TOKEN:+token}"\n'
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "sh ran: token\n"

    def test_static_keeps_the_variables_and_says_they_expire(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        write_session(aws_env, fake, expires_in=3600)
        script = "import os; print(sorted(k for k in os.environ if k.startswith('AWS_CONTAINER')))"
        result = run_cli(["exec", "--static", "--", sys.executable, "-c", script], aws_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "[]"
        code, out, _ = run_main(["exec", "--help"])
        assert code == 0 and "15 minutes" in " ".join(out.split()) and "--static" in out

    def test_static_puts_the_credentials_and_region_in_the_environment(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, fake, expires_in=3600, region="eu-west-3")
        sh = shutil.which("sh")
        assert sh is not None
        script = 'printf "%s\\n" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" '
        script += '"$AWS_CREDENTIAL_EXPIRATION" "$AWS_REGION"'
        result = run_cli(["exec", "--static", "--", sh, "-c", script], aws_env)
        assert result.returncode == 0, result.stderr
        access = json.loads(path.read_text())["accessToken"]
        lines = result.stdout.splitlines()
        assert lines[:3] == [access["accessKeyId"], access["secretAccessKey"], access["sessionToken"]]
        assert iso_instant(lines[3]) == iso_instant(access["expiresAt"])
        assert lines[4] == "eu-west-3"
        assert fake.token_calls() == []

    def test_missing_session_starts_nothing(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        marker = tmp_path / "ran"
        shell = tmp_path / "my-shell"
        shell.write_text(f"#!/bin/sh\ntouch {shlex.quote(str(marker))}\n")
        shell.chmod(0o755)
        touch = ["sh", "-c", f"touch {shlex.quote(str(marker))}"]
        for args in (
            ["exec"],
            ["exec", "--", str(shell)],
            ["exec", "--static", "--", str(shell)],
            ["exec", "--", *touch],
        ):
            result = run_cli(args, dict(login_env(aws_env, fake), SHELL=str(shell)))
            assert result.returncode == 3, result.stderr
            assert re.search(LOGIN_COMMAND_RE.format(profile="default"), result.stderr)
        assert not marker.exists()

    @pytest.mark.parametrize("tail", [["ls", "-d", "/tmp"], ["ls"]])
    def test_the_command_without_dashes_gets_the_corrected_line(
        self, fake: FakeSignin, aws_env: dict[str, str], tail: list[str]
    ) -> None:
        write_session(aws_env, fake, profile="dev")
        result = run_cli(["exec", "--profile", "dev", *tail], aws_env)
        assert result.returncode == 2
        assert "put -- before the command to run" in result.stderr
        assert "usage: " in result.stderr and "exec [options] [-- CMD [ARGS...]]" in result.stderr
        fixed = result.stderr.rsplit("put -- before the command to run: ", 1)[1].strip()
        assert fixed.endswith("exec --profile dev -- " + " ".join(tail)), fixed
        args = shlex.split(fixed)[shlex.split(fixed).index("exec") :]
        ran = run_cli(args, aws_env)  # the corrected line works
        assert ran.returncode == 0, ran.stderr

    def test_command_not_found(self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path) -> None:
        write_session(aws_env, fake, expires_in=3600)
        result = run_cli(["exec", "--", str(tmp_path / "no-such-command")], aws_env)
        assert result.returncode == 127
        assert "not found" in result.stderr

    @pytest.mark.parametrize("sdk", ["botocore", "js-sdk"])
    @pytest.mark.parametrize("setup", sorted(CONFLICTING_CREDENTIALS))
    def test_the_child_gets_the_served_credentials_whatever_else_is_configured(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, sdk: str, setup: str
    ) -> None:
        write_session(aws_env, fake, profile="dev", expires_in=3600)
        env = dict(aws_env)
        CONFLICTING_CREDENTIALS[setup](env, tmp_path)
        if sdk == "botocore":
            if importlib.util.find_spec("botocore") is None:
                pytest.skip("botocore is not importable")
            child = [sys.executable, "-c", CHILD_BOTOCORE_IDENTITY]
        else:
            env.update(NODE_PATH=str(js_sdk_node_modules()), NODE_NO_WARNINGS="1")
            child = ["node", "-e", CHILD_JS_SDK_IDENTITY]
        result = run_cli(["exec", "--profile", "dev", "--", *child], env, timeout=120)
        assert result.returncode == 0, result.stderr
        method, key = json.loads(result.stdout)
        assert key == "ASIAOLD"  # the served key of profile dev, from its cache entry
        assert method in ("container-role", "node")
        assert fake.token_calls() == []

    @pytest.mark.parametrize("sdk", ["botocore", "js-sdk"])
    def test_static_credentials_win_over_everything_else_configured(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, sdk: str
    ) -> None:
        write_session(aws_env, fake, profile="dev", expires_in=3600)
        env = dict(aws_env)
        for setup in CONFLICTING_CREDENTIALS.values():
            setup(env, tmp_path)
        if sdk == "botocore":
            if importlib.util.find_spec("botocore") is None:
                pytest.skip("botocore is not importable")
            child = [sys.executable, "-c", CHILD_BOTOCORE_IDENTITY]
        else:
            env.update(NODE_PATH=str(js_sdk_node_modules()), NODE_NO_WARNINGS="1")
            child = ["node", "-e", CHILD_JS_SDK_IDENTITY]
        result = run_cli(["exec", "--static", "--profile", "dev", "--", *child], env, timeout=120)
        assert result.returncode == 0, result.stderr
        method, key = json.loads(result.stdout)
        assert (method, key) in (("env", "ASIAOLD"), ("node", "ASIAOLD"))

    def test_the_child_config_holds_only_how_to_call_aws(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        write_session(aws_env, fake, profile="dev", expires_in=3600, region="eu-west-3")
        with Path(aws_env["AWS_CONFIG_FILE"]).open("a") as f:
            f.write("output = table\ncredential_process = /bin/false\nrole_arn = arn:aws:iam::1:role/x\n")
            f.write("s3 =\n  addressing_style = path\nmax_attempts = 7\n")
        script = (
            "import json, os, stat\n"
            "e = os.environ\n"
            "files = [e['AWS_CONFIG_FILE'], e['AWS_SHARED_CREDENTIALS_FILE']]\n"
            "modes = [stat.S_IMODE(os.stat(p).st_mode) for p in files]\n"
            "print(json.dumps({'files': files, 'modes': modes, 'dir': stat.S_IMODE("
            "os.stat(os.path.dirname(files[0])).st_mode), 'config': open(files[0]).read(),"
            " 'credentials': open(files[1]).read(), 'profile': e['SIGNIN_TOKEN_PROFILE']}))\n"
        )
        result = run_cli(["exec", "--profile", "dev", "--", sys.executable, "-c", script], aws_env)
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["config"] == "[default]\nregion = eu-west-3\noutput = table\nmax_attempts = 7\n"
        assert doc["credentials"] == ""
        assert doc["modes"] == [0o600, 0o600] and doc["dir"] == 0o700
        assert doc["profile"] == "dev"
        assert not any(os.path.exists(p) for p in doc["files"])  # gone with the child
        assert not os.path.exists(os.path.dirname(doc["files"][0]))
        # signin-token in the child reads the user's files: the prompt recipe works there.
        prompt = 'signin-token status --profile "${SIGNIN_TOKEN_PROFILE:-${AWS_PROFILE:-default}}" --json'
        env = dict(console_script_env(aws_env, tmp_path), AWS_PROFILE="dev")
        inside = run_cli(["exec", "--", "sh", "-c", prompt], env)
        assert inside.returncode == 0, inside.stderr
        assert json.loads(inside.stdout)["profile"] == "dev"
        assert json.loads(inside.stdout)["login_session"] == SESSION_ARN

    def test_the_readme_prompt_recipe_works_in_an_exec_shell(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        bash = shutil.which("bash")
        if bash is None or shutil.which("python3") is None:
            pytest.skip("bash or python3 is not installed")
        readme = (HERE / "README.md").read_text()
        recipe = readme.split("**A shell prompt**", 1)[1].split("\n\n", 2)[1]
        assert "aws_state()" in recipe and "PS1=" in recipe
        write_session(aws_env, fake, profile="dev", expires_in=3600)
        env = dict(console_script_env(aws_env, tmp_path), AWS_PROFILE="dev")
        script = textwrap.dedent(recipe) + '\nprintf "%s\\n" "$(aws_state)"\n'
        inside = run_cli(["exec", "--", bash, "--norc", "--noprofile", "-c", script], env)
        outside = subprocess.run([bash, "--norc", "--noprofile", "-c", script], env=env, capture_output=True)
        assert inside.returncode == 0, inside.stderr
        assert inside.stdout == outside.stdout.decode() == "dev:valid\n"

    def test_a_shell_says_what_it_is_and_how_to_leave(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        write_session(aws_env, fake, profile="dev", expires_in=3600)
        env = dict(aws_env, SHELL=shutil.which("sh") or "/bin/sh")
        result = run_cli(["exec", "--profile", "dev"], env, stdin_text='echo "in: $SIGNIN_TOKEN_PROFILE"\n')
        assert result.returncode == 0, result.stderr
        assert result.stdout == "in: dev\n"
        assert result.stderr.count("\n") == 1, result.stderr
        assert "profile 'dev'" in result.stderr and "exit" in result.stderr and "Ctrl-D" in result.stderr
        command = run_cli(["exec", "--profile", "dev", "--", "true"], env)
        assert command.returncode == 0 and command.stderr == ""

    def test_exec_inside_exec_is_refused(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        write_session(aws_env, fake, profile="dev", expires_in=3600)
        marker = tmp_path / "ran"
        inner = shlex.join([sys.executable, "-m", "signin_token", "exec", "--profile", "dev", "--", "touch"])
        inner += " " + shlex.quote(str(marker))
        result = run_cli(["exec", "--profile", "dev", "--", "sh", "-c", inner + "; echo $?"], aws_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "2\n"
        assert result.stderr.count("error: ") == 1 and "SIGNIN_TOKEN_PROFILE" in result.stderr
        assert "unset SIGNIN_TOKEN_PROFILE" in result.stderr
        assert not marker.exists()
        assert fake.token_calls() == []
        # As the message says: unset, it runs.
        unset = run_cli(
            ["exec", "--profile", "dev", "--", "sh", "-c", f"unset SIGNIN_TOKEN_PROFILE; {inner}"], aws_env
        )
        assert unset.returncode == 0, unset.stderr
        assert marker.exists()


class TestShellCompletion:
    """``completion bash|zsh|fish``: scripts generated from the command table, completing the
    commands and aliases (also after shared options before the command), each command's
    options, option choices and the config's profile names (read at completion time by the
    hidden, local-only ``completion --profiles``, which lists only names every shell takes
    unquoted: accepting a completion never runs anything)."""

    @pytest.mark.parametrize(
        ("words", "expected"),
        [
            (["cre"], ["credentials"]),
            (["exp"], ["export-credentials"]),
            (["credentials", "--fo"], ["--format"]),
            (["export-credentials", "--fo"], ["--format"]),
            (["credentials", "--format", ""], option_choices("credentials", "--format")),
            (["credentials", "--format", "j"], ["json"]),
            (["credentials", "--format", "=", "p"], ["process", "powershell"]),  # --format=p, split at =
            (["credentials", "--format=e"], ["--format=env", "--format=env-no-export"]),  # not split
            (["serve", "--format", ""], option_choices("serve", "--format")),
            (["token", "--grant-type", ""], option_choices("token", "--grant-type")),
            (["completion", ""], ["bash", "zsh", "fish"]),
            (["refresh", "--f"], ["--force"]),
            (["credentials", "--region", ""], []),  # a free value: nothing to offer
            (["--v"], ["--version"]),
            ([""], command_words()),
        ],
    )
    def test_bash_completes(
        self, aws_env: dict[str, str], tmp_path: Path, words: list[str], expected: list[str]
    ) -> None:
        assert bash_offers(console_script_env(aws_env, tmp_path), ["signin-token", *words]) == expected

    def test_bash_completes_each_commands_own_options(self, aws_env: dict[str, str], tmp_path: Path) -> None:
        env = console_script_env(aws_env, tmp_path)
        for name, _, _, options in st._COMMANDS:
            offered = bash_offers(env, ["signin-token", name, "--"])
            own = [f for flags, kwargs in options if flags[0].startswith("--") for f in flags]
            assert [f for f in offered if f != "--help"] == [f for f in own if f != "--profiles"], name
            assert "--help" in offered
        assert "--profiles" not in bash_offers(env, ["signin-token", "completion", "--pro"])

    def test_bash_completes_profile_names_from_the_config(
        self, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = console_script_env(aws_env, tmp_path)
        completion_config(env, COMPLETED_PROFILES)
        assert bash_offers(env, ["signin-token", "credentials", "--profile", ""]) == [
            "default",
            "dev",
            "prod",
        ]
        assert bash_offers(env, ["signin-token", "login", "--profile", "d"]) == ["default", "dev"]
        assert bash_offers(env, ["signin-token", "status", "--profile", "=", "p"]) == ["prod"]
        # Read at completion time: a profile added later is offered by the same script.
        completion_config(env, COMPLETED_PROFILES + "[profile dz]\n")
        assert bash_offers(env, ["signin-token", "exec", "--profile", "d"]) == ["default", "dev", "dz"]

    def test_bash_completes_files_and_command_lines(self, aws_env: dict[str, str], tmp_path: Path) -> None:
        env = console_script_env(aws_env, tmp_path)
        (tmp_path / "dpop-key.pem").write_text("x")
        prefix = str(tmp_path / "dpop")
        assert bash_offers(env, ["signin-token", "token", "--dpop-key", prefix]) == [prefix + "-key.pem"]
        assert bash_offers(env, ["signin-token", "serve", "--token-file", prefix]) == [prefix + "-key.pem"]
        # exec: after --, a command of its own (its name from PATH), then its arguments.
        assert "signin-token" in bash_offers(env, ["signin-token", "exec", "--", "signin-tok"])
        assert bash_offers(env, ["signin-token", "exec", "--", "cat", prefix]) == [prefix + "-key.pem"]

    def test_the_profiles_helper(self, aws_env: dict[str, str], tmp_path: Path) -> None:
        env = console_script_env(aws_env, tmp_path)
        config = Path(env["AWS_CONFIG_FILE"])
        outcomes = {}
        for case in ("missing", "profiles", "directory", "not-utf8", "unreadable"):
            if config.is_dir():
                config.rmdir()
            elif config.exists():
                config.chmod(0o600)
                config.unlink()
            if case == "profiles":
                completion_config(env, COMPLETED_PROFILES)
            elif case == "directory":
                config.mkdir(parents=True)
            elif case == "not-utf8":
                completion_config(env, "")
                config.write_bytes(b"[profile \xff]\n")
            elif case == "unreadable":
                completion_config(env, COMPLETED_PROFILES)
                config.chmod(0)
            result = run_cli(["completion", "--profiles"], env)
            outcomes[case] = (result.returncode, result.stdout, result.stderr)
        expected_unreadable = "default\ndev\nprod\n" if os.geteuid() == 0 else ""  # root reads anything
        assert outcomes == {
            "missing": (0, "", ""),
            "profiles": (0, "default\ndev\nprod\n", ""),
            "directory": (0, "", ""),
            "not-utf8": (0, "", ""),
            "unreadable": (0, expected_unreadable, ""),
        }

    def test_usage(self, aws_env: dict[str, str]) -> None:
        for argv in (["completion"], ["completion", "tcsh"]):
            code, out, err = run_main(argv)
            assert code == 2 and out == "", err
            assert err.count("error: ") == 1, err
        code, out, _ = run_main(["completion", "--help"])
        assert code == 0 and "bash" in out and "--profiles" not in out

    def test_scripts_name_the_program_as_invoked(self, aws_env: dict[str, str], tmp_path: Path) -> None:
        # python -m signin_token completes (and runs) the signin-token console script.
        module = run_cli(["completion", "bash"], aws_env)
        assert module.returncode == 0, module.stderr
        assert module.stdout.rstrip().endswith("complete -F _signin_token signin-token")
        env = console_script_env(aws_env, tmp_path, "signin-token-dev")
        completion_config(env, COMPLETED_PROFILES)
        for shell in ("bash", "zsh", "fish"):
            script = subprocess.run(
                ["signin-token-dev", "completion", shell],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert script.returncode == 0, script.stderr
            assert "signin-token-dev completion --profiles" in script.stdout
            assert re.search(r"signin-token(?!-dev)", script.stdout) is None, shell
        words = ["signin-token-dev", "credentials", "--profile", "p"]
        assert bash_offers(env, words, "signin-token-dev completion bash") == ["prod"]

    def test_a_command_added_later_is_completed(
        self, aws_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        added = (
            "rotate-key",
            ("rk",),
            "replace the session's DPoP key",
            ((("--when",), {"choices": ("now", "later")}), (("--dry-run",), {"action": "store_true"})),
        )
        monkeypatch.setattr(st, "_COMMANDS", (*st._COMMANDS, added))
        scripts = {}
        for shell in ("bash", "fish"):
            code, scripts[shell], err = run_main(["completion", shell])
            assert code == 0, err
            (tmp_path / f"script.{shell}").write_text(scripts[shell])
        env = console_script_env(aws_env, tmp_path)
        load = f"cat {shlex.quote(str(tmp_path / 'script.bash'))}"
        assert bash_offers(env, ["signin-token", "rot"], load) == ["rotate-key"]
        assert bash_offers(env, ["signin-token", "rk", "--w"], load) == ["--when"]
        assert bash_offers(env, ["signin-token", "rotate-key", "--when", ""], load) == ["now", "later"]
        assert bash_offers(env, ["signin-token", "rotate-key", "--d"], load) == ["--dry-run"]  # its own only
        if shutil.which("fish"):
            got = fish_offers(env, tmp_path / "script.fish", "signin-token rotate-key --when ")
            assert got == ["later", "now"]

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            ("signin-token cre", ["credentials"]),
            ("signin-token exp", ["export-credentials"]),
            ("signin-token credentials --fo", ["--format"]),
            ("signin-token credentials --format ", sorted(option_choices("credentials", "--format"))),
            ("signin-token credentials --format=j", ["--format=json"]),
            ("signin-token serve --format ", sorted(option_choices("serve", "--format"))),
            ("signin-token token --grant-type ", option_choices("token", "--grant-type")),
            ("signin-token completion ", ["bash", "fish", "zsh"]),
            ("signin-token credentials --profile ", ["default", "dev", "prod"]),
            ("signin-token login --profile d", ["default", "dev"]),
            ("signin-token status --region ", []),
            ("signin-token exec -- signin-token cre", ["credentials"]),  # a command line of its own
        ],
    )
    def test_fish(self, aws_env: dict[str, str], tmp_path: Path, line: str, expected: list[str]) -> None:
        if shutil.which("fish") is None:
            pytest.skip("fish is not installed")
        env = console_script_env(aws_env, tmp_path)
        completion_config(env, COMPLETED_PROFILES)
        assert (
            fish_offers(env, completion_script(env, "fish", tmp_path / "signin-token.fish"), line) == expected
        )

    def test_zsh(self, aws_env: dict[str, str], tmp_path: Path) -> None:
        if shutil.which("zsh") is None:
            pytest.skip("zsh is not installed")
        env = console_script_env(aws_env, tmp_path)
        completion_config(env, COMPLETED_PROFILES)
        script = completion_script(env, "zsh", tmp_path / "_signin-token")
        record = tmp_path / "record.zsh"
        record.write_text(ZSH_RECORD_OFFERS)
        checked = subprocess.run(["zsh", "-n", str(script)], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr
        if subprocess.run(["zsh", "-fc", "zmodload zsh/zpty"], capture_output=True, check=False).returncode:
            pytest.skip("zsh has no zsh/zpty: the script was only syntax-checked")
        for line, expected in (
            ("signin-token cre", ["credentials"]),
            ("signin-token credentials --fo", ["--format"]),
            ("signin-token credentials --format ", sorted(option_choices("credentials", "--format"))),
            ("signin-token completion ", ["bash", "fish", "zsh"]),
            ("signin-token credentials --profile ", ["default", "dev", "prod"]),
        ):
            done = subprocess.run(
                ["zsh", "-f", "-c", ZSH_COMPLETE_SCRIPT, "zsh", str(script), line, str(record)],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert "DONE" in done.stdout, done.stdout + done.stderr
            assert sorted(set(re.findall(r"HIT:([^\s\x1b]+)", done.stdout))) == expected, done.stdout

    def test_only_names_every_shell_takes_unquoted_are_offered(
        self, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = console_script_env(aws_env, tmp_path)
        marker = tmp_path / "expanded"
        unsafe = [f"x$(touch{'${IFS}'}{marker})", f"x`touch {marker}`", "x*", "x;y", "x|y", "x&y", "x>y"]
        unsafe += ["x<y", "x!y", "x{a,b}", "x~", "x?", "x%y", "=x", "x$HOME", "x#y", "x^y", "x(y)"]
        safe = ["x.b@c+d=e,f:g/h-i", "xé_1"]
        completion_config(env, "".join(f"[profile {n}]\n" for n in [*unsafe, *safe]))
        listed = run_cli(["completion", "--profiles"], env)
        assert listed.returncode == 0 and listed.stdout == "".join(f"{n}\n" for n in safe), listed
        assert bash_offers(env, ["signin-token", "refresh", "--profile", "x"]) == safe
        if shutil.which("fish"):
            script = completion_script(env, "fish", tmp_path / "signin-token.fish")
            assert fish_offers(env, script, "signin-token refresh --profile x") == sorted(safe)
        if shutil.which("zsh") and zsh_has_zpty():
            script = completion_script(env, "zsh", tmp_path / "_signin-token")
            assert zsh_offers(env, script, "signin-token refresh --profile x", tmp_path) == sorted(safe)
        assert not marker.exists()

    @pytest.mark.skipif(sys.platform == "win32", reason="a POSIX terminal")
    def test_accepting_a_completion_on_a_terminal_runs_nothing(
        self, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        # As a user would: Tab on a prefix that only a hostile name completes, then Enter.
        bash = shutil.which("bash")
        if bash is None:
            pytest.skip("bash is not installed")
        env = dict(console_script_env(aws_env, tmp_path), PS1="$ ", TERM="dumb")
        completion_config(env, "[profile x$(touch${IFS}pwned)]\n[profile a;touch${IFS}pwned2]\n")
        typed = [
            "source <(signin-token completion bash); echo LO''ADED\n",
            "signin-token refresh --profile x\t\n",
            "signin-token status --profile a\t\n",
            "echo DO''NE\n",
        ]
        with on_a_terminal([bash, "--norc", "--noprofile", "-i"], env, cwd=tmp_path) as (proc, master, seen):
            for keys, wait in zip(typed, ["LOADED", "", "", "DONE"]):
                os.write(master, keys.encode())
                if wait:
                    until_seen(seen, wait.encode(), proc)
            os.write(master, b"exit\n")
            proc.wait(timeout=30)
        assert b"signin-token refresh --profile x" in bytes(seen)  # the line ran, as typed
        assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()

    @pytest.mark.parametrize(
        ("words", "expected"),
        [
            (["--profile", "dev", "cr"], ["credentials"]),
            (["--profile", "=", "dev", "cr"], ["credentials"]),  # --profile=dev, split at = by bash
            (["--region", "us-east-1", "--timeout", "5", "st"], ["status"]),
            (["--debug", "--profile", "dev", "credentials", "--fo"], ["--format"]),
            (["--profile", "dev", "credentials", "--format", "j"], ["json"]),
            (["--region", "eu-west-1", "--profile", "d"], ["default", "dev"]),
            (["--profile", "dev", "--re"], ["--region"]),
        ],
    )
    def test_bash_completes_after_options_before_the_command(
        self, aws_env: dict[str, str], tmp_path: Path, words: list[str], expected: list[str]
    ) -> None:
        env = console_script_env(aws_env, tmp_path)
        completion_config(env, COMPLETED_PROFILES)
        assert bash_offers(env, ["signin-token", *words]) == expected

    def test_zsh_and_fish_complete_after_options_before_the_command(
        self, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = console_script_env(aws_env, tmp_path)
        completion_config(env, COMPLETED_PROFILES)
        cases = [
            ("signin-token --profile dev cr", ["credentials"]),
            ("signin-token --region us-east-1 --profile dev credentials --fo", ["--format"]),
            ("signin-token --profile d", ["default", "dev"]),
        ]
        ran = []
        if shutil.which("fish"):
            script = completion_script(env, "fish", tmp_path / "signin-token.fish")
            for line, expected in [*cases, ("signin-token --profile=dev cr", ["credentials"])]:
                assert fish_offers(env, script, line) == expected, line
            ran.append("fish")
        if shutil.which("zsh") and zsh_has_zpty():
            script = completion_script(env, "zsh", tmp_path / "_signin-token")
            for line, expected in cases:
                assert zsh_offers(env, script, line, tmp_path) == expected, line
            ran.append("zsh")
        if not ran:
            pytest.skip("neither fish nor zsh with zsh/zpty is installed")


class TestBadInputIsExit2:
    """Bad flags and bytes that are not UTF-8: exit 2, the flag named, no file
    touched, no network (PROTOCOL.md §11; ``_seconds``, the argv check in ``main``)."""

    @staticmethod
    def check_refused(result: Ran, flag: str) -> None:
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert flag in result.stderr, result.stderr
        assert "http" not in result.stderr
        assert "Traceback" not in result.stderr

    @pytest.mark.parametrize(
        "value", ["nan", "NaN", "inf", "-inf", "-5", "0", "0.0", "abc", "", "86401", "1e400"]
    )
    @pytest.mark.parametrize("flag", ["--callback-timeout", "--timeout"])
    def test_seconds_that_are_not_a_positive_finite_number(
        self, fake: FakeSignin, aws_env: dict[str, str], flag: str, value: str
    ) -> None:
        env = login_env(aws_env, fake)
        config, before = config_file_with(env)
        commands = [["login", "--no-browser", f"{flag}={value}"]]
        if flag == "--timeout":
            path = write_session(env, fake, profile="dev", expires_in=60)
            before = config.read_bytes()
            commands += [
                ["credentials", "--profile", "dev", f"--timeout={value}"],
                ["refresh", f"--timeout={value}"],
            ]
        home = tree_state(Path(env["HOME"]))
        for args in commands:
            self.check_refused(run_here(args, env), flag)
        assert tree_state(Path(env["HOME"])) == home
        assert config.read_bytes() == before
        assert_no_network(fake)
        if flag == "--timeout":
            assert json.loads(path.read_text())["accessToken"]["accessKeyId"] == "ASIAOLD"

    def test_an_empty_profile_for_logout(
        self, fake: FakeSignin, aws_env: dict[str, str], signed_in: Path
    ) -> None:
        path = signed_in
        before = tree_state(Path(aws_env["HOME"]))
        for args in (
            ["logout", "--profile", ""],
            ["logout", "--profile="],
            ["logout", "--all", "--profile", ""],
        ):
            self.check_refused(run_here(args, aws_env), "profile")
        assert tree_state(Path(aws_env["HOME"])) == before
        assert path.exists()

    @pytest.mark.parametrize(
        "args",
        [
            ["login", "--no-browser", "--profile", b"dev\xff"],
            ["login", "--no-browser", "--region", b"us-east-1\xff"],
            ["credentials", b"--region=\xc3\x28"],
            ["login", "--no-browser", "--endpoint-url", b"http://127.0.0.1:1/\xff"],
            ["authorize-url", "--code-challenge", "c" * 43, "--state", b"s\xfe"],
            ["authorize-url", "--code-challenge", b"\xff" * 43, "--state", "s"],
            ["status", b"--profile=\xed\xa0\x80"],
            ["logout", "--profile", b"\x80"],
        ],
        ids=[
            "login-profile",
            "login-region",
            "credentials-region",
            "endpoint",
            "state",
            "challenge",
            "status",
            "logout",
        ],
    )
    def test_arguments_that_are_not_utf8(
        self, fake: FakeSignin, aws_env: dict[str, str], args: list[Any]
    ) -> None:
        env = login_env(aws_env, fake)
        path = write_session(env, fake, expires_in=60)
        before = tree_state(Path(env["HOME"]))
        bad = next(a for a in args if isinstance(a, bytes))
        flag = bad.split(b"=")[0].decode() if bad.startswith(b"-") else args[args.index(bad) - 1]
        result = run_here(args, env)
        self.check_refused(result, f"{flag}: is not valid UTF-8")
        assert tree_state(Path(env["HOME"])) == before
        assert path.exists()
        assert_no_network(fake)

    @pytest.mark.parametrize(
        "data", [b'{"clientId": "\xff"}', b"\xfe\xff\x00{\x00}", b'{"grantType": "refresh_token"\xc0}']
    )
    def test_token_input_json_that_is_not_utf8(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, data: bytes
    ) -> None:
        body = tmp_path / "body.json"
        body.write_bytes(data)
        key = tmp_path / "key.pem"
        key.write_text(st.DPoPKey.generate().to_pem())
        result = run_here(
            ["token", "--dpop-key", str(key), "--input-json", str(body), "--endpoint-url", fake.url],
            dict(aws_env),
        )
        self.check_refused(result, "--input-json")
        assert fake.token_calls() == []


class TestCommandLineHelp:
    """Every command's help: each option it uses and only those, each with a help text and its
    default, two or three examples, the program named as it was invoked."""

    @pytest.mark.parametrize("command", [c[0] for c in st._COMMANDS])
    def test_every_option_has_help_and_a_default_or_says_it_is_required(self, command: str) -> None:
        (options,) = [opts for name, _, _, opts in st._COMMANDS if name == command]
        for flags, kwargs in options:
            text = kwargs.get("help", "")
            if text == st._HIDDEN or not flags[0].startswith("--"):
                continue
            assert text, (command, flags)
            assert "default" in text or "required" in text or "grant)" in text, (command, flags, text)

    @pytest.mark.parametrize("command", [c[0] for c in st._COMMANDS])
    def test_help_ends_with_examples_naming_the_program(self, command: str, aws_env: dict[str, str]) -> None:
        result = run_cli([command, "--help"], aws_env)
        assert result.returncode == 0, result.stderr
        program = f"{os.path.basename(sys.executable)} -m signin_token"
        assert result.stdout.startswith(f"usage: {program} {command}"), result.stdout
        examples = result.stdout.split("\nexamples:\n", 1)[1].splitlines()
        assert 2 <= len(examples) <= 3, result.stdout
        assert all(program in line for line in examples), examples

    @pytest.mark.parametrize(
        ("command", "absent"),
        [
            ("pkce", {"--endpoint-url", "--timeout", "--region", "--profile"}),
            ("dpop-key", {"--endpoint-url", "--timeout", "--region", "--profile"}),
            ("status", {"--endpoint-url", "--timeout", "--region"}),
            ("completion", {"--profile", "--region", "--endpoint-url", "--timeout", "--debug"}),
        ],
    )
    def test_offline_commands_list_no_network_options(
        self, command: str, absent: set[str], aws_env: dict[str, str]
    ) -> None:
        shown = set(re.findall(r"--[a-z-]+", run_here([command, "--help"], aws_env).stdout))
        assert not shown & absent, shown & absent

    def test_console_script_usage_names_signin_token(self, aws_env: dict[str, str], tmp_path: Path) -> None:
        script = tmp_path / "bin" / "signin-token"
        script.parent.mkdir()
        script.write_text(
            f"#!{sys.executable}\nimport sys\nfrom signin_token import main\nsys.exit(main())\n"
        )
        script.chmod(0o755)
        env = dict(aws_env, PATH=f"{script.parent}{os.pathsep}{aws_env.get('PATH', '')}")
        result = subprocess.run(
            ["signin-token", "status", "--help"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.stdout.startswith("usage: signin-token status"), result.stdout
        missing = subprocess.run(
            ["signin-token", "status"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert missing.returncode == 3
        assert "run: signin-token login --profile default" in missing.stderr  # on PATH: by its name
        elsewhere = subprocess.run(
            [str(script), "status"], env=aws_env, capture_output=True, text=True, timeout=60, check=False
        )
        assert f"run: {script} login --profile default" in elsewhere.stderr  # not on PATH: absolute

    def test_version_is_documented_and_printed(self, aws_env: dict[str, str]) -> None:
        assert "--version" in run_here(["--help"], aws_env).stdout
        result = run_here(["--version"], aws_env)
        assert (result.returncode, result.stdout.strip()) == (0, f"signin-token {st.__version__}")

    def test_an_unknown_flag_shows_that_commands_usage(self, aws_env: dict[str, str]) -> None:
        result = run_cli(["credentials", "--bogus"], aws_env)
        assert result.returncode == 2
        assert re.match(r"usage: \S+ -m signin_token credentials ", result.stderr), result.stderr
        assert "unrecognized arguments: --bogus" in result.stderr
        assert "COMMAND" not in result.stderr


class TestCredentialProcessLine:
    """The ``credential_process`` line is read without argparse, into exactly the namespace
    argparse gives; anything else goes to argparse."""

    @staticmethod
    def by_argparse(argv: list[str]) -> dict[str, Any]:
        parser, own = st._build_parser(argv)
        args, extras = parser.parse_known_args(argv)
        assert extras == []
        st._finish_args(args, own, argv)
        return vars(args)

    @pytest.mark.parametrize(
        "argv",
        [
            ["credentials"],
            ["export-credentials"],
            ["credentials", "--profile", "dev"],
            ["credentials", "--profile=dev", "--format", "env"],
            ["credentials", "--format=json", "--profile", "a=b"],
            ["export-credentials", "--format", "fish"],
        ],
    )
    def test_same_namespace_as_argparse(self, argv: list[str]) -> None:
        fast = st._credential_process_args(argv)
        assert fast is not None
        assert vars(fast) == self.by_argparse(argv)

    @pytest.mark.parametrize(
        "argv",
        [
            ["credentials", "--prof", "dev"],  # an abbreviation: argparse's to expand
            ["credentials", "--format", "yaml"],  # argparse's to refuse
            ["credentials", "--profile", ""],
            ["credentials", "--profile", "a", "--profile", "b"],
            ["credentials", "--profile"],
            ["credentials", "--login"],
            ["credentials", "--profile", "-x"],
            ["--profile", "dev", "credentials"],
            ["status"],
            [],
        ],
    )
    def test_anything_else_goes_to_argparse(self, argv: list[str]) -> None:
        assert st._credential_process_args(argv) is None


class TestSharedOptionsBeforeTheCommand:
    """AWS CLI habits put the shared options first: ``--profile dev status`` works."""

    def test_profile_before_the_command(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        write_session(aws_env, fake, profile="dev")
        status = run_here(["--profile", "dev", "status"], aws_env)
        assert status.returncode == 0, status.stderr
        assert "profile: dev" in status.stdout
        creds = run_here(["--profile", "dev", "--timeout", "5", "credentials"], aws_env)
        assert creds.returncode == 0, creds.stderr
        assert json.loads(creds.stdout)["AccessKeyId"] == "ASIAOLD"

    def test_after_the_command_wins(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        path = write_session(aws_env, fake, profile="dev")
        entry = json.loads(path.read_text())  # the profile named first: a session of its own
        entry["accessToken"]["accessKeyId"] = "ASIAFIRST"
        store_entry(aws_env, entry, OTHER_SESSION_ARN)
        with open(aws_env["AWS_CONFIG_FILE"], "a") as f:
            f.write(f"[profile first]\nregion = us-east-1\nlogin_session = {OTHER_SESSION_ARN}\n")
        result = run_here(["--profile", "first", "credentials", "--profile", "dev"], aws_env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["AccessKeyId"] == "ASIAOLD"
        result = run_here(["--profile", "dev", "credentials", "--profile", "first"], aws_env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["AccessKeyId"] == "ASIAFIRST"

    def test_an_option_the_command_does_not_take_is_refused(self, aws_env: dict[str, str]) -> None:
        result = run_cli(["--region", "us-east-1", "status"], aws_env)
        assert result.returncode == 2
        assert "--region is not an option of status" in result.stderr
        assert re.match(r"usage: \S+ -m signin_token status ", result.stderr), result.stderr


class TestRefreshSaysWhatItDid:
    """``refresh``: refreshes when due (always with ``--force``) and says which it did:
    refreshed (the new expiry) or nothing to do (still valid for N minutes)."""

    @pytest.mark.parametrize(
        ("expires_in", "args", "calls"),
        [(3600, [], 0), (100, [], 1), (3600, ["--force"], 1), (-100, ["--force"], 1)],
    )
    def test_refresh(
        self, fake: FakeSignin, aws_env: dict[str, str], expires_in: float, args: list[str], calls: int
    ) -> None:
        path = write_session(aws_env, fake, expires_in=expires_in)
        result = run_here(["refresh", *args], aws_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert len(fake.token_calls("refresh_token")) == calls
        assert len(fake.token_calls()) == calls
        entry = json.loads(path.read_text())
        assert (entry["accessToken"]["accessKeyId"] == "ASIAOLD") == (calls == 0)
        assert SESSION_ARN in result.stderr
        assert ACCOUNT in result.stderr
        expiry = entry["accessToken"]["expiresAt"]
        assert expiry in result.stderr
        if calls:
            assert re.search(
                rf"refreshed: profile 'default' \(.*\) has new credentials, expiring {expiry}", result.stderr
            ), result.stderr
        else:
            assert re.search(r"nothing to do: .* still valid for (59|60) min", result.stderr), result.stderr


class TestAdviceWorksAsPrinted:
    """Every "run this" in an exit-3 or exit-2 message works when run exactly as printed."""

    def env(self, aws_env: dict[str, str], fake: FakeSignin, tmp_path: Path) -> dict[str, str]:
        return dict(login_env(aws_env, fake), BROWSER=str(following_browser(tmp_path)))

    def follow(self, advice: str, env: dict[str, str], profile: str = "default") -> None:
        ran = run_as_printed(advice, env)
        assert ran.returncode == 0, (advice, ran.stderr)
        after = run_here(["credentials", "--profile", profile], env)
        assert after.returncode == 0, after.stderr

    @pytest.mark.parametrize("command", [["credentials"], ["status"], ["refresh"], ["exec", "--", "true"]])
    def test_no_session_exit_3(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, command: list[str]
    ) -> None:
        env = self.env(aws_env, fake, tmp_path)
        result = (run_cli if command[0] == "exec" else run_here)(command, env)
        assert result.returncode == 3, result.stderr
        self.follow(advised_command(result.stderr), env)

    @pytest.mark.parametrize("command", [["credentials"], ["status"]])
    def test_ended_session_exit_3(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, command: list[str]
    ) -> None:
        env = self.env(aws_env, fake, tmp_path)
        long_ago = int(time.time()) - 13 * 3600
        write_session(
            env, fake, expires_in=-60, extra={"idToken": fake_jwt({"sub": SESSION_ARN, "iat": long_ago})}
        )
        with fake.lock:
            fake.refresh_tokens.clear()
        result = run_here(command, env)
        assert result.returncode == 3, result.stderr
        self.follow(advised_command(result.stderr), env)

    def test_no_region_without_a_terminal_exit_2(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = self.env(aws_env, fake, tmp_path)
        del env["AWS_REGION"]
        result = run_here(["login", "--profile", "dev"], env)
        assert result.returncode == 2, result.stderr
        self.follow(advised_command(result.stderr), env, "dev")

    def test_replacing_a_session_without_a_terminal_exit_2(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        """A re-login into the same session asks nothing; into another, the advice
        (--yes) works as printed."""
        env = self.env(aws_env, fake, tmp_path)
        write_session(env, fake)
        same = run_cli(["login"], env)
        assert same.returncode == 0, same.stderr
        write_config(env, f"[default]\nregion = us-east-1\nlogin_session = {OTHER_SESSION_ARN}\n")
        result = run_cli(["login"], env)
        assert result.returncode == 2, result.stderr
        self.follow(advised_command(result.stderr), env)


class TestTyposAndAbbreviations:
    """A mistyped command or option gets "did you mean"; an abbreviated option is refused,
    never expanded (argparse's allow_abbrev off everywhere, as in the credential_process fast
    path); exit 2 before any file or the network is touched."""

    @pytest.mark.parametrize(
        ("argv", "guess"),
        [
            (["crednetials"], "'credentials'"),
            (["stauts", "--profile", "dev"], "'status'"),
            (["--profile", "dev", "sesions"], "'sessions'"),
            (["--timeout", "5", "refrsh", "--force"], "'refresh'"),
            (["export-credential"], "'export-credentials'"),
            (["xyzzy"], None),
        ],
    )
    def test_a_mistyped_command_gets_the_closest_one(
        self, fake: FakeSignin, aws_env: dict[str, str], argv: list[str], guess: str | None
    ) -> None:
        login_env(aws_env, fake)
        code, out, err = run_main(argv)
        assert code == 2
        assert out == ""
        (line,) = [x for x in err.splitlines() if "error:" in x]
        word = next(a for a in argv if not a.startswith("-") and a not in ("dev", "5"))
        assert f"error: unknown command '{word}'" in line
        if guess is None:
            assert "did you mean" not in line
        else:
            assert f"did you mean {guess}?" in line
        assert "(commands: login, credentials, export-credentials, refresh, status," in line
        assert err.startswith("usage: ")
        assert not Path(aws_env["HOME"], ".aws").exists()
        assert_no_network(fake)

    @pytest.mark.parametrize(
        ("argv", "guess"),
        [
            (["status", "--prof", "dev"], "--profile"),
            (["--prof", "dev", "status"], "--profile"),
            (["--prof=dev", "status"], "--profile"),
            (["credentials", "--prof", "dev"], "--profile"),
            (["credentials", "--profile", "dev", "--form", "env"], "--format"),
            (["export-credentials", "--prof=dev"], "--profile"),
            (["login", "--no-brow"], "--no-browser"),
            (["sessions", "--js"], "--json"),
            (["refresh", "--forc"], "--force"),
            (["exec", "--prof", "dev", "--", "true"], "--profile"),
            (["--he", "status"], "--help"),
            (["--profle", "dev", "status"], "--profile"),
        ],
    )
    def test_an_abbreviated_option_is_refused(
        self, fake: FakeSignin, aws_env: dict[str, str], argv: list[str], guess: str
    ) -> None:
        env = login_env(aws_env, fake)
        write_session(env, fake, profile="dev")
        config = Path(env["AWS_CONFIG_FILE"])
        before = config.read_bytes()
        cache = tree_state(Path(env["AWS_LOGIN_CACHE_DIRECTORY"]))
        assert st._credential_process_args(argv) is None  # the fast path leaves it to argparse
        code, out, err = run_main(argv)
        assert code == 2, err
        assert out == ""
        assert "unrecognized" in err and f"did you mean {guess}?" in err
        assert config.read_bytes() == before
        assert tree_state(Path(env["AWS_LOGIN_CACHE_DIRECTORY"])) == cache
        assert_no_network(fake)

    def test_an_unknown_short_option_before_the_command_is_named(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        login_env(aws_env, fake)
        code, out, err = run_main(["-p", "dev", "status"])
        assert code == 2
        assert out == ""
        assert err.splitlines()[-1].endswith("error: unrecognized option -p")
        assert_no_network(fake)

    def test_the_full_options_still_work(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        env = login_env(aws_env, fake)
        write_session(env, fake, profile="dev")
        for argv in (
            ["credentials", "--profile", "dev", "--format", "env"],
            ["credentials", "--profile=dev", "--format=env"],
            ["--profile", "dev", "credentials", "--format", "env"],
        ):
            code, out, err = run_main(argv)
            assert code == 0, (argv, err)
            assert "export AWS_ACCESS_KEY_ID=ASIAOLD" in out


def sessions_config(env: dict[str, str]) -> None:
    """Two profiles with long session ARNs (logged out: no cache entry) and a short one."""
    long_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/" + (
        "alice.example@example.com"
    )
    config_file_with(
        env,
        f"[profile production-admin]\nlogin_session = {long_arn}\n\n"
        f"[profile dev]\nlogin_session = {SESSION_ARN}\n\n"
        "[profile tool]\ncredential_process = signin-token credentials --profile dev\n",
    )


class TestSessionsFitTheTerminal:
    """``sessions`` fits ``$COLUMNS``, else the terminal it writes to: the widest column is cut
    with an ellipsis; a pipe, and ``--json``, get every character."""

    def test_columns_cuts_the_widest_column_with_an_ellipsis(
        self, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        sessions_config(aws_env)
        monkeypatch.delenv("COLUMNS", raising=False)
        code, full, _ = run_main(["sessions"])
        assert code == 0
        assert max(len(line) for line in full.splitlines()) > 150  # a pipe: nothing is cut
        for columns in (140, 115):
            monkeypatch.setenv("COLUMNS", str(columns))
            code, out, _ = run_main(["sessions"])
            assert code == 0
            lines = out.splitlines()
            assert max(len(line) for line in lines) <= columns
            assert max(len(line) for line in lines) >= columns - 2  # cut only as much as needed
            for line, whole in zip(lines, full.splitlines()):
                cells, wholes = line.split(), whole.split()
                assert cells[:3] == wholes[:3] and cells[4:] == wholes[4:]  # profile, uses, account...
                session = cells[3] if len(cells) == len(wholes) else cells[4]  # the header's SESSION
                if whole.startswith(("production-admin", "tool", "dev")):
                    assert session.endswith("\u2026") and wholes[3].startswith(session[:-1])

    def test_an_ascii_terminal_gets_three_dots(
        self, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        sessions_config(aws_env)
        monkeypatch.setenv("COLUMNS", "115")
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="ascii")
        assert st.main(["sessions"], stdout=out, stderr=io.StringIO()) == 0
        out.flush()
        lines = raw.getvalue().decode("ascii").splitlines()
        assert max(len(line) for line in lines) <= 115
        assert sum("... " in line for line in lines) == 3  # the three session cells

    def test_json_is_never_cut(self, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
        sessions_config(aws_env)
        monkeypatch.delenv("COLUMNS", raising=False)
        _, whole, _ = run_main(["sessions", "--json"])
        monkeypatch.setenv("COLUMNS", "40")
        code, narrow, _ = run_main(["sessions", "--json"])
        assert code == 0 and narrow == whole
        assert "alice.example@example.com" in narrow

    def test_a_terminal_without_columns_sets_the_width(self, aws_env: dict[str, str]) -> None:
        pty = pytest.importorskip("pty")
        fcntl = pytest.importorskip("fcntl")
        termios = pytest.importorskip("termios")
        import struct

        sessions_config(aws_env)
        env = {k: v for k, v in aws_env.items() if k not in ("COLUMNS", "LINES")}
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 130, 0, 0))
        proc = subprocess.Popen(
            [sys.executable, "-m", "signin_token", "sessions"],
            env=env,
            cwd=str(HERE),
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=subprocess.DEVNULL,
        )
        os.close(slave)
        seen = bytearray()
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen.extend(chunk)
        os.close(master)
        assert proc.wait(timeout=60) == 0
        lines = seen.decode().replace("\r\n", "\n").splitlines()
        assert len(lines) == 4 and lines[0].startswith("PROFILE")
        assert 120 <= max(len(line) for line in lines) <= 130
        assert any("\u2026" in line for line in lines)


class TestReadmeCommandsParse:
    """Every ``signin-token ...`` command line in the README is one the parser takes as
    written: no unknown or abbreviated option, no missing value, no unknown command."""

    def test_every_readme_command_line_parses(self) -> None:
        text = (HERE / "README.md").read_text()
        found = re.findall(r"(?<![\w/.-])(signin-token (?:[^`#|>)\n;]*))", text)
        lines = sorted({re.sub(r"\s+[0-9]$", "", line.strip().rstrip("&").strip()) for line in found})
        lines = sorted({re.sub(r"\s*\[[^\]]*\]", "", line) for line in lines})  # a synopsis' [--opt]
        assert len(lines) > 20, lines
        for line in lines:
            argv = shlex.split(line)[1:]
            if argv == ["--help"]:
                continue
            parser, own = st._build_parser(argv)
            assert own is not None, line
            with contextlib.redirect_stderr(io.StringIO()) as err:
                try:
                    args, extras = parser.parse_known_args(argv)
                    st._finish_args(args, own, argv)
                except SystemExit as exc:
                    pytest.fail(f"{line!r}: exit {exc.code}: {err.getvalue()}")
            assert extras == [], (line, extras)


def member_form(shapes: dict[str, Any], shape: str, value: Any) -> Any:
    """``value`` (by wire names, as the service sends it) renamed to the model's member names."""
    spec = shapes[shape]
    if spec["type"] == "structure":
        wire = {m.get("locationName", name): (name, m["shape"]) for name, m in spec["members"].items()}
        return {wire[k][0]: member_form(shapes, wire[k][1], v) for k, v in value.items() if k in wire}
    if spec["type"] == "list":
        return [member_form(shapes, spec["member"]["shape"], v) for v in value]
    if spec["type"] == "map":
        return {k: member_form(shapes, spec["value"]["shape"], v) for k, v in value.items()}
    return value


def assert_sigv4(
    record: dict[str, Any], keys: tuple[str, str, str | None], region: str = "us-east-1"
) -> None:
    """An independent check of a recorded request's AWS Signature Version 4 (the steps of
    the AWS documentation, written out here): signed by ``keys`` (access key id, secret,
    session token) for service signin in ``region``, over the body received."""
    import hmac

    access, secret, token = keys
    headers = record["headers"]
    found = re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/signin/aws4_request, "
        r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
        headers["authorization"],
    )
    assert found, headers["authorization"]
    key_id, day, scope_region, signed, signature = found.groups()
    assert (key_id, scope_region) == (access, region)
    stamp = headers["x-amz-date"]
    assert stamp[:8] == day and "host" in signed.split(";")
    pairs = sorted(urllib.parse.parse_qsl(record["query"], keep_blank_values=True))
    query = "&".join(f"{urllib.parse.quote(k, '-_.~')}={urllib.parse.quote(v, '-_.~')}" for k, v in pairs)
    canonical = "\n".join(
        [
            "POST",
            urllib.parse.quote(record["path"], "/-_.~"),
            query,
            "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in signed.split(";")),
            signed,
            hashlib.sha256(record["raw"]).hexdigest(),
        ]
    )
    scope = f"{day}/{region}/signin/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("AWS4" + secret).encode()
    for part in (day, region, "signin", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), signature)
    assert headers.get("x-amz-security-token") == token
    assert ("x-amz-security-token" in signed.split(";")) == (token is not None)


API_ENV_KEYS = (API_KEYS.access_key_id, API_KEYS.secret_access_key, API_KEYS.session_token)


@pytest.fixture
def api_env(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """aws_env with API_KEYS as the environment's credentials (the first source, as in botocore)."""
    for var, value in zip(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"), API_ENV_KEYS):
        monkeypatch.setenv(var, str(value))
        aws_env[var] = str(value)
    return aws_env


def run_api(api: FakeApi, args: list[str], stdin: str = "") -> tuple[int, str, str]:
    """``api ARGS`` in-process against ``api`` in us-east-1."""
    return run_main(["api", *args, "--region", "us-east-1", "--endpoint-url", api.url], stdin)


def assert_no_secret(texts: Iterable[str], secrets_: Iterable[str | None]) -> None:
    """None of ``secrets_`` appears in any of ``texts``."""
    joined = "\n".join(texts)
    for secret in secrets_:
        if secret:
            assert secret not in joined, "a secret reached an output stream"


def model_shapes() -> dict[str, Any]:
    shapes: dict[str, Any] = todays_model()["shapes"]
    return shapes


class TestApiCommand:
    """``api``: every operation of the model from the command line, as the AWS CLI v2 names and
    prints them: the request by the model's member names (--input-json), the response as one
    JSON object by member names, pages joined, SigV4 by the credentials botocore would pick."""

    def test_list_spells_every_operation_as_the_aws_cli(self) -> None:
        code, out, err = run_main(["api", "--list"])
        assert code == 0 and err == ""
        names = out.splitlines()
        assert len(names) == len(todays_model()["operations"]) == 16
        assert {"list-sessions", "batch-revoke-sessions", "create-oauth2-token"} <= set(names)
        assert "create-o-auth2-token-with-token-exchange" in names  # botocore's xform_name, as the CLI
        if botocore_is_the_pinned_peer():
            from botocore import xform_name  # what awscli's clidriver names operations with

            assert names == [xform_name(name, "-") for name in sorted(todays_model()["operations"])]

    @pytest.mark.parametrize("name", API_OPERATIONS)
    def test_every_operation_signed_and_printed_by_member_names(
        self, api: FakeApi, api_env: dict[str, str], tmp_path: Path, name: str
    ) -> None:
        op = st._OPERATIONS[name]
        request = tmp_path / "request.json"
        request.write_text(json.dumps(API_INPUTS[name]))
        code, out, err = run_api(api, [op.cli_name, "--input-json", str(request)])
        assert code == 0, err
        assert err == ""
        assert json.loads(out) == member_form(model_shapes(), op.output, API_OUTPUTS[name])
        (got,) = api.requests
        assert got["operation"] == name
        if op.idempotency and "clientToken" not in API_INPUTS[name]:
            assert re.fullmatch(UUID4_RE, got["body"].pop("clientToken"))
        assert got["body"] == wire_form(model_shapes(), op.input, API_INPUTS[name])
        if op.auth == "sigv4":
            assert_sigv4(got, API_ENV_KEYS)
        else:
            assert "authorization" not in got["headers"]
        sensitive = [v for a, m, _, _, _, s in st._MEMBERS[op.input] if s for v in [API_INPUTS[name].get(m)]]
        assert_no_secret([out, err], [*sensitive, API_KEYS.secret_access_key, API_KEYS.session_token])

    @pytest.mark.parametrize("name", API_OPERATIONS)
    def test_printed_as_botocore_parses_it(
        self, api: FakeApi, api_env: dict[str, str], tmp_path: Path, name: str
    ) -> None:
        """Peer test: the printed response equals what botocore 1.44.8's rest-json parser makes
        of the same HTTP response (the AWS CLI prints that)."""
        if importlib.util.find_spec("botocore") is None:
            pytest.skip("botocore is not importable (peer test)")
        import botocore.model
        import botocore.parsers

        op = st._OPERATIONS[name]
        raw = json.dumps(API_OUTPUTS[name]).encode()
        api.replies.append((200, raw, {}))
        code, out, err = run_api(api, [op.cli_name, "--input-json", "-"], json.dumps(API_INPUTS[name]))
        assert code == 0, err
        model = botocore.model.ServiceModel(todays_model(), "signin")
        output_shape = model.operation_model(name).output_shape
        parsed = botocore.parsers.create_parser("rest-json").parse(
            {"status_code": 200, "headers": {}, "body": raw}, output_shape
        )
        parsed.pop("ResponseMetadata", None)
        assert json.loads(out) == parsed

    def test_the_model_name_and_stdin(self, api: FakeApi, api_env: dict[str, str]) -> None:
        code, out, err = run_api(
            api, ["GetSession", "--input-json", "-"], json.dumps(API_INPUTS["GetSession"])
        )
        assert code == 0, err
        assert json.loads(out) == member_form(model_shapes(), "GetSessionOutput", API_OUTPUTS["GetSession"])
        assert api.requests[0]["body"] == API_INPUTS["GetSession"]

    def test_no_input_is_an_empty_request_and_an_empty_response_is_empty(
        self, api: FakeApi, api_env: dict[str, str]
    ) -> None:
        code, out, err = run_api(api, ["get-resource-policy"])  # no --input-json: {}
        assert code == 0, err
        assert json.loads(out) == member_form(
            model_shapes(), "GetResourcePolicyOutput", API_OUTPUTS["GetResourcePolicy"]
        )
        assert api.requests[0]["raw"] == b"{}"
        api.replies.append((200, b"", {}))
        data = json.dumps(API_INPUTS["RevokeOAuth2TokenWithIAM"])
        code, out, err = run_api(api, ["revoke-oauth2-token-with-iam", "--input-json", "-"], data)
        assert (code, out, err) == (0, "{}\n", "")

    def test_pages_joined_by_default_first_page_with_no_paginate(
        self, api: FakeApi, api_env: dict[str, str]
    ) -> None:
        second = dict(API_SESSION, sessionArn=SESSION + "2")
        pages = [(200, {"items": [API_SESSION], "nextToken": "page-2"}, {}), (200, {"items": [second]}, {})]
        api.replies.extend(pages)
        code, out, err = run_api(api, ["list-sessions", "--input-json", "-"], '{"maxResults": 1}')
        assert code == 0, err
        assert json.loads(out) == {"items": [API_SESSION, second]}
        assert [r["body"] for r in api.requests] == [
            {"maxResults": 1},
            {"maxResults": 1, "nextToken": "page-2"},
        ]
        for record in api.requests:
            assert_sigv4(record, API_ENV_KEYS)
        api.requests.clear()
        api.replies.extend(pages)
        code, out, err = run_api(api, ["list-sessions", "--no-paginate"])
        assert code == 0, err
        assert json.loads(out) == {"items": [API_SESSION], "nextToken": "page-2"}
        assert len(api.requests) == 1

    def test_joined_across_an_empty_page(self, api: FakeApi, api_env: dict[str, str]) -> None:
        statement = API_OUTPUTS["ListResourcePermissionStatements"]["permissionStatements"][0]
        pages = [{"permissionStatements": [], "nextToken": "p2"}, {"permissionStatements": [statement]}]
        api.replies.extend((200, page, {}) for page in pages)
        code, out, err = run_api(api, ["list-resource-permission-statements"])
        assert code == 0, err
        shown = member_form(model_shapes(), "PermissionStatementSummary", statement)
        assert json.loads(out) == {"permissionStatements": [shown]}
        assert [r["body"] for r in api.requests] == [{}, {"nextToken": "p2"}]

    @pytest.mark.parametrize("name", ["RevokeOAuth2TokenWithIAM", "CreateOAuth2TokenWithTokenExchange"])
    def test_dry_run_prints_the_signed_request_redacted_and_sends_nothing(
        self, api: FakeApi, api_env: dict[str, str], name: str
    ) -> None:
        op = st._OPERATIONS[name]
        code, out, err = run_api(
            api, [op.cli_name, "--dry-run", "--input-json", "-"], json.dumps(API_INPUTS[name])
        )
        assert code == 0, err
        assert api.requests == []
        shown = json.loads(out)
        assert set(shown) == {"method", "url", "headers", "body"}
        assert shown["method"] == "POST" and shown["url"] == api.url + op.path + "?" + op.query
        sensitive = {m for _, m, _, _, _, s in st._MEMBERS[op.input] if s}
        hidden = {w for _, _, w, _, _, s in st._MEMBERS[op.input] if s}  # by wire names, as sent
        expected = wire_form(model_shapes(), op.input, API_INPUTS[name])
        assert shown["body"] == {k: "***" if k in hidden else v for k, v in expected.items()}
        if op.auth == "sigv4":
            assert shown["headers"]["X-Amz-Security-Token"] == "***"
            assert shown["headers"]["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
            assert shown["headers"]["Authorization"].endswith(", Signature=***")
        else:
            assert "Authorization" not in shown["headers"]
        values = [API_INPUTS[name].get(m) for m in sensitive]
        assert_no_secret([out, err], [*values, API_KEYS.secret_access_key, API_KEYS.session_token])

    def test_dry_run_resolves_the_operations_endpoint_family(self, api_env: dict[str, str]) -> None:
        urls = {}
        for name in ("ListSessions", "RevokeOAuth2TokenWithIAM"):
            data = json.dumps(API_INPUTS[name])
            code, out, err = run_main(
                ["api", name, "--dry-run", "--region", "eu-west-1", "--input-json", "-"], data
            )
            assert code == 0, err
            urls[name] = json.loads(out)["url"]
        assert urls == {
            "ListSessions": "https://signin.eu-west-1.api.aws/list-sessions",
            "RevokeOAuth2TokenWithIAM": "https://eu-west-1.oauth.signin.aws/v1/revoke?x-amz-client-auth-method=iam",
        }

    def test_create_oauth2_token_with_its_dpop_key(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        key = st.DPoPKey.generate()
        pem = tmp_path / "key.pem"
        pem.write_text(key.to_pem())
        refresh = fake.seed_session(key)
        body = json.dumps(
            {
                "tokenInput": {
                    "clientId": st.SAME_DEVICE_CLIENT_ID,
                    "grantType": "refresh_token",
                    "refreshToken": refresh,
                }
            }
        )
        base = [
            "api",
            "create-oauth2-token",
            "--endpoint-url",
            fake.url,
            "--region",
            "us-east-1",
            "--input-json",
            "-",
        ]
        code, out, err = run_main([*base, "--dry-run", "--dpop-key", str(pem)], body)
        assert code == 0, err
        shown = json.loads(out)
        assert shown["headers"]["DPoP"] == "***" and shown["body"]["refreshToken"] == "***"
        assert fake.token_calls() == []
        assert_no_secret([out, err], [refresh])
        code, out, err = run_main(base, body)
        assert code == 2 and "--dpop-key: is required for CreateOAuth2Token" in err
        code, out, err = run_main([*base, "--dpop-key", str(pem)], body)
        assert code == 0, err
        assert set(json.loads(out)["tokenOutput"]) >= {
            "accessToken",
            "tokenType",
            "expiresIn",
            "refreshToken",
        }
        assert len(fake.token_calls("refresh_token")) == 1
        assert_no_secret([err], [refresh])

    @pytest.mark.parametrize(
        ("argv", "stdin", "said"),
        [
            (["list-sessions"], '{"maxResults": 0}', "maxResults: value must be at least 1"),
            (["list-sessions"], '{"status": "EXPIRED"}', "status: must be one of ACTIVE, REVOKED"),
            (["list-sessions"], '{"max_results": 5}', "max_results: is not a member of ListSessionsInput"),
            (["get-session"], "{}", "sessionArn: is required"),
            (["get-session"], "[1]", "--input-json: the input is not a JSON object"),
            (["get-session"], "{", "--input-json: the input is not valid JSON"),
            (["create-oauth2-token", "--dpop-key", "-"], "{}", "--dpop-key: cannot be read from stdin too"),
            (["revoke-oauth2-token-with-iam"], '{"token": "ASOAnot-a-refresh-token"}', "token: must match"),
            (["get-sessions"], "{}", "invalid choice: 'get-sessions'"),
            (["--list", "get-session"], "{}", "--list: takes no OPERATION"),
            ([], "{}", "OPERATION: is required"),
            (
                ["get-session", "--dpop-key", "k.pem"],
                json.dumps(API_INPUTS["GetSession"]),
                "--dpop-key: only",
            ),
        ],
    )
    def test_invalid_input_exit_2_before_any_request(
        self, api: FakeApi, aws_env: dict[str, str], argv: list[str], stdin: str, said: str
    ) -> None:
        code, out, err = run_api(api, [*argv, "--input-json", "-"], stdin)  # no credentials at all
        assert code == 2, err
        assert said in err and out == ""
        assert api.requests == []

    def test_input_json_missing_or_not_a_regular_file_exit_2_without_blocking(
        self, api: FakeApi, api_env: dict[str, str], tmp_path: Path
    ) -> None:
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)  # nobody writes: a blocking open would hang
        code, _, err = run_api(api, ["get-session", "--input-json", str(fifo)])
        assert (
            code == 2
            and f"--input-json: --input-json file {fifo} is a FIFO (named pipe), not a regular file" in err
        )
        code, _, err = run_api(api, ["get-session", "--input-json", str(tmp_path)])
        assert code == 2 and "is a directory, not a regular file" in err
        code, _, err = run_api(api, ["get-session", "--input-json", str(tmp_path / "missing.json")])
        assert code == 2 and "--input-json: cannot open" in err and "No such file or directory" in err
        assert api.requests == []

    def test_modeled_error_exit_1_one_line(self, api: FakeApi, api_env: dict[str, str]) -> None:
        api.replies.append(
            (
                403,
                {"error": "INSUFFICIENT_PERMISSIONS", "message": "not allowed to list sessions"},
                {
                    "x-amzn-ErrorType": "AccessDeniedException:http://internal.amazon.com/",
                    "x-amzn-RequestId": "req-42",
                },
            )
        )
        code, out, err = run_api(api, ["list-sessions"])
        assert (code, out) == (1, "")
        assert err.count("\n") == 1
        assert err == (
            "error: AccessDeniedException (INSUFFICIENT_PERMISSIONS, HTTP 403): "
            "not allowed to list sessions [request id req-42]\n"
        )
        assert len(api.requests) == 1  # a 403 is not retried

    def test_a_service_echoing_a_secret_is_redacted_even_in_the_debug_traceback(
        self, api: FakeApi, api_env: dict[str, str]
    ) -> None:
        secret = API_INPUTS["RevokeOAuth2TokenWithIAM"]["token"]
        echo = {"error": "INVALID_REQUEST", "message": f"bad token {secret} ({API_KEYS.session_token})"}
        api.replies.append((400, echo, {"x-amzn-ErrorType": "ValidationException"}))
        data = json.dumps(API_INPUTS["RevokeOAuth2TokenWithIAM"])
        code, out, err = run_api(api, ["revoke-oauth2-token-with-iam", "--debug", "--input-json", "-"], data)
        assert (code, out) == (1, "")
        assert (
            "Traceback" in err
            and "error: ValidationException (INVALID_REQUEST, HTTP 400): bad token ***" in err
        )
        assert_no_secret([err], [secret, API_KEYS.secret_access_key, API_KEYS.session_token])

    def test_no_credentials_exit_3_and_no_request(self, api: FakeApi, aws_env: dict[str, str]) -> None:
        code, out, err = run_api(api, ["list-sessions"])
        assert (code, out) == (3, "")
        assert err.startswith("error: no AWS credentials for profile 'default'")
        assert "To sign in again, run: " in err
        assert api.requests == []

    def test_an_unsupported_source_is_named_exit_2_and_no_request(
        self, api: FakeApi, aws_env: dict[str, str]
    ) -> None:
        write_aws_files(aws_env, "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/R\n")
        code, out, err = run_api(api, ["list-sessions", "--profile", "dev"])
        assert (code, out) == (2, "")
        assert "role_arn" in err
        assert api.requests == []

    def test_the_profiles_own_keys_sign(self, api: FakeApi, api_env: dict[str, str]) -> None:
        write_aws_files(api_env, "", "[dev]\n" + key_lines("shared"))
        code, _, err = run_api(
            api, ["list-sessions", "--profile", "dev"]
        )  # an explicit profile skips the env
        assert code == 0, err
        assert_sigv4(api.requests[0], SOURCE_KEYS["shared"])

    def test_debug_one_line_per_attempt_and_no_secret(self, api: FakeApi, api_env: dict[str, str]) -> None:
        data = json.dumps(API_INPUTS["IntrospectOAuth2TokenWithIAM"])
        api.replies.append((503, {"error": "service_unavailable", "message": "busy"}, {}))
        code, out, err = run_api(
            api, ["introspect-oauth2-token-with-iam", "--debug", "--input-json", "-"], data
        )
        assert code == 0, err
        assert len(api.requests) == 2
        lines = [line for line in err.splitlines() if line.startswith("debug: POST ")]
        assert len(lines) == 2 and "attempt 1/3: HTTP 503" in lines[0] and "attempt 2/3: HTTP 200" in lines[1]
        secret = API_INPUTS["IntrospectOAuth2TokenWithIAM"]["token"]
        assert_no_secret([out, err], [secret, API_KEYS.secret_access_key, API_KEYS.session_token])

    @pytest.mark.parametrize(("command", "flag"), [("logout", "--revoke"), ("sessions", "--remote")])
    def test_network_options_of_local_commands_say_when_they_apply(self, command: str, flag: str) -> None:
        code, out, _ = run_main([command, "--help"])
        assert code == 0
        for option in ("--region", "--endpoint-url", "--timeout"):
            said = re.search(rf"^  {option} \S+\s+(.*?)(?=^  -)", out, re.M | re.S)
            assert said and f"used only with {flag}" in " ".join(said[1].split()), (option, out)

    def test_completion_offers_the_operations_and_options(
        self, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        env = console_script_env(aws_env, tmp_path)
        assert bash_offers(env, ["signin-token", "api", "list-"]) == [
            "list-resource-permission-statements",
            "list-sessions",
        ]
        assert bash_offers(env, ["signin-token", "api", "--dr"]) == ["--dry-run"]
        assert bash_offers(env, ["signin-token", "logout", "--rev"]) == ["--revoke"]
        assert bash_offers(env, ["signin-token", "sessions", "--rem"]) == ["--remote"]
        if shutil.which("fish") is not None:
            script = completion_script(env, "fish", tmp_path / "signin-token.fish")
            offered = fish_offers(env, script, "signin-token api list-")
            assert offered == ["list-resource-permission-statements", "list-sessions"]


class RevokingSignin(FakeSignin):
    """The strict fake that also answers ``RevokeOAuth2TokenWithIAM``: refresh tokens in the
    service's form (``ASOR...``); a revocation must carry a valid SigV4 signature by
    credentials this fake issued (assert_sigv4) and names a live refresh token, which then
    dies.  With ``refuse`` set it answers 403 AccessDeniedException instead."""

    def __init__(self) -> None:
        super().__init__()
        self.issued: dict[str, tuple[str, str, str | None]] = {
            "ASIAOLD": ("ASIAOLD", "old-secret", "old-session")  # write_session's credentials
        }
        self.revocations: list[dict[str, Any]] = []
        self.refuse = False

    def _rename(self, token: str) -> str:
        named = "ASOR" + token[len("rt-") :]
        with self.lock:
            self.refresh_tokens[named] = self.refresh_tokens.pop(token)
        return named

    def seed_session(self, key: st.DPoPKey, **kw: Any) -> str:
        return self._rename(super().seed_session(key, **kw))

    def _tokens(self, jkt: str, client_id: str, id_token: bool) -> dict[str, Any]:
        out = super()._tokens(jkt, client_id, id_token)
        if "refreshToken" in out:
            out["refreshToken"] = self._rename(out["refreshToken"])
        at = out["accessToken"]
        with self.lock:
            self.issued[at["accessKeyId"]] = (at["accessKeyId"], at["secretAccessKey"], at["sessionToken"])
        return out

    def _post(self, h: http.server.BaseHTTPRequestHandler) -> None:
        path, _, query = h.path.partition("?")
        if path != "/v1/revoke":
            super()._post(h)
            return
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        record = {
            "path": path,
            "query": query,
            "headers": {k.lower(): v for k, v in h.headers.items()},
            "raw": raw,
        }
        token = json.loads(raw).get("token")
        key_id = record["headers"].get("authorization", "").partition("Credential=")[2].partition("/")[0]
        try:
            assert query == "x-amz-client-auth-method=iam"
            assert_sigv4(record, self.issued[key_id])
            signed = True
        except (AssertionError, KeyError):
            signed = False
        with self.lock:
            live = self.refresh_tokens.pop(token, None) is not None if signed and not self.refuse else None
            self.revocations.append({"token": token, "key": key_id, "signed": signed, "live": live})
        if not signed:
            self._error(h, 403, "AccessDeniedException", "INVALID_REQUEST", "the signature does not match")
        elif self.refuse:
            self._error(
                h,
                403,
                "AccessDeniedException",
                "INSUFFICIENT_PERMISSIONS",
                "not authorized to perform signin:RevokeOAuth2TokenWithIAM",
            )
        else:
            self._send(h, 200, b"{}")


@pytest.fixture
def revoking() -> Iterator[RevokingSignin]:
    server = RevokingSignin()
    try:
        yield server
    finally:
        server.close()


class TestLogoutRevoke:
    """``logout --revoke``: RevokeOAuth2TokenWithIAM for the session's refresh token, signed with
    the session's own current credentials, before the cache entry is deleted; a refusal keeps
    the entry and says what was and was not done."""

    def test_revoked_then_removed(self, revoking: RevokingSignin, aws_env: dict[str, str]) -> None:
        path = write_session(aws_env, revoking)
        token = json.loads(path.read_text())["refreshToken"]
        code, out, err = run_main(["logout", "--revoke"])
        assert (code, out) == (0, "")
        assert revoking.revocations == [{"token": token, "key": "ASIAOLD", "signed": True, "live": True}]
        assert not path.exists()
        assert f"revoked the refresh token of session {SESSION_ARN} on the service" in err
        assert f"removed {path}" in err
        assert revoking.token_calls() == []  # the credentials were valid: no refresh
        assert_no_secret([out, err], [token, "old-secret", "old-session"])

    def test_expired_credentials_are_refreshed_first(
        self, revoking: RevokingSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, revoking, expires_in=60)  # due for a refresh
        first = json.loads(path.read_text())["refreshToken"]
        code, _, err = run_main(["logout", "--revoke"])
        assert code == 0, err
        assert len(revoking.token_calls("refresh_token")) == 1
        (revocation,) = revoking.revocations
        assert revocation["signed"] and revocation["live"]
        assert revocation["key"] != "ASIAOLD"  # signed with the refreshed credentials
        assert revocation["token"] not in (first, None)  # the rotated token, the live one
        assert not path.exists()

    def test_refused_keeps_the_session_and_says_so(
        self, revoking: RevokingSignin, aws_env: dict[str, str]
    ) -> None:
        path = write_session(aws_env, revoking)
        before = path.read_bytes()
        revoking.refuse = True
        code, out, err = run_main(["logout", "--revoke"])
        assert (code, out) == (1, "")
        assert err.count("\n") == 1
        assert err.startswith(
            "error: the service refused to revoke the session's refresh token: AccessDeniedException "
            "(INSUFFICIENT_PERMISSIONS, HTTP 403): not authorized to perform signin:RevokeOAuth2TokenWithIAM"
        )
        assert "the local session was NOT removed" in err and re.search(
            r"To remove it anyway, run: \S.* logout --profile default$", err, re.M
        )
        assert path.read_bytes() == before
        token = json.loads(before)["refreshToken"]
        assert token in revoking.refresh_tokens  # still live on the service
        assert_no_secret([out, err], [token, "old-secret", "old-session"])
        code, _, err = run_main(["logout"])  # as advised
        assert code == 0 and not path.exists()

    def test_with_all_exit_2_nothing_touched(self, revoking: RevokingSignin, aws_env: dict[str, str]) -> None:
        path = write_session(aws_env, revoking)
        code, _, err = run_main(["logout", "--revoke", "--all"])
        assert code == 2 and "--revoke: revokes one profile's session" in err
        assert path.exists() and revoking.revocations == []

    def test_no_session_nothing_to_revoke(self, revoking: RevokingSignin, aws_env: dict[str, str]) -> None:
        code, _, err = run_main(["logout", "--revoke", "--profile", "nobody"])
        assert code == 0 and "no login session found for profile 'nobody'; nothing revoked" in err
        assert revoking.revocations == []


class TestRemoteSessions:
    """``sessions --remote``: the caller's sign-in sessions from ListSessions (every page,
    signed with the profile's credentials) beside the local view."""

    def pages(self, api: FakeApi) -> list[dict[str, Any]]:
        second = dict(API_SESSION, sessionArn=SESSION + "2", status="REVOKED")
        api.replies.extend(
            [(200, {"items": [API_SESSION], "nextToken": "p2"}, {}), (200, {"items": [second]}, {})]
        )
        return [API_SESSION, second]

    def test_json_items_by_member_names_beside_local(
        self, api: FakeApi, fake: FakeSignin, api_env: dict[str, str]
    ) -> None:
        write_session(api_env, fake)
        items = self.pages(api)
        argv = ["sessions", "--remote", "--json", "--region", "us-east-1", "--endpoint-url", api.url]
        code, out, err = run_main(argv)
        assert code == 0, err
        shown = json.loads(out)
        assert shown["items"] == [member_form(model_shapes(), "Session", item) for item in items]
        assert [row["profile"] for row in shown["local"]] == ["default"]
        assert [r["body"] for r in api.requests] == [{}, {"nextToken": "p2"}]
        for record in api.requests:
            assert_sigv4(record, API_ENV_KEYS)
        assert_no_secret([out, err], [API_KEYS.secret_access_key, API_KEYS.session_token, "old-secret"])

    def test_table(self, api: FakeApi, api_env: dict[str, str]) -> None:
        self.pages(api)
        code, out, err = run_main(
            ["sessions", "--remote", "--region", "us-east-1", "--endpoint-url", api.url]
        )
        assert code == 0, err
        remote = out.split("sign-in sessions on the service (2, ListSessions in us-east-1):\n")[
            1
        ].splitlines()
        assert remote[0].split() == ["SESSION", "PRINCIPAL", "STATUS", "CLIENT", "ISSUED", "EXPIRES"]
        assert remote[1].split() == [
            SESSION,
            PRINCIPAL,
            "ACTIVE",
            "CLI",
            "2023-11-14T22:13:20Z",
            "2023-11-15T10:13:20Z",
        ]
        assert remote[2].split()[:3] == [SESSION + "2", PRINCIPAL, "REVOKED"]

    def test_table_fits_the_terminal(
        self, api: FakeApi, api_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.pages(api)
        argv = ["sessions", "--remote", "--region", "us-east-1", "--endpoint-url", api.url]
        monkeypatch.delenv("COLUMNS", raising=False)
        _, whole, _ = run_main(argv)
        width = max(len(line) for line in whole.split("ListSessions in us-east-1):\n")[1].splitlines())
        monkeypatch.setenv("COLUMNS", str(width - 10))
        code, out, err = run_main(argv)
        assert code == 0, err
        remote = out.split("ListSessions in us-east-1):\n")[1].splitlines()
        assert max(len(line) for line in remote) <= width - 10
        assert any("\u2026" in line for line in remote)  # the widest column cut, with an ellipsis

    def test_remote_options_only_with_remote(self, aws_env: dict[str, str]) -> None:
        code, _, err = run_main(["sessions", "--profile", "dev"])
        assert code == 2 and "--profile: is used only with --remote" in err

    def test_no_credentials_exit_3_no_request(self, api: FakeApi, aws_env: dict[str, str]) -> None:
        code, out, err = run_main(
            ["sessions", "--remote", "--region", "us-east-1", "--endpoint-url", api.url]
        )
        assert (code, out) == (3, "") and "no AWS credentials" in err
        assert api.requests == []


# Characters that must never reach a stream raw: what sets a window title, clears the
# screen, rings the bell, or reorders the line.
RAW_TERMINAL_CONTROLS = frozenset("\x1b\x07\x9b\u202e\u2066\u200f")


class TestNoRawEscapesInOutput:
    """Values from files and the network pass the one sanitiser before any human-readable
    output: escapes planted in a cache entry's accountId (another tool wrote it) and in a
    section name reach no stream raw; a config ``login_session`` that is no session ARN is
    refused where it is read, in one clean line."""

    SESSION = SESSION_ARN + "\x1b]0;pwned\x07\u202e\x9b2J"
    SECTION = "profile e\x1b[2J\x07\u2066v\u200f"

    def planted(self, fake: FakeSignin, env: dict[str, str]) -> Path:
        """A usable entry, its accountId full of escapes, used by ``[default]`` and by
        the section :attr:`SECTION`."""
        write_session(env, fake, expires_in=3600)
        entry = json.loads(cache_path(env).read_text())
        entry["accessToken"]["accountId"] = "\x1b]2;title\x07\u202e12"
        path = store_entry(env, entry, SESSION_ARN)
        write_config(
            env,
            f"[default]\nregion = us-east-1\nlogin_session = {SESSION_ARN}\n"
            f"[{self.SECTION}]\nlogin_session = {SESSION_ARN}\n",
        )
        return path

    @staticmethod
    def assert_clean(*texts: str) -> None:
        for text in texts:
            assert not RAW_TERMINAL_CONTROLS & set(text), text

    def test_status_refresh_sessions_and_logout_all(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        path = self.planted(fake, aws_env)
        code, out, err = run_main(["status"])
        assert code == 0, err
        self.assert_clean(out, err)
        assert f"session: {SESSION_ARN}\n" in out
        assert f"account: {ACCOUNT}\n" in out  # the malformed accountId: the ARN's instead
        code, out, err = run_main(["sessions"])
        assert code == 0, err
        self.assert_clean(out, err)
        code, out, err = run_main(["refresh", "--force"])
        assert code == 0, err
        self.assert_clean(out, err)
        assert err.startswith("refreshed: ") and f"account {ACCOUNT})" in err
        assert len(fake.token_calls()) == 1
        code, out, err = run_main(["credentials"])
        assert code == 0, err
        assert json.loads(out)["AccountId"] == ACCOUNT
        code, out, err = run_main(["logout", "--all"])
        assert code == 0, err
        self.assert_clean(out, err)
        assert "\\x1b[2J\\x07\\u2066v\\u200f" in err  # the section name, escaped
        assert not path.exists()

    def test_a_login_session_that_is_no_arn_is_refused_in_one_clean_line(
        self, fake: FakeSignin, aws_env: dict[str, str]
    ) -> None:
        login_env(aws_env, fake)
        write_config(aws_env, f"[default]\nregion = us-east-1\nlogin_session = {self.SESSION}\n")
        for argv in (["status"], ["credentials"], ["refresh", "--force"], ["exec", "--", "true"]):
            code, out, err = run_main(argv)
            assert (code, out) == (2, ""), err
            self.assert_clean(err)
            assert err.count("\n") == 1 and "'default' has a login_session" in err
            assert "not a session ARN" in err
        assert_no_network(fake)

    def test_serve_start_up_line(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        self.planted(fake, aws_env)
        with serving(aws_env) as h:
            assert h.creds()["AccountId"] == ACCOUNT
            for _ in range(500):  # its stderr is read by another thread
                if h.stderr:
                    break
                time.sleep(0.01)
            first = h.stderr[0]
        assert first.startswith("serving the credentials of session ")
        assert SESSION_ARN in first
        self.assert_clean(h.stdout, *h.stderr)

    def test_login_skip_if_valid_summary(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        self.planted(fake, aws_env)
        code, out, err = run_main(["login", "--skip-if-valid"])
        assert code == 0, err
        assert err.startswith("already signed in: session ")
        self.assert_clean(out, err)


# --------------------------------------------------------------------------
# Whole-program properties: hostile input to every parser, secrets never shown
# --------------------------------------------------------------------------


def fuzz(
    fn: Callable[[Any], object], inputs: Iterable[Any], allowed: tuple[type[BaseException], ...]
) -> list[str]:
    """Run ``fn`` over ``inputs``; describe every exception outside ``allowed``."""
    failures = []
    for value in inputs:
        try:
            fn(value)
        except allowed:
            pass
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {str(exc)[:150]} <- {value!r:.200}")
    return failures


JSON_TOKENS = (
    b'"',
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\\",
    b"\x00",
    b"\\u0000",
    b"\\ud800",
    b"null",
    b"true",
    b"1e999",
    b"-0",
    b"NaN",
    b"9" * 40,
    b"\xff",
    b"\xc3",
    b"\xe2\x80\xa8",
)
JSON_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1,
    900,
    901,
    2**70,
    1.5,
    float("inf"),
    "",
    " ",
    "x",
    "a" * 5000,
    "\x00",
    "\ud800",
    "é\u2028",
    [],
    {},
    [1, "a"],
    {"a": {"b": None}},
    "900",
    "2024-01-01T00:00:00Z",
)
JSON_KEYS = (
    "accessToken",
    "access_token",
    "accessKeyId",
    "secretAccessKey",
    "sessionToken",
    "expiresIn",
    "expires_in",
    "tokenType",
    "refreshToken",
    "idToken",
    "sub",
    "__proto__",
    "",
    "\x00",
)


def mutate_bytes(rng: random.Random, data: bytes, tokens: tuple[bytes, ...] = JSON_TOKENS) -> bytes:
    """1-4 random byte-level edits: flip, insert, delete, splice a token, truncate, duplicate."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        pos = rng.randrange(len(b) + 1)
        op = rng.randrange(6)
        if op == 0 and b:
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        elif op == 1:
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2:
            del b[pos : pos + rng.randint(1, 16)]
        elif op == 3:
            b[pos:pos] = rng.choice(tokens)
        elif op == 4:
            del b[pos:]
        else:
            b[pos:pos] = b[pos : pos + rng.randint(1, 32)]
    return bytes(b)


def mutate_json(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """One structural edit somewhere in a JSON value: replace, delete, add, recurse."""
    if isinstance(value, dict) and value and depth < 6 and rng.random() < 0.8:
        out = dict(value)
        key = rng.choice(list(out))
        r = rng.random()
        if r < 0.2:
            del out[key]
        elif r < 0.3:
            out[rng.choice(JSON_KEYS)] = rng.choice(JSON_VALUES)
        elif r < 0.5:
            out[key] = copy.deepcopy(rng.choice(JSON_VALUES))
        else:
            out[key] = mutate_json(rng, out[key], depth + 1)
        return out
    if isinstance(value, str) and rng.random() < 0.5:
        return mutate_bytes(rng, value.encode("utf-8", "surrogatepass"), (b"\x00", b".", b"=", b"%")).decode(
            "utf-8", "replace"
        )
    return copy.deepcopy(rng.choice(JSON_VALUES))


def json_mutations(rng: random.Random, value: Any, count: int) -> Iterable[Any]:
    for _ in range(count):
        out = value
        for _ in range(rng.randint(1, 3)):
            out = mutate_json(rng, out)
        yield out


def random_text(rng: random.Random, size: int = 40) -> str:
    pools = (
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "=&%+/ \t\r\n[]#;.-_~:?",
        "".join(map(chr, range(0x20))),
        "é€\u2028\ufeff\U0001f600\udcff",
    )
    return "".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(0, size)))


FUZZ_N = 3000


# Edge inputs: id -> bytes.  Every parser gets every one.
EDGE_INPUTS = [
    pytest.param(raw, id=name)
    for name, raw in {
        "empty": b"",
        "huge-3MiB": b"{" + b'"a":"' + b"x" * (3 << 20) + b'"}',
        "nested-100000": b"[" * 100000,
        "nested-objects-100000": b'{"a":' * 100000,
        "nul-bytes": b"\x00" * 64,
        "nul-in-key": b'{"accessToken\x00": 1}',
        "invalid-utf8": b"\xff\xfe\xc3\x28\xed\xa0\x80",
        "utf8-bom": b"\xef\xbb\xbf{}",
        "bad-padding": b"YWJj=",
        "excess-padding": b"YWJjZA===",
        "huge-float": b"1e99999",
        "huge-int": b"9" * 5000,
    }.items()
]


def edge_parsers(
    tmp: Path,
) -> dict[str, tuple[Callable[[bytes], object], tuple[type[BaseException], ...]]]:
    entry_path = tmp / "entry.json"
    config_path = tmp / "config"

    def read_entry(raw: bytes) -> object:
        entry_path.write_bytes(raw)
        return st._read_entry(str(entry_path), "login", wait=0)

    def config(raw: bytes) -> object:
        config_path.write_bytes(raw)
        cfg = st._ConfigFile(str(config_path))
        cfg.set("default", "region", "us-east-1")
        return cfg.profile("default")

    def text(raw: bytes) -> str:
        return raw.decode("latin-1")

    return {
        "token-response": (
            lambda raw: st.SigninClient._parse(st._Response(200, {}, raw)),
            (st.InvalidResponseError,),
        ),
        "error-body": (lambda raw: st._service_error(st._Response(400, {}, raw), []), ()),
        "id-token": (lambda raw: st._session_from_id_token(f"e30.{text(raw)}.c2ln"), (st.SigninTokenError,)),
        "id-token-b64": (
            lambda raw: st._session_from_id_token(f"e30.{b64url(raw)}.c2ln"),
            (st.SigninTokenError,),
        ),
        "pem": (st.DPoPKey.from_pem, (st.InvalidKeyError,)),
        "pem-body": (
            lambda raw: st.DPoPKey.from_pem(pem_armor("EC PRIVATE KEY", raw)),
            (st.InvalidKeyError,),
        ),
        "jwk": (
            lambda raw: st.jwk_thumbprint({"kty": "EC", "crv": "P-256", "x": text(raw), "y": text(raw)}),
            (st.InvalidKeyError,),
        ),
        "cache-file": (read_entry, (st.LoginRequiredError,)),
        "config-file": (config, (st.ConfigError,)),
        "remote-code": (lambda raw: st._decode_remote_code(text(raw), "s"), (st.ParamValidationError,)),
        "remote-code-b64": (
            lambda raw: st._decode_remote_code(base64.b64encode(raw).decode(), "s"),
            (st.ParamValidationError,),
        ),
    }


EDGE_PARSER_NAMES = list(edge_parsers(Path("/nonexistent")))


class TestHostileInput:
    """PROTOCOL.md §4, §5, §7, §8, §9, §10, §11: every parser of outside data, fed seeded
    random mutations; only the module's own error types (and TypeError, or ValueError where
    an internal helper documents it) may escape."""

    def test_token_response_from_dict(self) -> None:
        rng = random.Random(4001)
        valid = json.loads(token_response_body())
        successes = 0

        def parse(data: Any) -> None:
            nonlocal successes
            out = st.CreateOAuth2TokenResponseBody.from_dict(data)
            assert type(out.expires_in) is int and out.expires_in >= 1
            credentials = out.access_token.to_dict().values()
            assert all(isinstance(v, str) and 0 < len(v) <= MAX_TOKEN_CHARS for v in credentials)
            successes += 1

        inputs = list(json_mutations(rng, valid, FUZZ_N))
        inputs += [
            json.loads(
                token_response_body(
                    accessToken={"access_key_id": "a", "secret_access_key": "b", "session_token": "c"}
                )
            )
        ]
        failures = fuzz(parse, inputs, (st.SigninTokenError, TypeError))
        assert not failures, failures[:5]
        assert successes > 0

    def test_token_response_bytes(self) -> None:
        rng = random.Random(4002)
        valid = token_response_body()
        inputs = [mutate_bytes(rng, valid) for _ in range(FUZZ_N)]
        inputs += [json.dumps(v).encode() for v in json_mutations(rng, json.loads(valid), 500)]

        def parse(raw: bytes) -> None:
            st.SigninClient._parse(st._Response(200, {}, raw))

        failures = fuzz(parse, inputs, (st.InvalidResponseError,))
        assert not failures, failures[:5]

    def test_token_response_through_the_fake(self, fake: FakeSignin) -> None:
        rng = random.Random(4003)
        valid = token_response_body()
        client = st.SigninClient(endpoint_url=fake.url, sleep=lambda s: None)
        key = st.DPoPKey.generate()
        request, _, _ = code_request(fake, DISCARD_REDIRECT_URI)
        bodies = [mutate_bytes(rng, valid) for _ in range(100)]
        bodies += [json.dumps(v).encode() for v in json_mutations(rng, json.loads(valid), 100)]
        fake.faults = [("raw", 200, body, "application/json") for body in bodies]
        failures = fuzz(
            lambda _: client.create_oauth2_token(request, key), bodies, (st.InvalidResponseError,)
        )
        assert not failures, failures[:5]
        assert len(fake.token_calls()) == len(bodies)

    def test_error_bodies(self) -> None:
        rng = random.Random(4004)
        valid = json.dumps({"error": "TOKEN_EXPIRED", "message": "The refresh token has expired."}).encode()
        header_values = ("", "AccessDeniedException", "ValidationException:http://x", ":", "Foo#Bar", "\x00")
        cases = []
        for _ in range(FUZZ_N):
            body = (
                mutate_bytes(rng, valid)
                if rng.random() < 0.7
                else json.dumps(
                    mutate_json(rng, {"error": "x", "message": "m", "__type": "a#TooManyRequestsError"})
                ).encode()
            )
            headers = {}
            if rng.random() < 0.5:
                headers["x-amzn-errortype"] = rng.choice(header_values) + random_text(rng, 10)
            if rng.random() < 0.5:
                headers["x-amzn-requestid"] = random_text(rng, 200)
            if rng.random() < 0.5:
                headers["retry-after"] = rng.choice(
                    ["", "1", "-1", "1.5", "999999999999999999999", "Tue, 99"]
                )
            if rng.random() < 0.3:
                headers["date"] = random_text(rng, 30)
            cases.append(st._Response(rng.choice([400, 401, 403, 429, 500, 502, 599, 418]), headers, body))

        def classify(response: st._Response) -> None:
            error = st._service_error(response, ["rt-secret"])
            assert isinstance(error, st.ServiceError)
            assert error.status == response.status
            after = st._retry_after(response)
            assert after is None or after >= 0
            st._http_date(response.headers.get("date", ""))

        failures = fuzz(classify, cases, ())
        assert not failures, failures[:5]

    def test_error_bodies_through_the_fake(self, fake: FakeSignin) -> None:
        rng = random.Random(4005)
        valid = json.dumps({"error": "INVALID_REQUEST", "message": "bad"}).encode()
        client = st.SigninClient(endpoint_url=fake.url, sleep=lambda s: None)
        key = st.DPoPKey.generate()
        request, _, _ = code_request(fake, DISCARD_REDIRECT_URI)
        junk = [mutate_bytes(rng, valid) for _ in range(150)] + [b"", b"\x00" * 100, HTML_PAGE]
        types = ("application/json", "text/html", "text/plain; charset=latin-1", "application/x-amz-json-1.1")
        fake.faults = [("raw", rng.choice([400, 401, 403, 500]), body, rng.choice(types)) for body in junk]
        failures = fuzz(lambda _: client.create_oauth2_token(request, key), junk, (st.ServiceError,))
        assert not failures, failures[:5]

    @pytest.mark.parametrize("value", ["\u00b2", "\u00b9", "\u00b3"])
    def test_retry_after_latin1_digits(self, value: str) -> None:
        """Retry-After byte 0xB2 is '²' in Latin-1: str.isdigit() is true, float() refuses it."""
        failures = fuzz(lambda v: st._retry_after(st._Response(429, {"retry-after": v}, b"{}")), [value], ())
        assert not failures, failures

    @pytest.mark.parametrize("where", ["header", "body"])
    def test_error_type_is_one_bounded_line(self, where: str) -> None:
        hostile = "Evil\x1b[2J" + ("\nfake line" if where == "body" else "") + "x" * 5000
        headers = {"x-amzn-errortype": hostile} if where == "header" else {}
        body = json.dumps({"__type": "ns#" + hostile, "message": "m"} if where == "body" else {}).encode()
        text = str(st._service_error(st._Response(418, headers, body), []))
        assert text.isprintable() and len(text) < 1000

    def test_id_token(self) -> None:
        rng = random.Random(4006)
        claims = {"sub": SESSION_ARN, "aud": "x", "iss": "y", "iat": 1, "exp": 2}
        valid = fake_jwt(claims)
        inputs: list[Any] = []
        for _ in range(FUZZ_N // 3):
            inputs.append(
                mutate_bytes(rng, valid.encode(), (b".", b"=", b"+", b"/", b"\x00")).decode("latin-1")
            )
            payload = json.dumps(mutate_json(rng, claims)).encode()
            inputs.append(f"e30.{b64url(payload)}.c2ln")
            inputs.append(f"e30.{b64url(mutate_bytes(rng, json.dumps(claims).encode()))}.")
        inputs += [None, 5, b"a.b.c", ["a"], "", ".", "..", "...", "a.b.c.d"]

        def parse(token: Any) -> None:
            session, account = st._session_from_id_token(token)
            assert re.fullmatch(r"\d{12}", account) and session.startswith("arn:aws")

        failures = fuzz(parse, inputs, (st.SigninTokenError, TypeError))
        assert not failures, failures[:5]

    def test_pem_keys(self) -> None:
        rng = random.Random(4007)
        key = st.DPoPKey.from_private_value(0xC0FFEE)
        sec1_pem = key.to_pem()
        pkcs8_pem = pem_armor("PRIVATE KEY", pkcs8_key_der(pem_decode(key.to_pem())[1]))
        assert st.DPoPKey.from_pem(pkcs8_pem) == key
        sec1_der = pem_decode(sec1_pem)[1]
        pkcs8_der = pem_decode(pkcs8_pem)[1]
        der_tokens = (
            b"\x00",
            b"\x30",
            b"\x02",
            b"\x04",
            b"\x81",
            b"\x82\xff\xff",
            b"\xa0",
            b"\xa1",
            b"\xff" * 4,
        )
        inputs: list[Any] = []
        for _ in range(FUZZ_N // 3):
            inputs.append(pem_armor("EC PRIVATE KEY", mutate_bytes(rng, sec1_der, der_tokens)))
            inputs.append(pem_armor("PRIVATE KEY", mutate_bytes(rng, pkcs8_der, der_tokens)))
            text_tokens = (b"-----", b"\n", b"\r\n", b"=", b"==", b"BEGIN ", b"END ", b"\x00", b"\xff")
            raw = mutate_bytes(rng, rng.choice([sec1_pem, pkcs8_pem]).encode(), text_tokens)
            inputs.append(raw if rng.random() < 0.5 else raw.decode("latin-1"))
        inputs += [None, 5, ["pem"]]

        def parse(pem: Any) -> None:
            parsed = st.DPoPKey.from_pem(pem)
            assert st.DPoPKey.from_pem(parsed.to_pem()) == parsed

        failures = fuzz(parse, inputs, (st.InvalidKeyError, TypeError))
        assert not failures, failures[:5]

    def test_jwks(self) -> None:
        rng = random.Random(4008)
        jwk = st.DPoPKey.from_private_value(12345).public_jwk
        rsa = {"kty": "RSA", "e": "AQAB", "n": "sXch"}
        inputs: list[Any] = list(json_mutations(rng, jwk, FUZZ_N // 2))
        inputs += list(json_mutations(rng, rsa, FUZZ_N // 4))
        for _ in range(FUZZ_N // 4):
            raw = bytes(rng.randrange(256) for _ in range(rng.choice([31, 32, 33, 0, 64])))
            name = rng.choice(["x", "y"])
            text = b64url(raw) if rng.random() < 0.7 else random_text(rng, 50)
            inputs.append(dict(jwk, **{name: text}))
        inputs += [None, [], "EC", {"kty": "EC"}]

        def thumb(value: Any) -> None:
            out = st.jwk_thumbprint(value)
            assert re.fullmatch(r"[A-Za-z0-9_-]{43}", out)

        failures = fuzz(thumb, inputs, (st.InvalidKeyError, TypeError))
        assert not failures, failures[:5]

    def test_cache_files(self, tmp_path: Path) -> None:
        rng = random.Random(4009)
        key = st.DPoPKey.from_private_value(777)
        entry = {
            "accessToken": {
                "accessKeyId": "ASIAX",
                "secretAccessKey": "sk",
                "sessionToken": "st",
                "accountId": ACCOUNT,
                "expiresAt": "2030-01-01T00:00:00Z",
            },
            "tokenType": TOKEN_TYPE,
            "clientId": st.SAME_DEVICE_CLIENT_ID,
            "refreshToken": "rt-x",
            "idToken": fake_jwt({"sub": SESSION_ARN}),
            "dpopKey": key.to_pem(),
        }
        stamps = [
            "2030-01-01T00:00:00.123456789Z",
            "2030-01-01 00:00:00+05:30",
            "2030-01-01T00:00:00-0800",
            "2030-02-30T00:00:00Z",
            "2030-01-01T25:00:00Z",
            "2030-01-01T00:00:00+24:00",
            "0000-01-01T00:00:00Z",
            "2030-1-1T0:0:0Z",
            "2030-01-01",
            " 2030-01-01T00:00:00Z\n",
        ]
        path = tmp_path / "entry.json"
        blobs = []
        for _ in range(FUZZ_N // 2):
            mutated = mutate_json(rng, entry)
            if (
                rng.random() < 0.3
                and isinstance(mutated, dict)
                and isinstance(mutated.get("accessToken"), dict)
            ):
                mutated["accessToken"]["expiresAt"] = rng.choice(stamps)
            blobs.append(json.dumps(mutated).encode())
        blobs += [mutate_bytes(rng, json.dumps(entry).encode()) for _ in range(FUZZ_N // 2)]

        def read(raw: bytes) -> None:
            path.write_bytes(raw)
            got = st._read_entry(str(path), "login", wait=0)
            creds = st.Credentials._from_entry(got, SESSION_ARN)
            creds.seconds_left()

        failures = fuzz(read, blobs, (st.LoginRequiredError,))
        assert not failures, failures[:5]

    def test_cache_files_through_the_cli(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        rng = random.Random(4010)
        path = write_session(aws_env, fake, expires_in=60)
        valid = path.read_bytes()
        entry = json.loads(valid)
        for i in range(30):
            mutated = mutate_bytes(rng, valid) if i % 2 else json.dumps(mutate_json(rng, entry)).encode()
            path.write_bytes(mutated)
            sleeps: list[float] = []  # a torn-read re-read, recorded instead of waited
            code, out, err = run_main(["credentials", "--timeout", "2"], sleep=sleeps.append)
            assert code in (0, 3), (mutated[:200], err)
            assert set(sleeps) <= {0.05}, sleeps
            assert "Traceback" not in err
            if code:
                assert_error_output(err, debug=False, login=True)
                assert out == ""
            else:
                # AccountId: when the entry has one.
                assert set(json.loads(out)) - {"AccountId"} == set(PROCESS_KEYS) - {"AccountId"}

    def test_config_files(self, tmp_path: Path) -> None:
        rng = random.Random(4011)
        pool = [
            "[default]",
            "[profile dev]",
            "[ profile  dev ]",
            "[profile dev] ; c",
            "[sso-session s]",
            "region = us-east-1",
            "login_session = arn:aws:iam::123456789012:user/A",
            "  nested = 1",
            "\tkey = tab",
            "key=value",
            "key",
            "= value",
            "# comment",
            "; comment",
            "[",
            "]",
            "[]",
            "[profile",
            "",
            "   ",
            "\ufeff[default]",
            "k = v = w",
            "\x00",
            "\r",
            "[profile a]b",
        ]
        path = tmp_path / "config"
        names = ["default", "dev", "a", "new", "x y", "[x]", "\x00", ""]
        safe_names = ("default", "dev", "new")
        cases = []
        for _ in range(FUZZ_N // 2):
            lines = [rng.choice(pool) for _ in range(rng.randint(0, 12))]
            raw = rng.choice(["\n", "\r\n"]).join(lines).encode()
            if rng.random() < 0.3:
                raw = mutate_bytes(rng, raw, (b"\n", b"[", b"]", b"=", b"\xff", b"\xef\xbb\xbf"))
            cases.append((raw, rng.choice(names), rng.choice(["login_session", "region", "k", "nested"])))

        def edit(case: tuple[bytes, str, str]) -> None:
            raw, name, key = case
            path.write_bytes(raw)
            cfg = st._ConfigFile(str(path))
            before = cfg.profile(name)
            assert before is None or isinstance(before, dict)
            cfg.set(name, key, "v-1")
            if name in safe_names:
                assert (cfg.profile(name) or {}).get(key) == "v-1", cfg.lines
                cfg.save()
                assert (st._ConfigFile(str(path)).profile(name) or {}).get(key) == "v-1"

        failures = fuzz(edit, cases, (st.ConfigError,))
        assert not failures, failures[:5]

    def test_config_duplicate_key(self, tmp_path: Path) -> None:
        """A duplicated key in a section: set() must change the value profile() reads."""
        path = tmp_path / "config"
        path.write_text("[default]\nregion = a\nregion = b\n")
        cfg = st._ConfigFile(str(path))
        cfg.set("default", "region", "c")
        assert cfg.profile("default") == {"region": "c"}

    @pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028"])
    def test_config_other_lines_kept_byte_for_byte(self, tmp_path: Path, char: str) -> None:
        """§10: every other line stays as it was, whatever characters it holds."""
        path = tmp_path / "config"
        original = f"[profile other]\nnote = a{char}b\n".encode()
        path.write_bytes(original)
        cfg = st._ConfigFile(str(path))
        cfg.set("default", "login_session", SESSION_ARN)
        cfg.save()
        assert path.read_bytes().startswith(original)

    def test_remote_codes(self) -> None:
        rng = random.Random(4012)
        state = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        query = f"state={state}&code=c0de-123"
        valid = base64.b64encode(query.encode()).decode()
        assert st._decode_remote_code(valid, state) == "c0de-123"
        b64_tokens = (b"=", b"==", b"+", b"/", b"-", b"_", b" ", b"\n", b"\x00", b"\xc3\xa9")
        inputs: list[str] = []
        for _ in range(FUZZ_N // 3):
            inputs.append(mutate_bytes(rng, valid.encode(), b64_tokens).decode("latin-1"))
            mutated = mutate_bytes(rng, query.encode(), (b"&", b"=", b"%", b"%ff", b"code=", b"state=", b";"))
            inputs.append(base64.b64encode(mutated).decode())
            inputs.append(random_text(rng, 80))

        def decode(text: str) -> None:
            code = st._decode_remote_code(text, state)
            assert isinstance(code, str) and code

        failures = fuzz(decode, inputs, (st.ParamValidationError,))
        assert not failures, failures[:5]

    def test_callback_query_strings(self) -> None:
        rng = random.Random(4013)
        with callback_server() as (server, state):
            tokens = (
                b"?",
                b"&",
                b"=",
                b"%",
                b"%zz",
                b"%ff",
                b"state=",
                b"code=",
                b"error=x",
                b"\x00",
                b"\xff",
                b" ",
                b"\r\n",
                b"HTTP/1.1",
                b"/oauth/callback",
            )
            valid = b"GET /oauth/callback?state=wrong&code=abc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            answered = 0
            for _ in range(300):
                reply = raw_http(server.port, mutate_bytes(rng, valid, tokens))
                answered += bool(reply)  # a status line, or an HTTP/0.9 page
                assert server.result is None
            assert answered > 250  # it keeps answering
            real_callback(server, state)


class TestHostileEdgeCases:
    """Hand-written hostile inputs for every parser of outside data (PROTOCOL.md §4-§11):
    empty, huge, deeply nested, NUL bytes, invalid UTF-8, bad base64 padding, points off the
    curve and private scalars out of range."""

    @pytest.mark.parametrize("raw", EDGE_INPUTS)
    @pytest.mark.parametrize("parser", EDGE_PARSER_NAMES)
    def test_edge_input(self, tmp_path: Path, parser: str, raw: bytes) -> None:
        fn, allowed = edge_parsers(tmp_path)[parser]
        failures = fuzz(fn, [raw], allowed)
        assert not failures, failures

    @pytest.mark.parametrize(
        ("d_bytes", "what"),
        [
            (b"\x00" * 32, "zero"),
            (b"\x00", "zero-short"),
            (P256_N.to_bytes(32, "big"), "n"),
            ((P256_N + 1).to_bytes(32, "big"), "n+1"),
            (b"\xff" * 32, "2^256-1"),
            (b"", "empty"),
            (b"\x01" * 33, "33-bytes"),
        ],
    )
    def test_pem_scalar_out_of_range(self, d_bytes: bytes, what: str) -> None:
        with pytest.raises(st.InvalidKeyError):
            st.DPoPKey.from_pem(pem_armor("EC PRIVATE KEY", sec1_key_der(d=d_bytes, public=False)))

    @pytest.mark.parametrize("d", [0, -1, P256_N, P256_N + 5, 2**256])
    def test_private_value_out_of_range(self, d: int) -> None:
        with pytest.raises(st.InvalidKeyError):
            st.DPoPKey.from_private_value(d)

    @pytest.mark.parametrize(
        "point",
        [
            b"\x04" + (1).to_bytes(32, "big") + (1).to_bytes(32, "big"),  # off the curve
            b"\x04" + P256_P.to_bytes(32, "big") + (0).to_bytes(32, "big"),  # x = p, out of the field
            b"\x04" + b"\x00" * 64,  # (0, 0)
            b"\x02" + b"\x11" * 64,  # not uncompressed
        ],
        ids=["off-curve", "x-equals-p", "zero", "compressed-tag"],
    )
    def test_pem_public_point_rejected(self, point: bytes) -> None:
        good = st.DPoPKey.from_private_value(99)
        with pytest.raises(st.InvalidKeyError):
            st.DPoPKey.from_pem(
                pem_armor("EC PRIVATE KEY", sec1_key_der(d=(99).to_bytes(32, "big"), point=point))
            )
        # The other, valid key's point with this scalar: a mismatch, also refused.
        other = st.DPoPKey.from_private_value(100).public_jwk
        mismatched = b"\x04" + b64url_decode(other["x"]) + b64url_decode(other["y"])
        with pytest.raises(st.InvalidKeyError):
            st.DPoPKey.from_pem(
                pem_armor("EC PRIVATE KEY", sec1_key_der(d=(99).to_bytes(32, "big"), point=mismatched))
            )
        assert st.DPoPKey.from_pem(good.to_pem()) == good

    @pytest.mark.parametrize(
        "coords",
        [
            ((1).to_bytes(32, "big"), (1).to_bytes(32, "big")),
            (P256_P.to_bytes(32, "big"), (0).to_bytes(32, "big")),
            (b"\x00" * 32, b"\x00" * 32),
        ],
        ids=["off-curve", "x-equals-p", "zero"],
    )
    def test_jwk_point_rejected(self, coords: tuple[bytes, bytes]) -> None:
        jwk = {"kty": "EC", "crv": "P-256", "x": b64url(coords[0]), "y": b64url(coords[1])}
        with pytest.raises(st.InvalidKeyError):
            st.jwk_thumbprint(jwk)

    @pytest.mark.parametrize("suffix", ["=", "==", "A", "+", "/", " ", "\n"])
    def test_jwk_bad_base64(self, suffix: str) -> None:
        jwk = st.DPoPKey.from_private_value(5).public_jwk
        with pytest.raises(st.InvalidKeyError):
            st.jwk_thumbprint(dict(jwk, x=jwk["x"] + suffix))

    @pytest.mark.parametrize("mutation", ["drop-padding", "extra-padding", "inner-padding", "bad-char"])
    def test_pem_bad_base64(self, mutation: str) -> None:
        pem = st.DPoPKey.from_private_value(7).to_pem()
        lines = pem.splitlines()
        body = "".join(lines[1:-1])
        assert body.endswith("=")
        body = {
            "drop-padding": body.rstrip("="),
            "extra-padding": body + "==",
            "inner-padding": body[:10] + "=" + body[10:],
            "bad-char": body[:10] + "*" + body[10:],
        }[mutation]
        with pytest.raises(st.InvalidKeyError):
            st.DPoPKey.from_pem(f"{lines[0]}\n{body}\n{lines[-1]}\n")

    @pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"])
    def test_cache_timestamp_out_of_datetime_range(self, tmp_path: Path, stamp: str) -> None:
        path = tmp_path / "entry.json"
        entry = {
            "accessToken": {
                "accessKeyId": "a",
                "secretAccessKey": "b",
                "sessionToken": "c",
                "expiresAt": stamp,
            },
            "refreshToken": "r",
            "dpopKey": "k",
            "clientId": "c",
        }
        path.write_text(json.dumps(entry))
        failures = fuzz(lambda p: st._read_entry(p, "login", wait=0), [str(path)], (st.LoginRequiredError,))
        assert not failures, failures

    def test_cli_cache_timestamp_out_of_range(
        self, fake: FakeSignin, aws_env: dict[str, str], signed_in: Path
    ) -> None:
        path = signed_in
        entry = json.loads(path.read_text())
        entry["accessToken"]["expiresAt"] = "9999-12-31T23:59:59-05:00"
        path.write_text(json.dumps(entry))
        result = run_here(["credentials"], aws_env)
        assert result.returncode == 3, result.stderr
        assert "Traceback" not in result.stderr


class TestSecrets:
    """PROTOCOL.md §5, §7, §9, §12: secret values (secret key, session token, refresh token,
    DPoP private key, auth code, PKCE verifier) never reach stderr, --debug output, repr()/str()
    of any object or exception; stdout only where printing them is the command's purpose."""

    def test_no_secret_leaks(
        self, fake: FakeSignin, aws_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        d = int.from_bytes(hashlib.sha256(b"robust secret dpop key").digest(), "big") % (P256_N - 1) + 1
        key = st.DPoPKey.from_private_value(d)
        secret_key = "ROBSECRETKEY" + uuid.uuid4().hex
        session_token = "ROBSESSIONTOKEN" + uuid.uuid4().hex
        expires = iso_stamp(time.time() + 3600)
        path = write_session(
            aws_env,
            fake,
            key=key,
            extra={
                "accessToken": {
                    "accessKeyId": "ASIAROBSECRETS",
                    "secretAccessKey": secret_key,
                    "sessionToken": session_token,
                    "accountId": ACCOUNT,
                    "expiresAt": expires,
                }
            },
        )
        secrets_: set[str] = {secret_key, session_token, *key_secrets(key.to_pem())}
        assert format(d, "064x") in secrets_
        outputs: list[tuple[str, str]] = []  # (where, text) that must hold no secret

        def harvest() -> None:
            if path.exists():
                entry = json.loads(path.read_text())
                secrets_.update(
                    {
                        entry["refreshToken"],
                        entry["accessToken"]["secretAccessKey"],
                        entry["accessToken"]["sessionToken"],
                    }
                )
                secrets_.update(key_secrets(entry["dpopKey"]))
            for record in fake.token_calls():
                body = record.get("json") or {}
                secrets_.update(v for k, v in body.items() if k in ("code", "codeVerifier", "refreshToken"))
            secrets_.update(fake.codes)
            secrets_.update(fake.refresh_tokens)

        def run(args: list[str], *, stdout_ok: bool = False, stdin_text: str = "") -> tuple[int, str, str]:
            code, out, err = run_main(args, stdin_text)
            captured = capsys.readouterr()
            outputs.append((f"{args} stderr", err + captured.err))
            if not stdout_ok:
                outputs.append((f"{args} stdout", out + captured.out))
            harvest()
            return code, out, err

        def current_refresh_token() -> str:
            return str(json.loads(path.read_text())["refreshToken"])

        harvest()
        # Successful commands.
        for fmt in ("process", "env", "env-no-export", "powershell", "windows-cmd", "fish", "json"):
            code, out, _ = run(["credentials", "--format", fmt], stdout_ok=True)
            assert code == 0 and secret_key in out  # the command's purpose
        for args in (
            ["status"],
            ["status", "--json"],
            ["refresh"],
            ["refresh", "--force"],
            ["refresh", "--force", "--debug"],
            ["credentials", "--debug"],
        ):
            code, _, err = run(args, stdout_ok=args[0] == "credentials")
            assert code == 0, err
        # Refresh failures, the fake echoing the refresh token in its error messages.
        for status, debug in ((400, False), (400, True), (403, True), (500, True)):
            token = current_refresh_token()
            echo = {
                "error": "INVALID_REQUEST",
                "message": f"refresh token {token} is invalid",
                "error_description": token,
                "Message": token,
            }
            fake.faults = [("raw", status, json.dumps(echo).encode(), "application/json")] * 3
            code, _, err = run(["refresh", "--force", "--timeout", "2"] + (["--debug"] if debug else []))
            assert code in (1, 3) and "refresh token *** is invalid" in err, err
            fake.faults = []
            (path.parent / (path.name + ".ended")).unlink(missing_ok=True)  # a 400 about it ended it
        fake.faults = [
            ("raw", 200, json.dumps({"accessToken": current_refresh_token()}).encode(), "application/json")
        ]
        code, _, err = run(["refresh", "--force", "--debug"])
        assert code == 1, err
        # Code redemption through the token command: success, echoing failures, invalid input.
        key_file = tmp_path / "key.pem"
        key_file.write_text(key.to_pem())
        for outcome in ("ok", "echo", "echo-debug", "bad-verifier"):
            request, code_value, verifier = code_request(fake, DISCARD_REDIRECT_URI)
            if outcome.startswith("echo"):
                message = f"code {code_value} with verifier {verifier} rejected"
                fake.faults = [
                    (
                        "raw",
                        400,
                        json.dumps({"error": "INVALID_REQUEST", "message": message}).encode(),
                        "application/json",
                    )
                ]
            sent_verifier = verifier + ("!" if outcome == "bad-verifier" else "")
            args = token_code_argv(fake.url, key_file, code_value, sent_verifier, DISCARD_REDIRECT_URI)
            secrets_.update({code_value, verifier})
            code, out, err = run(
                args + (["--debug"] if outcome == "echo-debug" else []), stdout_ok=outcome == "ok"
            )
            assert code == {"ok": 0, "echo": 1, "echo-debug": 1, "bad-verifier": 2}[outcome], err
            if outcome == "ok":
                issued = json.loads(out)["accessToken"]
                secrets_.update({issued["secretAccessKey"], issued["sessionToken"]})
                secrets_.add(json.loads(out)["refreshToken"])
            fake.faults = []
        token = fake.seed_session(key)
        secrets_.add(token)
        fake.faults = [
            ("raw", 400, json.dumps({"error": "INVALID_REQUEST", "message": token}).encode(), "text/plain")
        ]
        code, _, err = run([*token_refresh_argv(fake.url, key_file, token), "--debug"])
        assert code == 1 and "***" in err, err
        input_json = json.dumps(
            {
                "clientId": st.SAME_DEVICE_CLIENT_ID,
                "grantType": "refresh_token",
                "refreshToken": token,
                "code": "x" * 600,
            }
        )
        code, _, err = run(
            ["token", "--endpoint-url", fake.url, "--dpop-key", str(key_file), "--input-json", "-"],
            stdin_text=input_json,
        )
        assert code == 2, err
        # Cross-device login in a real process (--debug), then a failing one echoing the code.
        for fail in (False, True):
            if fail:
                fake.faults = [("pass",)]  # placeholder, replaced once the code is known
            with login_process(["login", "--remote", "--debug", "--yes"], aws_env, pipe_stdin=True) as h:
                status, pasted = browser_follow(login_url(h))
                assert status == 200
                got = dict(urllib.parse.parse_qsl(base64.b64decode(pasted).decode()))
                secrets_.add(got["code"])
                if fail:
                    fake.faults = [
                        (
                            "raw",
                            400,
                            json.dumps(
                                {"error": "INVALID_REQUEST", "message": f"bad {got['code']}"}
                            ).encode(),
                            "application/json",
                        )
                    ]
                rc, out, err = login_finish(h, pasted + "\n", timeout=30)
            assert rc == (1 if fail else 0), err
            harvest()
            outputs.append((f"login fail={fail} stderr", err))
            outputs.append((f"login fail={fail} stdout", out))
            fake.faults = []
        # exec: the child's environment holds the credentials (its purpose), stderr does not.
        result = run_cli(
            [
                "exec",
                "--static",
                "--",
                sys.executable,
                "-c",
                "import os; print(os.environ['AWS_SECRET_ACCESS_KEY'])",
            ],
            aws_env,
        )
        assert result.returncode == 0, result.stderr
        harvest()
        assert result.stdout.strip() == json.loads(path.read_text())["accessToken"]["secretAccessKey"]
        outputs.append(("exec stderr", result.stderr))
        for args in (["logout", "--debug"], ["status"], ["credentials"], ["pkce"]):
            run(args, stdout_ok=args[0] == "pkce")
        # repr()/str() of every object that holds a secret.
        request, code_value, verifier = code_request(fake, DISCARD_REDIRECT_URI)
        refresh_body = st.CreateOAuth2TokenRequestBody(
            client_id=st.SAME_DEVICE_CLIENT_ID, grant_type="refresh_token", refresh_token=token
        )
        response_raw = token_response_body(
            accessToken={"accessKeyId": "A", "secretAccessKey": secret_key, "sessionToken": session_token},
            refreshToken=token,
        )
        response = st.SigninClient._parse(st._Response(200, {}, response_raw))
        pkce = st.generate_pkce()
        secrets_.update({code_value, verifier, pkce.code_verifier})
        objects: list[Any] = [
            st.AccessToken("A", secret_key, session_token),
            st.Credentials("A", secret_key, session_token, datetime.datetime.now(datetime.timezone.utc)),
            request,
            request.token_input,
            refresh_body,
            st.CreateOAuth2TokenRequest(refresh_body),
            response,
            response.token_output,
            response.token_output.access_token,
            pkce,
            key,
            st._Response(200, {}, response_raw),
            st.SigninClient(endpoint_url=fake.url),
        ]
        # Every exception: service errors echoing secrets, invalid input holding them.
        errors: list[BaseException] = []
        client = st.SigninClient(endpoint_url=fake.url, sleep=lambda s: None)
        for req, echo in (
            (st.CreateOAuth2TokenRequest(refresh_body), token),
            (request, f"{code_value} {verifier}"),
        ):
            for status in (400, 401, 429, 500):
                body = json.dumps({"error": "INVALID_REQUEST", "message": echo, "error_description": echo})
                fake.faults = [("raw", status, body.encode(), "application/json")] * 3
                try:
                    client.create_oauth2_token(req, key)
                except st.SigninTokenError as exc:
                    errors.append(exc)
                fake.faults = []
        invalid: list[Callable[[], object]] = [
            lambda: st.CreateOAuth2TokenRequestBody(
                client_id=st.SAME_DEVICE_CLIENT_ID,
                grant_type="refresh_token",
                refresh_token=token * (MAX_TOKEN_CHARS // len(token) + 1),
            ),
            lambda: st.CreateOAuth2TokenRequestBody(
                client_id=st.SAME_DEVICE_CLIENT_ID,
                grant_type="authorization_code",
                code=code_value * 100,
                redirect_uri=DISCARD_REDIRECT_URI,
                code_verifier=verifier,
            ),
            lambda: st.CreateOAuth2TokenRequestBody(
                client_id=st.SAME_DEVICE_CLIENT_ID,
                grant_type="authorization_code",
                code=code_value,
                redirect_uri=DISCARD_REDIRECT_URI,
                code_verifier=verifier + "!",
            ),
            lambda: st.CreateOAuth2TokenRequestBody.from_dict(
                {"clientId": token, "grantType": "refresh_token", "refreshToken": token}
            ),
            lambda: st.pkce_challenge(verifier + "\x00"),
            lambda: st.AccessToken("", secret_key, session_token),
            lambda: st.CreateOAuth2TokenResponseBody.from_dict(
                {
                    "accessToken": {
                        "accessKeyId": "a",
                        "secretAccessKey": secret_key,
                        "sessionToken": session_token,
                    },
                    "tokenType": "t",
                    "expiresIn": 0,
                }
            ),
            lambda: st.SigninClient._parse(st._Response(200, {}, response_raw[:-5])),
            lambda: st.DPoPKey.from_pem(key.to_pem().replace("EC PRIVATE", "RSA PRIVATE")),
            lambda: st.DPoPKey.from_pem(
                pem_armor(
                    "EC PRIVATE KEY", sec1_key_der(d=d.to_bytes(32, "big"), point=b"\x04" + b"\x01" * 64)
                )
            ),
            lambda: st.DPoPKey.from_private_value(d + P256_N),
            lambda: st._decode_remote_code(
                base64.b64encode(f"state=x&code={code_value}".encode()).decode(), "y"
            ),
            lambda: st._decode_remote_code(f"{code_value}{verifier}", "y"),
            lambda: st._read_entry(str(tmp_path / "missing.json"), "login", wait=0),
        ]
        broken = tmp_path / "broken.json"
        broken.write_text(json.dumps({"accessToken": {"secretAccessKey": secret_key}, "refreshToken": token}))
        invalid.append(lambda: st._read_entry(str(broken), "login", wait=0))
        for make in invalid:
            try:
                make()
            except (st.SigninTokenError, TypeError, ValueError) as exc:
                errors.append(exc)
            else:
                raise AssertionError("expected an error")
        assert len(errors) == 8 + len(invalid)
        for obj in objects:
            outputs.append((f"repr {type(obj).__name__}", repr(obj) + str(obj)))
        for exc in errors:
            text = (
                repr(exc) + str(exc) + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            )
            outputs.append((f"exception {type(exc).__name__}", text))
        # The verdict, against every secret seen anywhere.
        assert len(secrets_) > 30
        leaks = [(where, leaked(text, secrets_)) for where, text in outputs]
        assert [leak for leak in leaks if leak[1]] == []

    def test_refresh_token_echoed_in_error_member(self, fake: FakeSignin) -> None:
        key = st.DPoPKey.generate()
        request = refresh_request(fake, key)
        token = request.token_input.refresh_token
        assert token is not None
        fake.faults = [
            ("raw", 400, json.dumps({"error": token, "message": "no"}).encode(), "application/json")
        ]
        with pytest.raises(st.ServiceError) as info:
            st.SigninClient(endpoint_url=fake.url).create_oauth2_token(request, key)
        assert token not in str(info.value)
