# The action server (rasa-sdk, Python 3.11; its protobuf pins clash with the bridge's, hence its own image).
#   docker build -f deploy/docker/actions.Dockerfile -t lobby-guide/actions .
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY actions/requirements.txt actions/constraints.txt actions/
RUN pip install --no-cache-dir -r actions/requirements.txt -c actions/constraints.txt
COPY . .
ENV PYTHONPATH=/app
# The service retriever's passage embeddings for this knowledge base, built into the image.
RUN python -m sentence_encoder.weights install && python -m actions.retriever
EXPOSE 5055
CMD ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"]
