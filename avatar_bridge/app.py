"""FastAPI app: `/ws` runs one Pipecat pipeline per kiosk connection; `/health` and `/metrics`.

Pipeline per connection (`build_pipeline`; `run_session` runs it for the life of the connection):
    transport.input() -> SessionController -> HandsFreeVAD (Silero) -> TurnTaker (Smart-Turn v3)
    -> VoiceSTTService -> RasaProcessor -> SpeechSynthesizer -> transport.output()
The stages coordinate with frames (avatar_bridge/frames.py), not callbacks.
Models (Whisper, Piper) load once per process at start-up and are shared; the
kiosk file may name other ASR models or voices, which load at start-up too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, WebSocket
from fastapi.responses import PlainTextResponse
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport
from pipecat.workers.runner import WorkerRunner

from avatar_bridge import protocol
from avatar_bridge.access import SessionAccess
from avatar_bridge.admin_routes import mount_admin
from avatar_bridge.admission import Seats
from avatar_bridge.asr_scheduler import DecodeScheduler
from avatar_bridge.config import BridgeConfig
from avatar_bridge.controller import SessionController, SessionSettings
from avatar_bridge.frames import Errors
from avatar_bridge.gatekeeper import Gatekeeper
from avatar_bridge.logs import quiet_client_faults
from avatar_bridge.metrics import BridgeMetrics
from avatar_bridge.pipecat_compat import check_versions
from avatar_bridge.rasa import APOLOGIES, APOLOGY, RasaClient, RasaProcessor
from avatar_bridge.recordings import Recorder
from avatar_bridge.send_deadline import SendDeadline
from avatar_bridge.serializer import AudioRateLimit, KioskSerializer
from avatar_bridge.sessions import LiveConnection, LiveConnections, SessionBook
from avatar_bridge.state import SessionState
from avatar_bridge.stt import VoiceSTTService
from avatar_bridge.tts import SpeechSynthesizer, voice_for
from avatar_bridge.tts_pool import SynthesisPool
from avatar_bridge.turns import HandsFreeVAD, TurnSettings, TurnTaker
from voice.whisper_compat import check_version as check_whisper

_LOG = logging.getLogger(__name__)
OUT_10MS_CHUNKS = 2  # 20 ms audio packets to the client


@dataclass
class Engines:
    """The speech models, loaded once and shared by every session. Extra ASR models / voices named in the
    kiosk file are kept by name in `recognizers` / `voices`. `asr` and `speech` are the queues every session's
    decodes and syntheses go through (finals before partials, first sentences first)."""

    recognizer: object
    tts: object
    recognizers: dict[str, object] = field(default_factory=dict)
    voices: dict[str, object] = field(default_factory=dict)
    tts_variation: float = 1.0
    asr: DecodeScheduler = field(default_factory=DecodeScheduler)
    speech: SynthesisPool = field(default_factory=SynthesisPool)

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
        speech = SynthesisPool(later_slack_s=config.tts_later_slack_s)
        engines = cls(recognizer, tts, tts_variation=config.tts_variation, speech=speech)
        for kiosk in config.kiosks.values():  # load what the kiosks need now, not during a citizen's turn
            engines.recognizer_for(kiosk.get("asr_model"))
            engines.tts_for(kiosk.get("voice"))
        from kb.languages import enabled_languages
        from voice.tts import engine_for_language

        for language in enabled_languages():  # the Mandarin voice too: loading it cost the first Chinese reply ~0.5 s
            if language not in getattr(tts, "languages", ()):
                engine_for_language(language)
        return engines

    def prepare_apologies(self, config: BridgeConfig) -> int:
        """The apology for a failed turn, synthesised in every enabled language at the normal and the elderly
        rate before the first kiosk connects (avatar_bridge/tts_pool.py: heard without waiting for synthesis)."""
        from kb.languages import enabled_languages

        prepared = 0
        for language in enabled_languages():
            engine = voice_for(self.tts, language)  # the very engine a session of the bridge's voice speaks with
            for rate in {config.speaking_rate, config.speaking_rate * config.elderly_rate}:
                try:
                    prepared += self.speech.prepare(engine, APOLOGIES.get(language, APOLOGY), rate, language)
                except Exception as exc:  # a voice that fails here fails in turns too: tts.py says so per reply
                    _LOG.warning("apology (%s, rate %.2f) not prepared: %s; it is synthesised when needed",
                                 language, rate, exc)  # fmt: skip
        return prepared

    def recognizer_for(self, model: str | None):
        if not model or model == getattr(self.recognizer, "model_name", None):
            return self.recognizer
        if model not in self.recognizers:
            from voice.asr import Recognizer

            self.recognizers[model] = Recognizer(model)
        return self.recognizers[model]

    def tts_for(self, voice: str | None):
        if not voice:
            return self.tts
        if voice not in self.voices:
            from voice.tts.piper_engine import PiperEngine

            engine = PiperEngine(voice, variation=self.tts_variation)
            if engine.sample_rate != self.tts.sample_rate:
                raise ValueError(
                    f"voice {voice!r} speaks at {engine.sample_rate} Hz; the bridge's voice at "
                    f"{self.tts.sample_rate} Hz (one output rate per bridge)"
                )
            self.voices[voice] = engine
        return self.voices[voice]


def kiosk_transport(
    websocket: WebSocket,
    state: SessionState,
    config: BridgeConfig,
    out_rate: int,
    seats: Seats | None = None,
    access: SessionAccess | None = None,
):
    """The websocket as a Pipecat transport speaking protocol v1 (docs/protocol.md)."""
    serializer = KioskSerializer(
        state,
        audio_limit=AudioRateLimit(margin=config.audio_rate_margin, burst_s=config.audio_burst_s),
        token=config.token,
        default_mode=config.mode,
        hands_free_seats=seats,
        access=access,
    )
    return FastAPIWebsocketTransport(
        websocket,
        FastAPIWebsocketParams(
            serializer=serializer,
            audio_in_enabled=True,
            audio_in_sample_rate=protocol.INPUT_SAMPLE_RATE,
            audio_out_enabled=True,
            audio_out_sample_rate=out_rate,
            audio_out_10ms_chunks=OUT_10MS_CHUNKS,
            audio_out_auto_silence=False,
            audio_out_end_silence_secs=0,
            allowed_origins=[],
        ),
    )


def build_pipeline(
    transport,
    state: SessionState,
    config: BridgeConfig,
    engines: Engines,
    metrics: BridgeMetrics,
    rasa: RasaClient,
    recorder: Recorder | None = None,
    close: Callable[[int, dict], Awaitable[None]] | None = None,
) -> Pipeline:
    """One kiosk's stages, in the order frames flow (see avatar_bridge/frames.py for how they coordinate)."""
    out_rate = engines.tts.sample_rate
    errors = Errors(count=metrics.error)
    turn_settings = TurnSettings(
        vad_start_s=config.vad_start_s,
        vad_stop_s=config.vad_stop_s,
        vad_min_volume=config.vad_min_volume,
        elderly_end_silence_s=config.elderly_end_silence_s,
        echo_dbfs=config.echo_dbfs,
    )
    session_settings = SessionSettings(
        inactivity_s=config.inactivity_s,
        max_messages_per_s=config.max_messages_per_s,
        out_sample_rate=out_rate,
        profile=config.profile,
        elderly_rate=config.elderly_rate,
        max_hands_free=config.max_hands_free,
        hello_timeout_s=config.hello_timeout_s,
        max_age_s=config.session_max_s,
    )
    return Pipeline(
        [
            transport.input(),
            SessionController(state, session_settings, close, errors=errors),
            HandsFreeVAD(state, turn_settings),
            TurnTaker(state, turn_settings),
            VoiceSTTService(
                engines.recognizer,
                state,
                partial_interval_s=config.partial_interval_s,
                recorder=recorder,
                vad_stop_s=config.vad_stop_s,
                recognizers=engines.recognizer_for,
                errors=errors,
                scheduler=engines.asr,
            ),
            RasaProcessor(rasa, state, errors=errors),
            SpeechSynthesizer(
                engines.tts,
                state,
                rate=config.speaking_rate,
                on_turn=metrics.turn,
                packet_bytes=out_rate // 100 * 2 * OUT_10MS_CHUNKS,
                elderly_rate=config.elderly_rate,
                voices=engines.tts_for,
                errors=errors,
                pool=engines.speech,
            ),
            transport.output(),
        ]
    )


async def run_session(
    websocket: WebSocket,
    config: BridgeConfig,
    engines: Engines,
    metrics: BridgeMetrics,
    recorder: Recorder | None = None,
    book: SessionBook | None = None,
    seats: Seats | None = None,
    access: SessionAccess | None = None,
    connections: LiveConnections | None = None,
) -> None:
    """One kiosk connection, from accept to close: its state, its pipeline, and what is kept when it ends.
    `connections`: where an administrator finds it to end its conversation (avatar_bridge/admin_routes.py)."""
    state = SessionState(speaking_rate=config.speaking_rate, end_silence_s=config.end_silence_s, book=book)
    transport = kiosk_transport(websocket, state, config, engines.tts.sample_rate, seats, access)

    async def close(code: int, error: dict) -> None:
        with contextlib.suppress(Exception):
            await websocket.send_json(error)
            await websocket.close(code, error["code"])

    live = LiveConnection(state, lambda: access.kind if access is not None else "kiosk", close)
    rasa = RasaClient(
        config.rasa_url, config.rasa_timeout_s, config.rasa_retries, deadline_s=config.rasa_deadline_s or None
    )
    pipeline = build_pipeline(transport, state, config, engines, metrics, rasa, recorder, close)
    worker = PipelineWorker(
        pipeline,
        params=PipelineParams(
            audio_in_sample_rate=protocol.INPUT_SAMPLE_RATE,
            audio_out_sample_rate=engines.tts.sample_rate,
            enable_metrics=True,
        ),
        enable_rtvi=False,
        idle_timeout_secs=None,
        check_dangling_tasks=False,
    )

    @transport.event_handler("on_client_disconnected")
    async def _disconnected(_transport, _ws):
        _LOG.info("session %s: client disconnected", state.session_id)
        await worker.cancel()

    runner = WorkerRunner(handle_sigint=False)
    if connections is not None:
        connections.add(live)
    try:
        await runner.add_workers(worker)
        await runner.run()
    finally:
        if connections is not None:
            connections.remove(live)
        if seats is not None:
            seats.give_back(state)
        await rasa.aclose()
        if book is not None and state.hello:
            book.left(state.session_id, state.last_activity)


def create_app(config: BridgeConfig, engines: Engines | None = None) -> FastAPI:
    check_versions()  # Pipecat and faster-whisper internals: fail here, clearly, after an upgrade
    check_whisper()
    gatekeeper = Gatekeeper.from_config(config)  # Origin allowlist, kiosk secrets, web limits (access.py); first,
    # so a broken kiosk secrets file stops the start before the speech models load
    quiet_client_faults()  # a client's malformed frame is a warning, not a traceback (avatar_bridge/logs.py)
    app = FastAPI(title="Lobby Guide avatar bridge")
    app.state.config = config
    app.state.metrics = metrics = BridgeMetrics()
    book = SessionBook.from_secret(config.session_secret, config.inactivity_s, config.redis_url, config.session_max_s)
    connections = LiveConnections(config.inactivity_s)  # who holds which conversation, for the admin routes
    # before the models load, so a broken admin token file stops the start at once (404 without a token)
    admin = mount_admin(app, config, connections, book, Errors(metrics.error).message)
    app.state.engines = engines or Engines.load(config)
    app.state.engines.prepare_apologies(config)  # before the first kiosk: the apology never waits for synthesis
    recorder = Recorder(Path(config.recordings_dir), config.retention_days) if config.recordings_dir else None
    gate = asyncio.Lock()
    hands_free = Seats(config.max_hands_free)  # admission control (avatar_bridge/admission.py)

    @app.get("/health")
    async def health():
        return {
            "status": "ok",
            "protocol": protocol.VERSION,
            "active_sessions": metrics.active_sessions,
            "max_sessions": config.max_sessions,
            "hands_free_sessions": hands_free.taken,
            "max_hands_free": config.max_hands_free,
            **gatekeeper.health(),
        }

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus():
        engines = app.state.engines
        return (
            metrics.render(queues={"asr": engines.asr.counters, "tts": engines.speech.counters})
            + gatekeeper.metrics()
            + (admin.metrics() if admin is not None else "")
        )

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        if not gatekeeper.handshake(websocket):
            await websocket.close(1008)  # before accept: the client gets HTTP 403, no websocket
            return
        access = gatekeeper.connection(websocket)
        await websocket.accept()
        async with gate:
            refused = metrics.active_sessions >= config.max_sessions
            if refused:
                metrics.refused_total += 1
            else:
                metrics.active_sessions += 1
                metrics.sessions_total += 1
        if refused:
            await websocket.send_json(
                Errors(metrics.error).message(
                    "too_many_sessions", f"this bridge serves {config.max_sessions} kiosks at most"
                )
            )
            await websocket.close(1013, "too many sessions")
            return
        try:
            await run_session(
                websocket, config, app.state.engines, metrics, recorder, book, hands_free, access, connections
            )
        except Exception:
            _LOG.exception("session crashed")
        finally:
            access.release()
            metrics.active_sessions -= 1

    # a kiosk that stops reading is dropped, not waited for (avatar_bridge/send_deadline.py)
    app.add_middleware(SendDeadline, timeout_s=config.send_timeout_s, on_drop=lambda: metrics.error("slow_client"))

    from avatar_bridge.web_routes import mount_web  # the kiosk page and the chat widget (docs/web.md)

    mount_web(app, kb_dir=config.kb_dir)
    return app
