"""The Alexa signing certificate chain: loading PEM, the trusted roots, the download, and the checks Amazon asks for.

The chain must be led by a certificate for echo-api.amazon.com, be valid now,
and lead, each certificate signed by the next, to a trusted root. Used by
channels/alexa/verification.py, which owns the rest of request verification.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from pathlib import Path
from typing import Iterable, List, Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import DNSName
from cryptography.x509.verification import PolicyBuilder, Store
from cryptography.x509.verification import VerificationError as PathError

SIGNING_CERT_DOMAIN = "echo-api.amazon.com"
DOWNLOAD_TIMEOUT_SECONDS = 3.0
MAX_CHAIN_BYTES = 64 * 1024
SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


class VerificationError(Exception):
    """The request is not a genuine Alexa request for this skill; the message says why (nothing personal)."""


def load_pem_certificates(data: bytes) -> List[x509.Certificate]:
    """Every certificate in a PEM bundle, skipping any block that does not parse."""
    marker = b"-----END CERTIFICATE-----"
    certificates = []
    for block in data.split(marker):
        if b"-----BEGIN CERTIFICATE-----" not in block:
            continue
        try:
            with warnings.catch_warnings():
                # some CA bundles carry old roots that newer cryptography releases only warn about
                warnings.simplefilter("ignore")
                certificates.append(x509.load_pem_x509_certificate(block + marker))
        except ValueError:
            continue
    return certificates


def default_trusted_roots() -> List[x509.Certificate]:
    """The system's CA bundle, or certifi's when the system has none."""
    bundle = SYSTEM_CA_BUNDLE
    if not bundle.exists():
        try:
            import certifi

            bundle = Path(certifi.where())
        except ImportError:
            return []
    return load_pem_certificates(bundle.read_bytes())


def download_chain(url: str) -> bytes:
    """The PEM chain at an already checked certificate URL."""
    import requests

    response = requests.get(url, timeout=DOWNLOAD_TIMEOUT_SECONDS, allow_redirects=False, stream=True)
    response.raise_for_status()
    data = response.raw.read(MAX_CHAIN_BYTES + 1, decode_content=True)
    if len(data) > MAX_CHAIN_BYTES:
        raise ValueError("certificate chain is too large")
    return data


def _dns_names(certificate: x509.Certificate) -> List[str]:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [name.lower() for name in names.get_values_for_type(x509.DNSName)]


@dataclasses.dataclass(frozen=True)
class SigningChain:
    """A downloaded chain whose signatures, roots and names have been checked; dates are checked on each use."""

    certificates: Sequence[x509.Certificate]

    @property
    def leaf(self) -> x509.Certificate:
        return self.certificates[0]

    @property
    def not_after(self) -> dt.datetime:
        return min(c.not_valid_after_utc for c in self.certificates)

    def check_dates(self, now: dt.datetime) -> None:
        for position, certificate in enumerate(self.certificates):
            which = "signing certificate" if position == 0 else f"chain certificate {position}"
            if now < certificate.not_valid_before_utc:
                raise VerificationError(f"{which} is not valid yet")
            if now > certificate.not_valid_after_utc:
                raise VerificationError(f"{which} has expired")


class TrustStore:
    """Trusted root certificates, as cryptography's verifier takes them."""

    def __init__(self, roots: Iterable[x509.Certificate]) -> None:
        roots = list(roots)
        self.store = Store(roots) if roots else None  # cryptography refuses an empty store


def validate_chain(certificates: Sequence[x509.Certificate], trust: TrustStore, now: dt.datetime) -> SigningChain:
    """Checks a chain (signing certificate first) the way Amazon asks; raises VerificationError if it fails.

    The dates, the name and the key type are checked first, for a message that
    says which; the path to a trusted root (signatures, CA constraints, path
    length, key usage) is cryptography's web-PKI verifier, with real path
    building. Checked against Amazon's own 2017 and 2018 chains and the
    VeriSign root they led to: both verifiers accept them while they were
    valid and refuse them after.
    """
    if not certificates:
        raise VerificationError("certificate chain is empty")
    chain = SigningChain(tuple(certificates))
    chain.check_dates(now)
    if SIGNING_CERT_DOMAIN not in _dns_names(chain.leaf):
        raise VerificationError(f"signing certificate does not name {SIGNING_CERT_DOMAIN}")
    if not isinstance(chain.leaf.public_key(), rsa.RSAPublicKey):
        raise VerificationError("signing certificate key is not RSA")
    if trust.store is None:
        raise VerificationError("certificate chain does not lead to a trusted root (no roots are trusted)")
    verifier = PolicyBuilder().store(trust.store).time(now).build_server_verifier(DNSName(SIGNING_CERT_DOMAIN))
    try:
        verifier.verify(chain.leaf, list(certificates[1:]))
    except PathError as error:
        raise VerificationError(f"certificate chain does not lead to a trusted root ({error})") from None
    return chain
