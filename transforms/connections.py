"""Connection settings for Elasticsearch, with secrets that never print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Secret:
    """A credential: its value is only handed to the client, never shown in reprs or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class EsConnection:
    url: str = "http://127.0.0.1:9200"
    cloud_id: str | None = None
    username: str | None = None
    password: Secret | None = None
    api_key: Secret | None = None
    ca_file: str | None = None
    verify_certs: bool = True

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.cloud_id:
            kwargs["cloud_id"] = self.cloud_id
        else:
            kwargs["hosts"] = [u.strip() for u in self.url.split(",") if u.strip()]
        if self.api_key is not None:
            kwargs["api_key"] = self.api_key.reveal()
        elif self.username:
            password = self.password.reveal() if self.password else ""
            kwargs["basic_auth"] = (self.username, password)
        if self.ca_file:
            kwargs["ca_certs"] = self.ca_file
        if not self.verify_certs:
            kwargs["verify_certs"] = False
        return kwargs
