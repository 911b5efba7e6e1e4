# One image for the web process, the Celery worker and Celery beat:
#   web:    the default command (manage.py serve: granian, WSGI, set by WEB_* variables)
#   worker: celery -A config worker -l info   (healthcheck: manage.py heartbeat worker)
#   beat:   celery -A config beat -l info     (healthcheck: manage.py heartbeat beat)
FROM python:3.12-slim-bookworm AS build
RUN pip install --no-cache-dir uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# Hashed, compressed static files for WhiteNoise; the key is only for this command.
RUN DEBUG=0 SECRET_KEY=collectstatic-only .venv/bin/python manage.py collectstatic --noinput

FROM python:3.12-slim-bookworm
# Pango and a font: WeasyPrint draws report PDFs with them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system waymark && useradd --system --gid waymark --home /app waymark \
 && mkdir -p /data/media && chown waymark:waymark /data/media
WORKDIR /app
COPY --from=build --chown=waymark:waymark /app /app
# Stored files (published reports' PDFs) in /data/media: a volume every web process shares.
ENV PATH="/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1 DEBUG=0 WEB_HOST=0.0.0.0 WEB_PORT=8000 \
    MEDIA_ROOT=/data/media
USER waymark
EXPOSE 8000
# Alive: /healthz answers whatever the Host, without the database (config.health). The
# worker and beat override this with their heartbeat check (compose.yaml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# granian with WEB_WORKERS processes (2 with Redis) of WEB_THREADS threads (1): 2 x 1
# measured about 2.5x gunicorn's throughput here. See the README's configuration table.
CMD ["python", "manage.py", "serve"]
