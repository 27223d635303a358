# cutover's image: the static binary and nothing else. Build it with
# `make image`, which compiles the binary on the host and copies it into an
# otherwise empty build context, so no base image is pulled. The binary
# carries the CA roots HTTPS registries need and the time zone database TZ
# needs; scratch has neither.
FROM scratch
ARG VERSION=dev
ARG REVISION=
ARG SOURCE=https://github.com/cutover/cutover
LABEL org.opencontainers.image.title="cutover" \
      org.opencontainers.image.description="Keeps Docker containers on their newest images, safely" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE"
# root/ holds /cutover and /watchtower, a link to it: a compose file's
# healthcheck written for Watchtower's image ("/watchtower --health-check")
# keeps working. A directory copy keeps the link a link.
COPY root/ /
# The store, the API key and the session key live in /data: mount a volume
# there to keep them across updates of cutover itself.
ENV CUTOVER_DATA_DIR=/data
# Registry credentials are read from /config.json, where Watchtower reads
# them, so its users' volume for that file works unchanged.
ENV DOCKER_CONFIG=/
WORKDIR /
VOLUME /data
EXPOSE 8080
# No curl in scratch: the binary asks its own /health. It reads
# CUTOVER_LISTEN, so a different port set through the variable is followed.
HEALTHCHECK --interval=30s --timeout=15s --start-period=20s --retries=3 CMD ["/cutover", "healthcheck"]
ENTRYPOINT ["/cutover"]
