"""Per-request plumbing for account security, as one small ASGI middleware.

It records where a request came from for the audit log ("web <client address>"; behind a proxy,
uvicorn's `--proxy-headers` makes that the real client), and, with `cookie_secure = auto`, marks the
session cookie `Secure` whenever the request arrived over https, so a deployment behind TLS gets
Secure cookies without a setting while plain-http development on 127.0.0.1 keeps working.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trainer import audit


class RequestContext:
    def __init__(self, app: ASGIApp, cookie_name: str, secure_on_https: bool) -> None:
        self.app, self.cookie = app, cookie_name.encode()
        self.secure_on_https = secure_on_https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client") or ("?", 0)
        audit.set_origin(f"web {client[0]}")
        if not (self.secure_on_https and scope.get("scheme") == "https"):
            await self.app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for key, value in message.get("headers", []):
                    if (
                        key.lower() == b"set-cookie"
                        and value.startswith(self.cookie + b"=")
                        and b"secure" not in value.lower()
                    ):
                        value += b"; secure"
                    headers.append((key, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_secure)
