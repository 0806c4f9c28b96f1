"""The HTTP ground floor shared by the metrics source's client (core/victoria.py) and the write-back's
(core/writeback.py): credentials from the environment or a file (read once, never logged), the httpx client built
from them, redaction of every secret from what a server answers, and VictoriaMetrics' force_flush."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

log = logging.getLogger(__name__)


def read_secret(env_name: str, file_env_name: str, configured_file: Path | None, error: type[Exception]) -> str | None:
    """The secret in `env_name`, else in the file `file_env_name` names, else in `configured_file`; a file that
    cannot be read raises `error` in one line naming the variable."""
    value = os.environ.get(env_name)
    if value:
        return value.strip()
    file_name = os.environ.get(file_env_name) or (str(configured_file) if configured_file else None)
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as reason:
            raise error(f"cannot read the secret file named by {file_env_name}: {reason.strerror}") from None
    return None


@dataclass(frozen=True)
class Credentials:
    """A bearer token, or a basic-auth user and password (the token wins when both are set)."""

    token: str | None
    user: str | None
    password: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    @property
    def auth(self) -> tuple[str, str] | None:
        if not self.token and self.user and self.password is not None:
            return (self.user, self.password)
        return None

    @property
    def secrets(self) -> list[str]:
        """What must never be repeated in a message (a server may echo what it was sent)."""
        return [secret for secret in (self.token, self.password) if secret]


class CredentialSettings(Protocol):
    """The credential fields the source's and the write-back's settings share."""

    @property
    def bearer_token_file(self) -> Path | None: ...
    @property
    def basic_auth_user(self) -> str | None: ...
    @property
    def basic_auth_password_file(self) -> Path | None: ...


def read_credentials(prefix: str, config: CredentialSettings, error: type[Exception]) -> Credentials:
    """`{prefix}_BEARER_TOKEN[_FILE]`, `{prefix}_USER` and `{prefix}_PASSWORD[_FILE]`, each over the file or user
    `config` names."""
    token = read_secret(f"{prefix}_BEARER_TOKEN", f"{prefix}_BEARER_TOKEN_FILE", config.bearer_token_file, error)
    user = os.environ.get(f"{prefix}_USER") or config.basic_auth_user
    password = read_secret(f"{prefix}_PASSWORD", f"{prefix}_PASSWORD_FILE", config.basic_auth_password_file, error)
    return Credentials(token, user, password)


def http_client(credentials: Credentials, timeout_seconds: float, verify_tls: bool, base_url: str = "") -> httpx.Client:
    """An httpx client with the credentials, the timeout (connecting takes at most 10 s of it) and TLS check."""
    return httpx.Client(
        base_url=base_url,
        headers=credentials.headers,
        auth=credentials.auth,
        timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 10.0)),
        verify=verify_tls,
    )


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


def force_flush(http: httpx.Client, url: str) -> None:
    """VictoriaMetrics buffers recent imports; make them visible to queries (a failure is only logged)."""
    try:
        http.get(url)
    except httpx.HTTPError as error:
        log.debug("force_flush failed: %s", error)
