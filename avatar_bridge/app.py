"""FastAPI app: `/ws` runs one Pipecat pipeline per kiosk connection; `/health` and `/metrics`.

Pipeline per connection:
    transport.input() -> SessionController -> VoiceSTTService -> RasaProcessor -> SpeechSynthesizer
    -> transport.output()
Models (Whisper, Piper) load once per process at start-up and are shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from fastapi import FastAPI, WebSocket
from fastapi.responses import PlainTextResponse
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport
from pipecat.workers.runner import WorkerRunner

from avatar_bridge import protocol
from avatar_bridge.config import BridgeConfig
from avatar_bridge.controller import SessionController, SessionSettings
from avatar_bridge.metrics import BridgeMetrics
from avatar_bridge.rasa import RasaClient, RasaProcessor
from avatar_bridge.serializer import KioskSerializer
from avatar_bridge.state import SessionState
from avatar_bridge.stt import VoiceSTTService
from avatar_bridge.tts import SpeechSynthesizer

_LOG = logging.getLogger(__name__)
OUT_10MS_CHUNKS = 2  # 20 ms audio packets to the client


@dataclass
class Engines:
    recognizer: object
    tts: object

    @classmethod
    def load(cls, config: BridgeConfig) -> Engines:
        from voice.asr import Recognizer
        from voice.tts import create_engine
        from voice.tts.piper_engine import PiperEngine

        recognizer = Recognizer(config.asr_model)
        if config.tts == "piper" and config.tts_variation != 1.0:
            tts = PiperEngine(variation=config.tts_variation)
        else:
            tts = create_engine(config.tts)
        return cls(recognizer, tts)


class CountingSerializer(KioskSerializer):
    def __init__(self, state: SessionState, metrics: BridgeMetrics):
        super().__init__(state)
        self.metrics = metrics

    async def serialize(self, frame):
        data = await super().serialize(frame)
        if isinstance(data, str) and data.startswith('{"type":"error"'):
            self.metrics.error(data.split('"code":"', 1)[1].split('"', 1)[0])
        return data


async def run_session(websocket: WebSocket, config: BridgeConfig, engines: Engines, metrics: BridgeMetrics) -> None:
    state = SessionState()
    sample_rate = engines.tts.sample_rate
    transport = FastAPIWebsocketTransport(websocket, FastAPIWebsocketParams(
        serializer=CountingSerializer(state, metrics), audio_in_enabled=True,
        audio_in_sample_rate=protocol.INPUT_SAMPLE_RATE, audio_out_enabled=True, audio_out_sample_rate=sample_rate,
        audio_out_10ms_chunks=OUT_10MS_CHUNKS, audio_out_auto_silence=False, audio_out_end_silence_secs=0,
        allowed_origins=[]))

    async def close(code: int, error: dict) -> None:
        metrics.error(error["code"])
        with contextlib.suppress(Exception):
            await websocket.send_json(error)
            await websocket.close(code, error["code"])

    settings = SessionSettings(token=config.token, inactivity_s=config.inactivity_s,
                               max_messages_per_s=config.max_messages_per_s, out_sample_rate=sample_rate)
    rasa = RasaClient(config.rasa_url, config.rasa_timeout_s, config.rasa_retries)
    pipeline = Pipeline([
        transport.input(),
        SessionController(state, settings, close),
        VoiceSTTService(engines.recognizer),
        RasaProcessor(rasa, state),
        SpeechSynthesizer(engines.tts, state, rate=config.speaking_rate, on_turn=metrics.turn,
                          packet_bytes=sample_rate // 100 * 2 * OUT_10MS_CHUNKS),
        transport.output(),
    ])
    worker = PipelineWorker(
        pipeline,
        params=PipelineParams(audio_in_sample_rate=protocol.INPUT_SAMPLE_RATE, audio_out_sample_rate=sample_rate,
                              enable_metrics=True),
        enable_rtvi=False, idle_timeout_secs=None, check_dangling_tasks=False,
    )

    @transport.event_handler("on_client_disconnected")
    async def _disconnected(_transport, _ws):
        _LOG.info("session %s: client disconnected", state.session_id)
        await worker.cancel()

    runner = WorkerRunner(handle_sigint=False)
    try:
        await runner.add_workers(worker)
        await runner.run()
    finally:
        await rasa.aclose()


def create_app(config: BridgeConfig, engines: Engines | None = None) -> FastAPI:
    app = FastAPI(title="Lobby Guide avatar bridge")
    app.state.config = config
    app.state.engines = engines or Engines.load(config)
    app.state.metrics = metrics = BridgeMetrics()
    gate = asyncio.Lock()

    @app.get("/health")
    async def health():
        return {"status": "ok", "protocol": protocol.VERSION, "active_sessions": metrics.active_sessions,
                "max_sessions": config.max_sessions}

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus():
        return metrics.render()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        async with gate:
            refused = metrics.active_sessions >= config.max_sessions
            if refused:
                metrics.refused_total += 1
            else:
                metrics.active_sessions += 1
                metrics.sessions_total += 1
        if refused:
            metrics.error("too_many_sessions")
            await websocket.send_json(protocol.error("too_many_sessions",
                                                     f"this bridge serves {config.max_sessions} kiosks at most"))
            await websocket.close(1013, "too many sessions")
            return
        try:
            await run_session(websocket, config, app.state.engines, metrics)
        except Exception:
            _LOG.exception("session crashed")
        finally:
            metrics.active_sessions -= 1

    return app
