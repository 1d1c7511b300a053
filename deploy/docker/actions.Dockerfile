# The action server (rasa-sdk, Python 3.11; its protobuf pins clash with the bridge's, hence its own image).
#   docker build -f deploy/docker/actions.Dockerfile -t lobby-guide/actions .
FROM python:3.11-slim-bookworm
WORKDIR /app
# English word lists: a typed misspelling is told from a real word (actions/spelling.py, scripts/apt-packages.txt).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends wamerican wbritish \
    && rm -rf /var/lib/apt/lists/*
# Exactly the hash-pinned files of locks/actions.txt (make lock), as scripts/setup.sh installs them.
COPY locks/pip.txt locks/actions.txt locks/
RUN pip install --no-cache-dir --require-hashes --no-deps -r locks/pip.txt \
    && pip install --no-cache-dir --require-hashes --no-deps -r locks/actions.txt && pip check
COPY . .
ENV PYTHONPATH=/app
# The service retriever's passage embeddings for this knowledge base, built into the image.
RUN python -m sentence_encoder.weights install && python -m actions.retriever
EXPOSE 5055
CMD ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"]
