# sealog container image: sealogd and its tools on Debian 12 (bookworm).
#
#   podman build -t sealog:dev .            (or docker build)
#   podman run -d -p 9092:9092 sealog:dev   PLAINTEXT on localhost:9092
#
# The entrypoint follows the apache/kafka image's contract
# (/etc/kafka/docker/run, KAFKA_* environment variables, data in
# /var/lib/kafka/data), so Testcontainers' KafkaContainer and compose
# files written for apache/kafka start it unchanged. See docker/run.

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake gcc libc6-dev make \
      pkg-config python3 liburing-dev liblmdb-dev libsasl2-dev libssl-dev \
      zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j"$(nproc)" --target sealogd sealog-acls \
      sealog-certs sealog-dump sealog-keys sealog-probe \
 && mkdir -p /out \
 && for t in sealogd sealog-acls sealog-certs sealog-dump sealog-keys \
      sealog-probe; do cp "/build/bin/$t" /out/ 2>/dev/null || true; done \
 && test -x /out/sealogd

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends liburing2 liblmdb0 \
      libsasl2-2 libsasl2-modules libssl3 zlib1g libsnappy1v5 liblz4-1 \
      libzstd1 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 1000 --home-dir /var/lib/kafka appuser \
 && mkdir -p /var/lib/kafka/data /etc/kafka/secrets /mnt/shared/config \
 && chown -R appuser /var/lib/kafka
COPY --from=build /out/ /usr/local/bin/
COPY docker/run /etc/kafka/docker/run
USER appuser
WORKDIR /var/lib/kafka
VOLUME ["/var/lib/kafka/data"]
EXPOSE 9092
HEALTHCHECK --interval=5s --timeout=6s --retries=10 \
  CMD ["/usr/local/bin/sealog-probe", "127.0.0.1:9092"]
CMD ["/etc/kafka/docker/run"]
