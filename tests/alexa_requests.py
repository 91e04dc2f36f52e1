"""Test helpers for the Alexa skill: request JSON shaped as the Alexa Skills Kit sends it, and a local signing certificate chain.

- `CertificateAuthority` makes a root CA and an intermediate with `cryptography`,
  and issues signing certificates (by default with echo-api.amazon.com as
  Subject Alternative Name), so requests can be signed exactly as Alexa signs
  them, only by a root the test server is told to trust.
- `request_for` turns what a person says into the IntentRequest Alexa would
  send, using the skill's own interaction model (skill-package/...): exact
  sample utterances first, then the longest carrier phrase of a question
  intent, and AMAZON.FallbackIntent when nothing matches.
- `SkillSession` is one person talking to the skill over HTTP.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "skill-package" / "interactionModels" / "custom"
INTERACTION_MODEL = MODELS / "en-US.json"
SIGNING_DOMAIN = "echo-api.amazon.com"
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"


# --- certificates ---------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Callback Companion tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca_certificate(subject: x509.Name, key, issuer: x509.Name, issuer_key, path_length: Optional[int]) -> x509.Certificate:
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        # as on a real chain: the web-PKI verifier requires it below the root
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


@dataclasses.dataclass
class SigningCertificate:
    """A signing certificate, its key, and the chain Alexa would publish for it (signing certificate first)."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    chain: Sequence[x509.Certificate]

    def chain_pem(self) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)


class CertificateAuthority:
    """A local root CA and intermediate that issue Alexa-style signing certificates."""

    def __init__(self, name: str = "Test Root CA") -> None:
        self.root_key = _key()
        self.root = _ca_certificate(_name(name), self.root_key, _name(name), self.root_key, path_length=1)
        self.intermediate_key = _key()
        self.intermediate = _ca_certificate(
            _name(f"{name} Intermediate"), self.intermediate_key, self.root.subject, self.root_key, path_length=0
        )

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    def issue(
        self,
        dns_names: Sequence[str] = (SIGNING_DOMAIN,),
        not_before: Optional[dt.datetime] = None,
        not_after: Optional[dt.datetime] = None,
        include_root: bool = False,
    ) -> SigningCertificate:
        key = _key()
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(dns_names[0] if dns_names else "no-san.example"))
            .issuer_name(self.intermediate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - dt.timedelta(hours=1))
            .not_valid_after(not_after or now + dt.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.intermediate_key.public_key()),
                           critical=False)
        )
        if dns_names:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False)
        certificate = builder.sign(self.intermediate_key, hashes.SHA256())
        chain = [certificate, self.intermediate] + ([self.root] if include_root else [])
        return SigningCertificate(certificate, key, chain)


def signature_headers(body: bytes, signer: SigningCertificate, cert_url: str = CERT_URL, sha1_only: bool = False) -> Dict[str, str]:
    """The headers Alexa sends: the chain's URL and the body's RSA signature (SHA-256, or SHA-1 as older requests had)."""
    algorithm = hashes.SHA1() if sha1_only else hashes.SHA256()
    signature = base64.b64encode(signer.key.sign(body, padding.PKCS1v15(), algorithm)).decode("ascii")
    return {
        "Content-Type": "application/json; charset=utf-8",
        "SignatureCertChainUrl": cert_url,
        ("Signature" if sha1_only else "Signature-256"): signature,
    }


# --- request JSON ---------------------------------------------------------------


def timestamp(at: Optional[dt.datetime] = None) -> str:
    return (at or _now()).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(request: Dict, skill_id: str, user_id: str, session_id: str, new: bool = False,
             attributes: Optional[Dict] = None) -> Dict:
    """A full request body: version, session, context and the request itself."""
    application = {"applicationId": skill_id}
    user = {"userId": user_id}
    return {
        "version": "1.0",
        "session": {
            "new": new,
            "sessionId": session_id,
            "application": application,
            "attributes": attributes or {},
            "user": user,
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.TEST", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
                "apiAccessToken": "test-token",
            }
        },
        "request": request,
    }


def _request(kind: str, at: Optional[dt.datetime] = None, locale: str = "en-US", **fields) -> Dict:
    return {"type": kind, "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}", "timestamp": timestamp(at),
            "locale": locale, **fields}


def launch_request(at: Optional[dt.datetime] = None, locale: str = "en-US") -> Dict:
    return _request("LaunchRequest", at, locale)


def intent_request(name: str, slots: Optional[Dict[str, str]] = None, at: Optional[dt.datetime] = None,
                   locale: str = "en-US") -> Dict:
    intent = {"name": name, "confirmationStatus": "NONE"}
    if slots is not None:
        intent["slots"] = {
            slot: {"name": slot, "value": value, "confirmationStatus": "NONE", "source": "USER"}
            for slot, value in slots.items()
        }
    return _request("IntentRequest", at, locale, dialogState="COMPLETED", intent=intent)


def session_ended_request(reason: str = "USER_INITIATED", at: Optional[dt.datetime] = None) -> Dict:
    return _request("SessionEndedRequest", at, reason=reason)


# Alexa's own phrases for its built-in intents (they need no samples in the model)
BUILT_IN_PHRASES = {
    "help": "AMAZON.HelpIntent",
    "stop": "AMAZON.StopIntent",
    "cancel": "AMAZON.CancelIntent",
    "yes": "AMAZON.YesIntent",
    "no": "AMAZON.NoIntent",
    "repeat": "AMAZON.RepeatIntent",
    "go home": "AMAZON.NavigateHomeIntent",
}


def interaction_model(locale: str = "en-US") -> Dict:
    return json.loads((MODELS / f"{locale}.json").read_text(encoding="utf-8"))["interactionModel"]["languageModel"]


def resolve(utterance: str, locale: str = "en-US") -> Tuple[str, Optional[Dict[str, str]]]:
    """The intent and slots Alexa would give for these words, by this skill's interaction model for the locale."""
    said = " ".join(utterance.lower().split())
    if said in BUILT_IN_PHRASES and locale == "en-US":
        return BUILT_IN_PHRASES[said], None
    best: Tuple[int, str, Optional[Dict[str, str]]] = (-1, "AMAZON.FallbackIntent", None)
    for intent in interaction_model(locale)["intents"]:
        for sample in intent.get("samples", []):
            if "{" not in sample:
                if sample.lower() == said:
                    return intent["name"], None
                continue
            slot = re.search(r"\{(\w+)\}", sample).group(1)
            pattern = re.escape(sample.lower()).replace(re.escape("{" + slot.lower() + "}"), "(?P<value>.+)")
            match = re.fullmatch(pattern, said)
            carrier_length = len(sample) - len(slot) - 2
            if match and carrier_length > best[0]:
                best = (carrier_length, intent["name"], {slot: match.group("value")})
    return best[1], best[2]


def request_for(utterance: str, at: Optional[dt.datetime] = None, locale: str = "en-US") -> Dict:
    name, slots = resolve(utterance, locale)
    return intent_request(name, slots, at, locale)


# --- a person talking to the skill ----------------------------------------------


@dataclasses.dataclass
class SkillReply:
    status: int
    body: Dict

    @property
    def response(self) -> Dict:
        return self.body.get("response", {})

    @property
    def ssml(self) -> str:
        return self.response.get("outputSpeech", {}).get("ssml", "")

    @property
    def speech(self) -> str:
        return spoken_words(self.ssml)

    @property
    def reprompt(self) -> str:
        return spoken_words(self.response.get("reprompt", {}).get("outputSpeech", {}).get("ssml", ""))

    @property
    def card(self) -> Dict:
        return self.response.get("card", {})

    @property
    def ends_session(self) -> bool:
        return self.response.get("shouldEndSession")


def spoken_words(ssml: str) -> str:
    """The words of an SSML document, as a listener hears them."""
    if not ssml:
        return ""
    from xml.etree import ElementTree as ET

    paused = re.sub(r"<break[^>]*/>", " ", ssml)  # a pause sits where the space between sentences was
    return " ".join("".join(ET.fromstring(paused).itertext()).split())


class SkillSession:
    """One Alexa user in one skill session, posting signed requests to the skill's endpoint."""

    def __init__(self, url: str, skill_id: str, signer: SigningCertificate, cert_url: str = CERT_URL,
                 user_id: Optional[str] = None, session_id: Optional[str] = None, locale: str = "en-US") -> None:
        self.url = url
        self.locale = locale
        self.skill_id = skill_id
        self.signer = signer
        self.cert_url = cert_url
        self.user_id = user_id or f"amzn1.ask.account.TEST{uuid.uuid4().hex.upper()}"
        self.session_id = session_id or f"amzn1.echo-api.session.{uuid.uuid4()}"
        self.attributes: Dict = {}
        self.started = False

    def body(self, request: Dict) -> bytes:
        data = envelope(request, self.skill_id, self.user_id, self.session_id, new=not self.started,
                        attributes=self.attributes)
        return json.dumps(data).encode("utf-8")

    def post(self, body: bytes, headers: Optional[Dict[str, str]] = None) -> SkillReply:
        headers = headers if headers is not None else signature_headers(body, self.signer, self.cert_url)
        reply = requests.post(self.url, data=body, headers=headers, timeout=30)
        try:
            data = reply.json()
        except ValueError:
            data = {"raw": reply.text}
        if reply.status_code == 200:
            self.started = True
            self.attributes = data.get("sessionAttributes") or {}
        return SkillReply(reply.status_code, data)

    def send(self, request: Dict) -> SkillReply:
        return self.post(self.body(request))

    def launch(self) -> SkillReply:
        return self.send(launch_request(locale=self.locale))

    def say(self, utterance: str) -> SkillReply:
        return self.send(request_for(utterance, locale=self.locale))

    def intent(self, name: str, slots: Optional[Dict[str, str]] = None) -> SkillReply:
        return self.send(intent_request(name, slots, locale=self.locale))

    def end(self, reason: str = "USER_INITIATED") -> SkillReply:
        return self.send(session_ended_request(reason))


def ask_response_problems(body: Dict) -> List[str]:
    """Everything that keeps a body from being a valid Alexa Skills Kit response, as sentences."""
    from xml.etree import ElementTree as ET

    problems: List[str] = []
    if body.get("version") != "1.0":
        problems.append('version is not "1.0"')
    response = body.get("response")
    if not isinstance(response, dict):
        return problems + ["response is not an object"]
    if "sessionAttributes" in body and not isinstance(body["sessionAttributes"], dict):
        problems.append("sessionAttributes is not an object")

    def check_speech(where: str, speech) -> None:
        if not isinstance(speech, dict) or speech.get("type") != "SSML":
            problems.append(f"{where} is not SSML")
            return
        markup = speech.get("ssml", "")
        if not markup.startswith("<speak>") or not markup.endswith("</speak>"):
            problems.append(f"{where} is not wrapped in <speak>")
        if len(markup) > 8000:
            problems.append(f"{where} is longer than 8000 characters")
        try:
            ET.fromstring(markup)
        except ET.ParseError as error:
            problems.append(f"{where} is not XML: {error}")

    check_speech("outputSpeech", response.get("outputSpeech"))
    if not isinstance(response.get("shouldEndSession"), bool):
        problems.append("shouldEndSession is not a boolean")
    card = response.get("card")
    if not isinstance(card, dict) or card.get("type") != "Simple" or not card.get("title") or not card.get("content"):
        problems.append("card is not a Simple card with title and content")
    if response.get("shouldEndSession") is False:
        reprompt = response.get("reprompt")
        if not isinstance(reprompt, dict):
            problems.append("session stays open without a reprompt")
        else:
            check_speech("reprompt", reprompt.get("outputSpeech"))
    elif "reprompt" in response:
        problems.append("session ends but a reprompt is set")
    return problems
