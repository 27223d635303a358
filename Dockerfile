# cutover's image: the static binary, the CA certificates its registry checks
# need, and nothing else. Build it with `make image`, which compiles the binary
# on the host and copies it and the host's CA bundle into an otherwise empty
# build context, so no Go toolchain image is needed.
FROM scratch
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY cutover /cutover
# The store and the API key live in /data: mount a volume there to keep them
# across updates of cutover itself.
ENV CUTOVER_DATA_DIR=/data
# Registry credentials are read from /config.json, where Watchtower reads
# them, so its users' volume for that file works unchanged.
ENV DOCKER_CONFIG=/
WORKDIR /
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/cutover"]
