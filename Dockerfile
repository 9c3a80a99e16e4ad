# syntax=docker/dockerfile:1
# Build stage: the Debian 12 packages building needs (.ci/packages.txt; no browser, no fuzzing toolchain, no
# Node.js: those are .ci/packages-test.txt, for CI), tests run as part of the build. The source has no .git
# here: the commit `sgaudit version` reports comes in as SGAUDIT_COMMIT (docker-compose.yml passes it).
FROM debian:bookworm AS build
ARG SGAUDIT_COMMIT=unknown
WORKDIR /src
COPY .ci/packages.txt .ci/packages.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(grep -v '^#' .ci/packages.txt) \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSGAUDIT_BUILD_BENCH=OFF \
      -DSGAUDIT_GIT_COMMIT="${SGAUDIT_COMMIT}" \
 && ninja -C /build \
 && ctest --test-dir /build --output-on-failure -j"$(nproc)" \
      -E 'OpenApiTest.RedoclyLintIsClean|SarifSchemaTest|BrowserTest|DashboardBrowserTest|HuaweiSignerSdkTest|DeployManifestsRenderAndAuditClean|ReadmeHttpWalkthroughRunsAsWritten'
# (The tests that need Node.js tools, Chromium, kubectl or jq run in CI, .ci/run, not in the image build.)

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
