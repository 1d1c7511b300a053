"""Command line for the voice engines: try them without the avatar or a browser.

python -m voice transcribe question.wav --model tiny.en
python -m voice speak "Window B12 is on floor 2." -o out.wav --timeline out.json --engine espeak
python -m voice normalize "Open 9:00–17:00, fee ¥30"
python -m voice models install
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from voice.errors import VoiceError


def _transcribe(args: argparse.Namespace) -> int:
    from voice.asr import DecodeOptions, Recognizer

    decode = DecodeOptions(beam_size=args.beam_size, encoder_window="full" if args.full_window else "fit")
    recognizer = Recognizer(args.model, language=args.language, decode=decode, bias=args.bias)
    transcript = recognizer.transcribe(args.file)
    if args.json:
        payload = {
            "text": transcript.text,
            "language": transcript.language,
            "confidence": transcript.confidence,
            "duration_ms": transcript.duration_ms,
            "elapsed_ms": transcript.elapsed_ms,
            "words": [vars(w) for w in transcript.words],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(transcript.text)
        print(
            f"[{transcript.language}, confidence {transcript.confidence:.2f}, "
            f"{transcript.duration_ms} ms of audio in {transcript.elapsed_ms} ms]",
            file=sys.stderr,
        )
    return 0


def _speak(args: argparse.Namespace) -> int:
    from voice.audio import write_wav
    from voice.tts import create_engine

    text = sys.stdin.read() if args.text == "-" else args.text
    engine = create_engine(args.engine, voice=args.voice, language=args.language or "en")
    speech = engine.synthesize(text, rate=args.rate, language=args.language, normalize=not args.no_normalize)
    write_wav(args.output, speech.audio, speech.sample_rate)
    if args.timeline:
        Path(args.timeline).write_text(json.dumps(speech.timeline(), ensure_ascii=False, indent=1), encoding="utf-8")
    print(
        f"wrote {args.output}: {speech.duration_ms} ms at {speech.sample_rate} Hz, {len(speech.words)} words, "
        f"{len(speech.visemes)} viseme events ({speech.engine}/{speech.voice})",
        file=sys.stderr,
    )
    return 0


def _normalize(args: argparse.Namespace) -> int:
    from voice.normalize import normalize_for_speech

    print(normalize_for_speech(args.text, args.language))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m voice",
        description="Lobby Guide voice engines: Whisper speech recognition and Piper/espeak-ng speech synthesis.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("transcribe", help="transcribe a WAV/FLAC/OGG file", description="Transcribe one utterance.")
    t.add_argument("file", help="audio file (any rate, mono or stereo)")
    t.add_argument("--model", default="base", help="base (default), tiny.en, or a CTranslate2 Whisper folder")
    t.add_argument("--language", default="en", help="en (default), zh, auto, or another Whisper language code")
    t.add_argument("--beam-size", type=int, default=1, help="1 = greedy, fastest (default); 5 = beam search")
    t.add_argument(
        "--bias",
        default="prompt",
        choices=["prompt", "hotwords", "both", "none"],
        help="domain biasing from the knowledge base's service names (default: prompt)",
    )
    t.add_argument("--full-window", action="store_true", help="encode a full 30 s window (slower; for comparison)")
    t.add_argument("--json", action="store_true", help="print text, confidence and word timings as JSON")
    t.set_defaults(func=_transcribe)

    s = sub.add_parser("speak", help="synthesise text to a WAV file", description="Synthesise text to speech.")
    s.add_argument("text", help='text to speak ("-" reads standard input)')
    s.add_argument("-o", "--output", required=True, help="output WAV file (mono PCM16, the voice's native rate)")
    s.add_argument("--timeline", help="also write word, phoneme and viseme timings to this JSON file")
    s.add_argument("--engine", default="piper", choices=["piper", "espeak"], help="TTS engine (default: piper)")
    s.add_argument("--voice", default=None, help="Piper voice name/.onnx path, or espeak-ng voice name")
    s.add_argument("--rate", type=float, default=1.0, help="speaking rate, 0.5-2.0 (elderly mode: 0.85)")
    s.add_argument("--language", default=None, help="language code (en, zh, ...); zh needs --engine espeak")
    s.add_argument("--no-normalize", action="store_true", help="speak the text exactly as written")
    s.set_defaults(func=_speak)

    n = sub.add_parser("normalize", help="show how text will be spoken", description="Print the spoken form.")
    n.add_argument("text")
    n.add_argument("--language", default="en")
    n.set_defaults(func=_normalize)

    m = sub.add_parser("models", help="install/verify model weights (same as python -m voice.models)", add_help=False)
    m.add_argument("rest", nargs=argparse.REMAINDER)
    m.set_defaults(func=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["models"]:
        from voice.models import main as models_main

        return models_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except VoiceError as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
