"""Who may see the newsroom: anyone on this machine by default, only visitors with the access
token or the basic-auth password when it listens on other interfaces."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

TOKEN_COOKIE = "newswire_ui_token"


class UnsafeBind(ValueError):
    """Listening beyond loopback with no way to keep strangers out."""


@dataclass(frozen=True)
class Access:
    token: str | None = None
    username: str | None = None
    password: str | None = None

    @property
    def required(self) -> bool:
        return bool(self.token or self.password)

    def cookie_value(self) -> str:
        """What the browser keeps after presenting the token once: a digest, not the token."""
        return hashlib.sha256(f"newswire-ui:{self.token}".encode()).hexdigest()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, access: Access, allow_unauthenticated: bool) -> None:
    if is_loopback(host) or access.required or allow_unauthenticated:
        return
    raise UnsafeBind(
        f"refusing to listen on {host} without access control: set NEWSWIRE_UI_TOKEN (or "
        "NEWSWIRE_UI_USERNAME and NEWSWIRE_UI_PASSWORD), or pass --allow-unauthenticated if "
        "the network in front of it is trusted"
    )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def allowed(
    access: Access,
    authorization: str | None,
    cookie: str | None,
    query_token: str | None,
) -> bool:
    """Whether a request may proceed: no access control, or the token (Authorization: Bearer,
    the cookie set after ?token=, or ?token= itself), or the basic-auth user and password."""
    if not access.required:
        return True
    if access.token:
        if cookie and _same(cookie, access.cookie_value()):
            return True
        if query_token and _same(query_token, access.token):
            return True
        bearer = authorization or ""
        if bearer.startswith("Bearer ") and _same(bearer[len("Bearer ") :].strip(), access.token):
            return True
    if access.password and authorization and authorization.startswith("Basic "):
        try:
            decoded = base64.b64decode(authorization[len("Basic ") :], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        return _same(user, access.username or "") & _same(password, access.password)
    return False
