# syntax=docker/dockerfile:1
# Atrium: one image for the web processes and the federation workers.
#   docker build -t atrium .
#   docker run -e ATRIUM_DOMAIN=paris.example.com -v atrium-data:/var/lib/atrium -p 8000:8000 atrium
# TLS is the reverse proxy's job (deploy/Caddyfile, deploy/nginx.conf); docs/OPERATIONS.md has the rest.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/atrium
COPY pyproject.toml README.md ./
COPY activitypub ./activitypub
COPY federation ./federation
COPY server ./server
COPY storage ./storage
COPY webui ./webui
# Every dependency ships manylinux wheels for CPython 3.11: no compiler in the image.
RUN /opt/atrium/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/atrium/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ATRIUM_DATA_DIR=/var/lib/atrium \
    ATRIUM_LOG_JSON=true
RUN groupadd --system --gid 10001 atrium \
 && useradd --system --uid 10001 --gid atrium --home-dir /var/lib/atrium --shell /usr/sbin/nologin atrium \
 && mkdir -p /var/lib/atrium \
 && chown atrium:atrium /var/lib/atrium
COPY --from=build /opt/atrium /opt/atrium
USER atrium
WORKDIR /var/lib/atrium
# The data folder: SQLite database (if used), media files, the generated secret key.
VOLUME ["/var/lib/atrium"]
EXPOSE 8000
# SIGTERM: uvicorn finishes in-flight requests, workers release their claimed jobs.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["atrium", "serve", "--host", "0.0.0.0"]
