# The components image: every pipeline step runs `python -m components.<name>` in it
# (train, evaluate, build, stress_test, relay). Built and pushed by .github/workflows/main.yml.
#   docker build -f docker/components.Dockerfile -t REGISTRY/components:TAG .
# Runs as a non-root user and works with a read-only root filesystem: steps write only under /tmp
# (the workflow templates mount an emptyDir there), and nothing writes next to the code.
#checkov:skip=CKV_DOCKER_2:A batch step image has no long-running process to health-check; Argo watches the step's exit code.

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
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin sluice \
 && apt-get update \
 && apt-get install --yes --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /tmp
USER 10001:10001
ENTRYPOINT ["python", "-m"]
CMD ["components.train", "--help"]
