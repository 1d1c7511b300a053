"""Parse the held-back test phrases with a trained model (runs inside the Rasa environment).

    .venv/rasa/bin/python trainer/rasa_eval.py MODEL.tar.gz EXAMPLES.json OUT.json [ACTION_URL]

Standalone on purpose: the Rasa environment has pydantic 1 and cannot import the trainer package.
Writes one prediction per example (intent, confidence, ranking) and prints progress lines. With an
action server URL, examples marked `converse` are also answered as the first turn of a new conversation
(in memory), and the bot's messages are kept, so the trainer can see which service the citizen was told.
"""

import asyncio
import json
import sys

import nlu.rasa_cli  # noqa: F401  (installs the warning filters before Rasa is imported)


async def _run(model: str, examples: list[dict], action_url: str | None) -> list[dict]:
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    print("loading the model", flush=True)
    agent = Agent.load(model, action_endpoint=EndpointConfig(url=action_url) if action_url else None)
    out = []
    for i, ex in enumerate(examples, 1):
        parsed = await agent.parse_message(ex["text"])
        ranking = [{"name": r["name"], "confidence": r["confidence"]} for r in parsed.get("intent_ranking", [])]
        out.append(
            {
                "text": ex["text"],
                "intent": parsed["intent"]["name"],
                "confidence": parsed["intent"].get("confidence"),
                "ranking": ranking[:5],
            }
        )
        if action_url and ex.get("converse"):
            messages = await agent.handle_text(ex["text"], sender_id=f"trainer-eval-{i}")
            out[-1]["messages"] = [{k: m.get(k) for k in ("text", "custom", "buttons")} for m in messages or []]
        if i % 20 == 0 or i == len(examples):
            print(f"parsed {i}/{len(examples)}", flush=True)
    return out


def main() -> int:
    model, examples_path, out_path = sys.argv[1:4]
    action_url = sys.argv[4] if len(sys.argv) > 4 else None
    with open(examples_path) as f:
        examples = json.load(f)
    predictions = asyncio.run(_run(model, examples, action_url))
    with open(out_path, "w") as f:
        json.dump(predictions, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
