"""Tests for signin_token: pytest only, real loopback HTTP, real files, real processes.

The fake Sign-In service below is strict in the ways the real one is (PROTOCOL.md
§5-6): every proof's ES256 signature is checked with an independent verifier
written here (plain affine arithmetic, sharing no code with the module), ``htu``,
``htm`` and ``iat`` are checked, a replayed ``jti`` is refused, codes are
single-use and PKCE-checked, and refresh tokens rotate and are bound to the
thumbprint of the key that obtained them.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

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


def fake_jwt(claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}.{b64url(b'sig')}"


# --------------------------------------------------------------------------
# The strict fake Sign-In service
# --------------------------------------------------------------------------

ACCOUNT = "123456789012"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice"


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
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
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

    def seed_session(self, key: st.DPoPKey, *, client_id: str = st.SAME_DEVICE_CLIENT_ID) -> str:
        """A refresh token bound to ``key``, as if a login had happened."""
        token = "rt-" + uuid.uuid4().hex
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
            expected = [
                "response_type",
                "client_id",
                "state",
                "code_challenge_method",
                "scope",
                "redirect_uri",
                "code_challenge",
            ]
            if (
                [k for k, _ in urllib.parse.parse_qsl(query)] != expected
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
        with self.lock:
            self.refresh_tokens[refresh] = {"jkt": jkt, "client_id": client_id}
        out: dict[str, Any] = {
            "accessToken": {
                "accessKeyId": "ASIA" + uuid.uuid4().hex[:16].upper(),
                "secretAccessKey": "sk-" + uuid.uuid4().hex,
                "sessionToken": "st-" + uuid.uuid4().hex,
            },
            "tokenType": "urn:aws:params:oauth:token-type:access_token_sigv4",
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
        elif kind == "redirect":
            self._send(h, 302, b"", {"Location": self.url + "/elsewhere"}, content_type="text/plain")
        elif kind == "huge":
            self._send(h, 200, b'{"x": "' + b"a" * (2 << 20) + b'"}')
        elif kind == "pass":
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
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
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
        if key.startswith("AWS_") or key.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("AWS_") or key == "HOME":
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", "")  # so that teardown restores it
    return env


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


def browser_follow(url: str, *, timeout: float = 10) -> tuple[int, str]:
    """A scripted browser: GET the authorize URL and follow redirects (to the
    loopback callback, or to the confirmation page)."""
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
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
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expires_in))
    entry = {
        "accessToken": {
            "accessKeyId": "ASIAOLD",
            "secretAccessKey": "old-secret",
            "sessionToken": "old-session",
            "accountId": ACCOUNT,
            "expiresAt": expires,
        },
        "tokenType": "urn:aws:params:oauth:token-type:access_token_sigv4",
        "clientId": st.SAME_DEVICE_CLIENT_ID,
        "refreshToken": refresh,
        "idToken": fake_jwt({"sub": SESSION_ARN}),
        "dpopKey": key.to_pem(),
    }
    entry.update(extra or {})
    cache = Path(env["AWS_LOGIN_CACHE_DIRECTORY"])
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / (hashlib.sha256(SESSION_ARN.encode()).hexdigest() + ".json")
    path.write_text(json.dumps(entry))
    config = Path(env["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    section = "default" if profile == "default" else f"profile {profile}"
    with config.open("a") as f:
        f.write(f"[{section}]\nregion = {region}\nlogin_session = {SESSION_ARN}\n")
    env["AWS_ENDPOINT_URL_SIGNIN"] = fake.url
    os.environ["AWS_ENDPOINT_URL_SIGNIN"] = fake.url
    return path


# --------------------------------------------------------------------------
# Tests start here
# --------------------------------------------------------------------------


class TestSmoke:
    """End to end through the real CLI against the strict fake (PROTOCOL.md §3, §5, §9)."""

    def test_login_then_refresh(self, fake: FakeSignin, aws_env: dict[str, str]) -> None:
        env = dict(aws_env, AWS_ENDPOINT_URL_SIGNIN=fake.url, AWS_REGION="us-east-1")
        proc = subprocess.Popen(
            [sys.executable, "-m", "signin_token", "login", "--no-browser"],
            env=env,
            cwd=str(HERE),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        url = ""
        while not url.startswith("http"):
            url = proc.stderr.readline().strip()
        status, page = browser_follow(url)
        assert status == 200, page
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert out == ""
        cfg = Path(env["AWS_CONFIG_FILE"]).read_text()
        assert f"login_session = {SESSION_ARN}" in cfg
        result = run_cli(["refresh", "--force"], env)
        assert result.returncode == 0, result.stderr
        creds = run_cli(["credentials"], env)
        assert creds.returncode == 0, creds.stderr
        doc = json.loads(creds.stdout)
        assert set(doc) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
        assert len(fake.token_calls("refresh_token")) == 1
