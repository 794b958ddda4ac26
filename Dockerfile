# syntax=docker/dockerfile:1
# Multi-stage build: a static-ish release binary on a small Debian runtime, run as non-root.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p app-server --bin simplepg

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /app simplepg
WORKDIR /app
COPY --from=build /src/target/release/simplepg /usr/local/bin/simplepg
COPY config /app/config
USER simplepg
ENV SIMPLEPG_CONFIG_DIR=/app/config
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8080/ready || exit 1
ENTRYPOINT ["simplepg"]
CMD ["serve"]
