# syntax=docker/dockerfile:1.7
# The `bookstore` binary (package bookstore-api). Build from the repository root:
#   docker build -f deploy/docker/bookstore.Dockerfile -t bookstore/bookstore:0.1.0 .
# Stage 1 plans the dependency graph (cargo-chef) so stage 2 caches compiled dependencies separately
# from our code; rdkafka's bundled librdkafka needs gcc, make, cmake and zlib there.

ARG RUST_VERSION=1.95
ARG DEBIAN=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN} AS chef
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config zlib1g-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/* \
 && cargo install cargo-chef --version 0.1.78 --locked
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo chef cook --release --recipe-path recipe.json --bin bookstore
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo build --release --locked --bin bookstore \
 && install -D -m 0755 target/release/bookstore /out/bookstore

# Runtime: Debian slim for glibc and CA certificates (the binary links glibc; rustls/OpenSSL need CAs),
# nothing else. Non-root numeric user, so Kubernetes can verify runAsNonRoot.
FROM debian:${DEBIAN}-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 bookstore \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin bookstore
COPY --from=builder /out/bookstore /usr/local/bin/bookstore
USER 10001:10001
ENV BOOKSTORE_HTTP_ADDR=0.0.0.0:8080 \
    BOOKSTORE_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/bookstore"]
CMD ["serve"]
