# calea-bot as a container: `docker compose up` (see docker-compose.yml), or
#   docker build -t calea-bot . && docker run -v calea-data:/data -p 3000:3000 calea-bot
# One container per database: a second `calea-bot run` on the same /data is refused.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && rm -rf /app/bot

# The sources, topics and matters; mount your own over it (docker-compose.yml does).
COPY feeds.yaml /config/feeds.yaml

# A non-root user; the database lives in the /data volume (created 0600: it holds secrets).
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin calea \
    && mkdir -p /data \
    && chown calea:calea /data
VOLUME ["/data"]

ENV CALEA_BOT_DB=/data/calea-bot.db \
    CALEA_BOT_FEEDS=/config/feeds.yaml \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_LEVEL=INFO

USER calea
WORKDIR /data
EXPOSE 3000

# /healthz is served on $PORT (slim images have no curl: the stdlib does the request).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)" || exit 1

# SIGTERM stops the bot cleanly (in-flight polls finish, the lease is released).
STOPSIGNAL SIGTERM
ENTRYPOINT ["calea-bot"]
CMD ["run"]
