# syntax=docker/dockerfile:1.7
# The SPA (web/) built with Vite and served by nginx-unprivileged on 8080. Build from the repository root:
#   docker build -f deploy/docker/web.Dockerfile -t bookstore/bookstore-web:0.1.0 .
FROM node:22.20-bookworm-slim AS build
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM nginxinc/nginx-unprivileged:1.29.2-alpine AS runtime
COPY deploy/docker/nginx-spa.conf /etc/nginx/conf.d/default.conf
COPY --from=build /web/dist /usr/share/nginx/html
# 101 is the image's nginx user; numeric so runAsNonRoot can be verified.
USER 101
EXPOSE 8080
