"""Avatar bridge: the kiosk websocket that runs the turn pipeline (Pipecat) and drives the avatar."""
