# syntax=docker/dockerfile:1
# The aftersales image: a release build on Debian, run from distroless as a non-root user.
# Build: docker build -t aftersales .   Run: see deploy/README.md and deploy/compose.yaml.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS chef
WORKDIR /src
RUN cargo install cargo-chef --locked --version 0.1.73

# The dependency graph alone, so the layer that builds dependencies is reused until a
# Cargo.toml or Cargo.lock changes.
FROM chef AS plan
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=plan /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --bin aftersales --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin aftersales \
    && install -D target/release/aftersales /out/aftersales

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/aftersales /usr/local/bin/aftersales
ENV AFTERSALES_HTTP_ADDR=0.0.0.0:8080 \
    AFTERSALES_GRPC_ADDR=0.0.0.0:50051 \
    AFTERSALES_LOG_FORMAT=json
EXPOSE 8080 50051
# 65532 is distroless's `nonroot` user; numeric so Kubernetes can check runAsNonRoot.
USER 65532:65532
HEALTHCHECK --interval=10s --timeout=4s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/aftersales", "probe", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/aftersales"]
CMD ["serve"]
