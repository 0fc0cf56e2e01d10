# The model-server image: `python -m components.serve` serving the model named by the MODEL_URI
# environment variable (a Rollout sets it from its `sluicegate.io/model-uri` annotation through the
# downward API). Built and pushed by .github/workflows/main.yml.
#   docker build -f docker/model-server.Dockerfile -t REGISTRY/model-server:TAG .
# Non-root, read-only-root friendly: the model cache and metrics live under /tmp (an emptyDir).

FROM python:3.11.14-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY sluicegate ./sluicegate
COPY components ./components
COPY workflows ./workflows
COPY events ./events
COPY rollouts ./rollouts
COPY contract ./contract
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11.14-slim-bookworm
RUN groupadd --gid 10001 sluice \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin sluice
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SERVE_WORKERS=2
WORKDIR /tmp
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/health', timeout=2)"]
ENTRYPOINT ["python", "-m", "components.serve", "--host", "0.0.0.0", "--port", "8080"]
