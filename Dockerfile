# One image for the whole hookwire project: the `hookwire` command with every workspace
# package (schemas, router, workers, and the gateway-side bridge hookwire-cpex with cpex),
# the example plugins and the compose config.
# Each container runs one command of it, e.g. `router --config ...` or `worker --plugin ...`
# (see docker-compose.yml). Build: `docker compose build` or `docker build -t hookwire:local .`
FROM python:3.11-slim

ARG UV_VERSION=0.13.9
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never
RUN pip install "uv==${UV_VERSION}"

WORKDIR /app

# Third-party dependencies first, in their own layer: rebuilt only when uv.lock or a
# pyproject.toml changes. --locked fails the build if uv.lock is out of date.
COPY pyproject.toml uv.lock ./
COPY schemas/pyproject.toml schemas/
COPY router/pyproject.toml router/
COPY workers/pyproject.toml workers/
COPY bridges/cpex/pyproject.toml bridges/cpex/
RUN uv sync --all-packages --locked --no-dev --no-install-workspace

# Then the workspace packages, the plugins and the compose config.
COPY schemas/ schemas/
COPY router/ router/
COPY workers/ workers/
COPY bridges/ bridges/
COPY plugins/ plugins/
COPY deploy/ deploy/
RUN uv sync --all-packages --locked --no-dev

# Each plugin gets a venv of its own with its requirements.txt installed (plugin
# isolation, as `hookwire up` does it): `hookwire worker --plugin DIR` finds it through
# HOOKWIRE_VENV_DIR and runs the plugin there. Built now, so containers start offline.
ENV HOOKWIRE_VENV_DIR=/opt/hookwire/venvs
RUN /app/.venv/bin/hookwire venvs build --config deploy/hookwire.yaml

# Run as an unprivileged user; /data (HOOKWIRE_DATA_DIR) is the only place it writes:
# audit files, and `hookwire up`'s embedded NATS store.
RUN useradd --system --user-group --uid 10001 --home-dir /app --no-create-home hookwire \
    && mkdir -p /data \
    && chown hookwire:hookwire /data
ENV PATH="/app/.venv/bin:${PATH}" \
    HOOKWIRE_DATA_DIR=/data
VOLUME ["/data"]
USER 10001:10001

ENTRYPOINT ["/app/.venv/bin/hookwire"]
CMD ["--help"]
