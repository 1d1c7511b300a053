"""Talk to the running guide in a terminal, over the same REST channel the bridge uses.

Buttons are numbered: type the number to press one. Cards are summarised on one
line so you can see what a kiosk would draw. Ctrl-D or "/quit" leaves.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid

import httpx


def show(messages: list[dict]) -> list[dict]:
    pressed: list[dict] = []
    for m in messages:
        if m.get("text"):
            print(f"guide> {m['text']}")
        for b in m.get("buttons") or []:
            pressed.append(b)
            print(f"   [{len(pressed)}] {b['title']}")
        card = (m.get("custom") or {}).get("data") if isinstance(m.get("custom"), dict) else None
        if card:
            label = card.get("service_id") or card.get("kind")
            fields = ",".join(card.get("fields", {}))
            print(f"   (card: {card.get('kind')}/{card.get('topic')} {label} fields={fields})")
    return pressed


def main() -> int:
    parser = argparse.ArgumentParser(prog="make chat", description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('LOBBY_RASA_PORT', '5005')}")
    parser.add_argument("--kiosk", default="entrance", help="kiosk id the directions are relative to")
    args = parser.parse_args()
    sender = f"chat-{uuid.uuid4().hex[:8]}"
    print("Lobby Guide terminal chat. Type a question; a number presses a button; Ctrl-D quits.")
    buttons: list[dict] = []
    with httpx.Client(timeout=30) as client:
        while True:
            try:
                text = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if text in ("/quit", "/exit"):
                return 0
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            try:
                body = {"sender": sender, "message": text, "metadata": {"kiosk_id": args.kiosk}}
                r = client.post(f"{args.url}/webhooks/rest/webhook", json=body)
                r.raise_for_status()
            except httpx.HTTPError as exc:
                print(f"(cannot reach the guide at {args.url}: {exc}. Is `make run` running?)", file=sys.stderr)
                continue
            buttons = show(r.json())
            if not r.json():
                print("guide> (no answer)")
        return 0


if __name__ == "__main__":
    sys.exit(main())
