"""Parse the held-back test phrases with a trained model (runs inside the Rasa environment).

    .venv/rasa/bin/python trainer/rasa_eval.py MODEL.tar.gz EXAMPLES.json OUT.json

Standalone on purpose: the Rasa environment has pydantic 1 and cannot import the trainer package.
Writes one prediction per example (intent, confidence, ranking) and prints progress lines.
"""

import asyncio
import json
import sys

import nlu.rasa_cli  # noqa: F401  (installs the warning filters before Rasa is imported)


async def _run(model: str, examples: list[dict]) -> list[dict]:
    from rasa.core.agent import Agent

    print("loading the model", flush=True)
    agent = Agent.load(model)
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
        if i % 20 == 0 or i == len(examples):
            print(f"parsed {i}/{len(examples)}", flush=True)
    return out


def main() -> int:
    model, examples_path, out_path = sys.argv[1:4]
    with open(examples_path) as f:
        examples = json.load(f)
    predictions = asyncio.run(_run(model, examples))
    with open(out_path, "w") as f:
        json.dump(predictions, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
