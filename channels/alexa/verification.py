"""Verifies that a request really comes from Alexa, for this skill, as Amazon requires of skills on their own endpoint.

A request passes only if all of these hold (see "Host a Custom Skill as a Web
Service" in the Alexa Skills Kit documentation):
- the `SignatureCertChainUrl` header names an https URL on s3.amazonaws.com
  (port 443 if any) whose normalised path starts with /echo.api/;
- the PEM chain at that URL is valid now, leads to a trusted root (path
  building, signatures and constraints are cryptography's web-PKI verifier,
  channels/alexa/certificates.py), and the signing (first) certificate names
  echo-api.amazon.com among its Subject Alternative Names;
- `Signature-256` (or, when only that is sent, the SHA-1 `Signature`) is the
  signing certificate's RSA signature of the raw body;
- the request's timestamp is within 150 seconds of now;
- the application id in the body is this skill's.

The certificate download and the trusted roots are the only things that can
be swapped (tests use a locally made chain); all checks are real.
Environment variables, read by `verifier_from_environment`:
  ALEXA_SKILL_ID          this skill's application id
  ALEXA_VERIFY_REQUESTS   "false" turns signature, certificate and time checks off (development only)
  ALEXA_TRUSTED_ROOTS     a PEM file of extra trusted root certificates (testing, private deployments)
  ALEXA_CERT_CACHE_DIR    a folder where downloaded chains are kept, and read from before downloading
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import posixpath
import threading
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from channels.alexa.certificates import (
    SigningChain, TrustStore, VerificationError, default_trusted_roots, download_chain,
    load_pem_certificates, validate_chain,
)
from companion.environment import read

logger = logging.getLogger(__name__)

CERT_URL_SCHEME = "https"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"
CERT_URL_PORT = 443
TIMESTAMP_TOLERANCE = dt.timedelta(seconds=150)

SKILL_ID_ENV = "ALEXA_SKILL_ID"
VERIFY_ENV = "ALEXA_VERIFY_REQUESTS"
TRUSTED_ROOTS_ENV = "ALEXA_TRUSTED_ROOTS"
CERT_CACHE_DIR_ENV = "ALEXA_CERT_CACHE_DIR"

ChainFetcher = Callable[[str], bytes]
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --- the certificate URL ------------------------------------------------------


def normalised_cert_url(url: str) -> str:
    """The URL with scheme and host in lower case and `..` resolved, if it is one Amazon signs with; else raises."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError as error:
        raise VerificationError(f"certificate URL cannot be parsed: {error}") from None
    if parts.scheme.lower() != CERT_URL_SCHEME:
        raise VerificationError("certificate URL scheme is not https")
    if (parts.hostname or "").lower() != CERT_URL_HOST:
        raise VerificationError("certificate URL host is not s3.amazonaws.com")
    if port is not None and port != CERT_URL_PORT:
        raise VerificationError("certificate URL port is not 443")
    path = _normalised_path(parts.path)
    if not path.startswith(CERT_URL_PATH_PREFIX):
        raise VerificationError("certificate URL path is not under /echo.api/")
    return f"{CERT_URL_SCHEME}://{CERT_URL_HOST}{path}"


def _normalised_path(path: str) -> str:
    # "%2e%2e" is a ".." too; the prefix check is case-sensitive, as Amazon specifies
    path = unquote(path or "/")
    normal = posixpath.normpath(path)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    if path.endswith("/") and not normal.endswith("/"):
        normal += "/"
    return normal


# --- the verifier -------------------------------------------------------------


@dataclasses.dataclass
class AlexaRequestVerifier:
    """Checks each request; `verify` returns the parsed body of a genuine request or raises VerificationError."""

    skill_id: Optional[str]
    check_signatures: bool = True
    trusted_roots: Optional[Sequence[x509.Certificate]] = None  # None: the system's CA bundle
    fetch_chain: ChainFetcher = download_chain
    cache_dir: Optional[Path] = None
    clock: Clock = utc_now
    tolerance: dt.timedelta = TIMESTAMP_TOLERANCE

    def __post_init__(self) -> None:
        self._chains: Dict[str, SigningChain] = {}
        self._lock = threading.Lock()
        self._trust: Optional[TrustStore] = None

    @property
    def trust(self) -> TrustStore:
        if self._trust is None:
            roots = default_trusted_roots() if self.trusted_roots is None else list(self.trusted_roots)
            self._trust = TrustStore(roots)
        return self._trust

    def verify(self, headers: Mapping[str, str], body: bytes) -> Dict:
        request = parse_body(body)
        if self.check_signatures:
            chain = self.signing_chain(_header(headers, "SignatureCertChainUrl"))
            check_signature(chain.leaf, headers, body)
            check_timestamp(request, self.clock(), self.tolerance)
        check_application_id(request, self.skill_id, required=self.check_signatures)
        return request

    def signing_chain(self, cert_url: Optional[str]) -> SigningChain:
        if not cert_url:
            raise VerificationError("SignatureCertChainUrl header is missing")
        url = normalised_cert_url(cert_url)
        now = self.clock()
        with self._lock:
            cached = self._chains.get(url)
        if cached is not None and cached.not_after >= now:
            cached.check_dates(now)
            return cached
        chain = validate_chain(load_pem_certificates(self._chain_pem(url)), self.trust, now)
        with self._lock:
            self._chains[url] = chain
        return chain

    def _chain_pem(self, url: str) -> bytes:
        stored = self._cache_file(url)
        if stored is not None and stored.exists():
            return stored.read_bytes()
        try:
            data = self.fetch_chain(url)
        except Exception as error:  # any download problem is a rejected request, not a crash
            raise VerificationError(f"certificate chain could not be downloaded ({type(error).__name__})") from None
        if stored is not None:
            try:
                stored.parent.mkdir(parents=True, exist_ok=True)
                stored.write_bytes(data)
            except OSError as error:
                logger.warning("Could not keep the Alexa certificate chain in %s: %s", stored.parent, error)
        return data

    def _cache_file(self, url: str) -> Optional[Path]:
        if self.cache_dir is None:
            return None
        return Path(self.cache_dir) / cert_cache_name(url)


def cert_cache_name(url: str) -> str:
    """The file a chain is kept in under ALEXA_CERT_CACHE_DIR: the SHA-256 of the normalised URL."""
    return hashlib.sha256(normalised_cert_url(url).encode("utf-8")).hexdigest() + ".pem"


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def parse_body(body: bytes) -> Dict:
    try:
        request = json.loads((body or b"").decode("utf-8", errors="replace"))
    except ValueError:
        raise VerificationError("body is not JSON") from None
    if not isinstance(request, dict) or not isinstance(request.get("request"), dict):
        raise VerificationError("body is not an Alexa request")
    return request


def check_signature(leaf: x509.Certificate, headers: Mapping[str, str], body: bytes) -> None:
    signature_256 = _header(headers, "Signature-256")
    encoded: Optional[str]
    algorithm: hashes.HashAlgorithm
    if signature_256:
        encoded, algorithm = signature_256, hashes.SHA256()
    else:
        encoded, algorithm = _header(headers, "Signature"), hashes.SHA1()
    key = leaf.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise VerificationError("the signing certificate's key is not RSA")
    if not encoded:
        raise VerificationError("signature header is missing")
    try:
        signature = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError("signature is not base64") from None
    try:
        key.verify(signature, body or b"", padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise VerificationError("signature does not match the body") from None


def request_time(request: Mapping) -> dt.datetime:
    value = field(request, "request", "timestamp")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # some Alexa tools send epoch milliseconds
        seconds = value / 1000 if value > 1e11 else value
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    if not isinstance(value, str) or not value:
        raise VerificationError("request timestamp is missing")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise VerificationError("request timestamp cannot be read") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def check_timestamp(request: Mapping, now: dt.datetime, tolerance: dt.timedelta = TIMESTAMP_TOLERANCE) -> None:
    if abs(now - request_time(request)) > tolerance:
        raise VerificationError(f"request timestamp is more than {int(tolerance.total_seconds())} seconds from now")


def field(container, *path: str):
    """The value at a path of keys, or None where any step is missing or not an object."""
    for key in path:
        if not isinstance(container, Mapping):
            return None
        container = container.get(key)
    return container


def application_ids(request: Mapping) -> List[str]:
    session_app = field(request, "session", "application", "applicationId")
    context_app = field(request, "context", "System", "application", "applicationId")
    return [value for value in (session_app, context_app) if value]


def check_application_id(request: Mapping, skill_id: Optional[str], required: bool = True) -> None:
    if not skill_id:
        if required:
            raise VerificationError(f"no skill id is configured ({SKILL_ID_ENV})")
        return
    found = application_ids(request)
    if not found:
        raise VerificationError("request names no application id")
    if any(value != skill_id for value in found):
        raise VerificationError("request is for another skill")


# --- configuration ------------------------------------------------------------


def verification_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    return read(VERIFY_ENV, environ, True)


def verifier_from_environment(skill_id: Optional[str] = None, environ: Mapping[str, str] = os.environ) -> AlexaRequestVerifier:
    """The verifier a running server uses: the system's roots plus any in ALEXA_TRUSTED_ROOTS."""
    roots = None
    extra_roots_file = environ.get(TRUSTED_ROOTS_ENV)
    if extra_roots_file:
        extra = load_pem_certificates(Path(extra_roots_file).read_bytes())
        roots = default_trusted_roots() + extra
        logger.info("Alexa verification trusts %d extra root certificate(s) from %s", len(extra), TRUSTED_ROOTS_ENV)
    cache_dir = environ.get(CERT_CACHE_DIR_ENV)
    return AlexaRequestVerifier(
        skill_id=(environ.get(SKILL_ID_ENV) or skill_id or "").strip() or None,
        check_signatures=verification_enabled(environ),
        trusted_roots=roots,
        cache_dir=Path(cache_dir) if cache_dir else None,
    )
