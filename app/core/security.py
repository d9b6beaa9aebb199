"""Security primitives: password hashing, session tokens, CSRF tokens, response headers."""

import hashlib
import hmac
import secrets
from functools import cache
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# Argon2id with pwdlib's defaults; verify_and_update re-hashes when they change.
passwords = PasswordHash((Argon2Hasher(),))

MIN_PASSWORD_LENGTH = 8
_COMMON = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """Passwords too common to allow: the usual lists plus this product's demo password."""
    words = (w.strip().lower() for w in _COMMON.read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


def new_token() -> str:
    """A session token: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, so a leaked table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret: str, session_key: str) -> str:
    """The CSRF token of a session: an HMAC of the session, so it needs no storage."""
    return hmac.new(secret.encode(), f"csrf:{session_key}".encode(), hashlib.sha256).hexdigest()


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given, expected)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def security_headers(nonce: str) -> dict[str, str]:
    """Headers every response carries; scripts run only from this origin or with the nonce."""
    csp = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            # plotly.js sets inline styles on the charts it draws.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
