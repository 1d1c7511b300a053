"""A self-signed certificate for tests that put TLS in front of a server (made with the `openssl` CLI, which the
base system has; nothing is downloaded)."""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SelfSigned:
    cert: Path  # the certificate alone: what a client trusts
    pem: Path  # certificate + private key in one file: what HAProxy's `crt` takes

    def client_context(self) -> ssl.SSLContext:
        """Verifies the server against this certificate only (hostname checked too)."""
        return ssl.create_default_context(cafile=str(self.cert))


def self_signed(directory: Path, host: str = "localhost") -> SelfSigned:
    """An ECDSA P-256 certificate for `host` and 127.0.0.1, valid for a day."""
    cert, key, pem = directory / "cert.pem", directory / "key.pem", directory / "guide.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={host}",
         "-addext", f"subjectAltName=DNS:{host},IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    pem.chmod(0o600)
    return SelfSigned(cert, pem)
