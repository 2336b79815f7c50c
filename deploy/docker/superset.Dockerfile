# syntax=docker/dockerfile:1.7
# Superset 6.1 plus the PostgreSQL driver (the official image is "lean" since 4.1 and ships no DB drivers)
# and cachetools, which Superset 6.1's importer imports without declaring it.
FROM apache/superset:6.1.0
USER root
RUN . /app/.venv/bin/activate \
 && uv pip install --no-cache psycopg2-binary==2.9.10 cachetools==5.5.2
USER superset
