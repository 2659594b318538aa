# Multi-stage build of the perfledger binary (used by docker-compose.yml).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p perfledger

FROM debian:bookworm-slim
RUN useradd --system --home /var/lib/perfledger perfledger && apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/perfledger /usr/local/bin/perfledger
USER perfledger
ENTRYPOINT ["/usr/local/bin/perfledger"]
