# PaperScout in a container: `docker compose up -d` (compose.yaml), or see the README.
#
# Build:  DOCKER_BUILDKIT=1 docker build -t paperscout .
# Behind a TLS-intercepting proxy, give pip the proxy's CA bundle as a BuildKit secret (it is
# never stored in the image):
#         DOCKER_BUILDKIT=1 docker build --secret id=ca,src=/path/to/ca-bundle.crt -t paperscout .
# Another Debian bookworm base (a mirror, or an image made with debootstrap):
#         --build-arg BASE=registry.example/debian:bookworm-slim
# No `# syntax=` line on purpose: it would pull a frontend image from a registry; the
# BuildKit built into Docker understands `RUN --mount`.
ARG BASE=debian:bookworm-slim

# --- build: a virtualenv with exactly the runtime lock, then PaperScout itself ---------------
FROM ${BASE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_DEFAULT_TIMEOUT=180
RUN python3 -m venv /opt/paperscout
COPY requirements/runtime.txt /src/requirements/runtime.txt
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
 && /opt/paperscout/bin/pip install --require-virtualenv -r /src/requirements/runtime.txt
COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY cogs /src/cogs
COPY db /src/db
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
 && /opt/paperscout/bin/pip install --no-deps /src

# --- run: the interpreter, the virtualenv, a user without privileges -------------------------
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 --user-group paperscout \
 && mkdir -p /app/data && chown paperscout:paperscout /app/data
COPY --from=build /opt/paperscout /opt/paperscout
ENV PATH=/opt/paperscout/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    HEARTBEAT_FILE=/app/data/heartbeat
WORKDIR /app
USER paperscout
# SQLite's default database (data/paperscout.db) and the heartbeat live here.
VOLUME ["/app/data"]
# Healthy: this container's scheduler ticked in the last 3 minutes and the database answers.
HEALTHCHECK --interval=60s --timeout=20s --start-period=120s --retries=3 \
    CMD ["paperscout", "health"]
ENTRYPOINT ["paperscout"]
CMD ["run"]
