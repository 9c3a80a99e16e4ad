# syntax=docker/dockerfile:1
# Build stage: the same Debian 12 packages as CI (.ci/packages.txt), tests run as part of the build.
FROM debian:bookworm AS build
WORKDIR /src
COPY .ci/packages.txt .ci/packages.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(grep -v '^#' .ci/packages.txt) \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSGAUDIT_BUILD_BENCH=OFF \
 && ninja -C /build \
 && ctest --test-dir /build --output-on-failure -j"$(nproc)" \
      -E 'OpenApiTest.RedoclyLintIsClean|SarifSchemaTest|BrowserTest|DeployManifestsRenderAndAuditClean'
# (The tests that need Node.js tools, Chromium and kubectl run in CI, .ci/run, not in the image build.)

# Runtime stage: the binary, its shared libraries, a non-root user, the database on a volume.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsqlite3-0 libjemalloc2 libssl3 libspdlog1.10 libfmt9 libyaml-cpp0.7 zlib1g tzdata curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 sgaudit \
 && useradd --system --uid 10001 --gid sgaudit --home-dir /var/lib/sgaudit --shell /usr/sbin/nologin sgaudit \
 && mkdir -p /var/lib/sgaudit \
 && chown sgaudit:sgaudit /var/lib/sgaudit
COPY --from=build /build/service/sgaudit /usr/local/bin/sgaudit
# A fixed numeric user, so that Kubernetes can check runAsNonRoot (deploy/kubernetes runs it as 10001).
USER 10001:10001
WORKDIR /var/lib/sgaudit
ENV SGAUDIT_LISTEN=0.0.0.0:8080 \
    SGAUDIT_DB=/var/lib/sgaudit/sgaudit.db \
    SGAUDIT_LOG_FORMAT=json
VOLUME ["/var/lib/sgaudit"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/sgaudit"]
CMD ["serve"]
