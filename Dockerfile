# Portal: one image for the web processes (gunicorn), the Celery worker and beat.
#   docker build -t portal .      docker compose up      (see deploy/ and the README's Deploying)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORTAL_VAR_DIR=/var/lib/portal

RUN groupadd --system portal && useradd --system --gid portal --home-dir /srv/portal portal

WORKDIR /srv/portal
COPY requirements.txt .
# PyICU (lookalike email addresses, Unicode TR39) builds against ICU: the compiler and headers
# only for the build, ICU's library kept.
RUN apt-get update && apt-get install -y --no-install-recommends libicu72 \
    && apt-get install -y --no-install-recommends g++ pkg-config libicu-dev \
    && pip install -r requirements.txt \
    && apt-get purge -y --auto-remove g++ pkg-config libicu-dev && rm -rf /var/lib/apt/lists/*
COPY . .
# Static files are collected at build time (whitenoise serves them, compressed and fingerprinted).
RUN SECRET_KEY=build-only-not-a-secret DEBUG=0 python manage.py collectstatic --noinput -v 0 \
    && mkdir -p "$PORTAL_VAR_DIR" && chown portal:portal "$PORTAL_VAR_DIR"

USER portal
EXPOSE 8000
# The signing keys live in $PORTAL_VAR_DIR: mount one volume there, shared by every container.
VOLUME ["/var/lib/portal"]
CMD ["gunicorn", "portal.wsgi", "--config", "deploy/gunicorn.conf.py"]
