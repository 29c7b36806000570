"""Protection of confidential fields (petitioner identity, accusation materials).

National art. 8 binds petition staff to secrecy, and Chongqing art. 11(八) makes
leaking an accuser's materials to the accused a failure of its own: the graph
must never be that channel. A field declared ``confidential`` in the model is
therefore never stored in plain text. For such a field ``f`` the graph holds:

* ``f_enc``: the value encrypted with Fernet (AES-128-CBC + HMAC-SHA256),
  readable only with the secret key, by roles entitled to it;
* ``f_digest``: a keyed HMAC of the exact value, so that a reload re-encrypts
  only when the value really changed (the graph stays byte-identical);
* ``f_pseudonym`` (for identity fields, type ``string``): a keyed HMAC of the
  *normalised* value, so the same petitioner counts once across matters
  without revealing who it is.

The secret is ``settings.secret_key`` or, when unset, a Fernet key generated
once into ``settings.data_dir / "secret.key"`` (mode 0600).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import tempfile
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .model import Field

if TYPE_CHECKING:  # the settings are the caller's: the store port and the rules import this module without them
    from zeren.config import Settings

KEY_FILE = "secret.key"


def encrypted_name(field: str) -> str:
    """Property holding the ciphertext of a confidential field."""
    return f"{field}_enc"


def digest_name(field: str) -> str:
    """Property holding the keyed digest of a confidential field's exact value."""
    return f"{field}_digest"


def pseudonym_name(field: str) -> str:
    """Property holding the pseudonym of a confidential identity field."""
    return f"{field}_pseudonym"


def has_pseudonym(field: Field) -> bool:
    """Identity-like confidential fields (short strings) get a pseudonym;
    free-text materials (type ``text``) do not: a pseudonym of a text would
    only reveal that two accusations are word for word the same."""
    return field.confidential and field.type == "string"


def stored_names(field: Field) -> tuple[str, ...]:
    """Every property the loader writes for a confidential field."""
    names = (encrypted_name(field.name), digest_name(field.name))
    return (*names, pseudonym_name(field.name)) if has_pseudonym(field) else names


def normalise_identity(value: str) -> str:
    """The form a pseudonym is computed from: Unicode NFKC (full-width forms
    folded), runs of whitespace (including the ideographic space) collapsed to
    one space, trimmed, case-folded."""
    return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()


class ConfidentialKeyError(Exception):
    """The secret key is missing, malformed or not private enough."""


class Protector:
    """Encrypts, digests and pseudonymises confidential values with one secret."""

    def __init__(self, key: bytes | str) -> None:
        raw = key.encode("ascii") if isinstance(key, str) else key
        try:
            self._fernet = Fernet(raw)
        except (ValueError, TypeError) as e:
            raise ConfidentialKeyError(
                "the secret key is not a Fernet key (32 bytes, URL-safe base64, 44 characters)") from e
        self._pseudonym_key = _derive(raw, b"zeren pseudonym v1")
        self._digest_key = _derive(raw, b"zeren digest v1")

    @classmethod
    def from_settings(cls, settings: Settings) -> Protector:
        """The protector for the configured secret (generated once if unset)."""
        if settings.secret_key:
            return cls(settings.secret_key)
        return cls(load_or_create_key(Path(settings.data_dir) / KEY_FILE))

    def encrypt(self, plain: str) -> str:
        """Randomised encryption: the same value gives a different token each time."""
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as e:
            raise ConfidentialKeyError("the value was not encrypted with this secret key") from e

    def pseudonym(self, value: str) -> str:
        """Stable keyed pseudonym (HMAC-SHA256, hex) of the normalised value."""
        return _hmac(self._pseudonym_key, normalise_identity(value))

    def digest(self, value: str) -> str:
        """Keyed digest (HMAC-SHA256, hex) of the exact value."""
        return _hmac(self._digest_key, value)


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


def _hmac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def load_or_create_key(path: Path) -> bytes:
    """Read the key file, or create it (mode 0600) atomically if absent.

    Two processes racing to create it end up with the same key: the file is
    written under a temporary name and linked into place only if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfidentialKeyError(f"the secret key file {path} is readable by others (mode {mode:o}); "
                                   f"restrict it with: chmod 600 {path}")
    return path.read_bytes().strip()
