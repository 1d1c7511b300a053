"""Plumbing shared by the tests and the benchmarks: real servers on free loopback ports, clients that talk
to them as kiosks and trainers do, and synthesised speech.

A package, not a conftest, so benchmarks import it without importing pytest fixtures, and the tests'
conftest files stay thin (fixtures only). Nothing here mocks anything: every server is the real one.

- `testkit.servers`: free ports, a uvicorn app in a thread, a subprocess with health polling, stopping.
- `testkit.dialogue`: the Rasa + action servers as `make run` starts them, and a REST conversation.
- `testkit.kiosk`: the avatar bridge in a thread and a protocol v1 kiosk client over a real websocket.
- `testkit.speech`: a question as a microphone would send it (PCM16, 16 kHz), sent at real-time pace.
- `testkit.trainer`: a project copy the trainer may change, and the trainer's web app in a thread.
"""

# A Monday morning in term time: the hall is open, and 25 December (closed) is within the appointment
# window, so date rules are testable every day. The action server's test clock (LOBBY_NOW) is set to it.
PINNED_NOW = "2026-12-14T10:00:00"
