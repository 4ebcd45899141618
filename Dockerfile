# The bundled james-policy-router as a container image (docs/packaging.md). Build the
# distribution first, then the image, from the repository root:
#   mvn -B -q -DskipTests -pl james-conf -am package
#   docker build -t james-policy-router .
#   docker run -d --name mx -p 25:2525 -v mx-conf:/opt/james-policy-router/conf \
#     -v mx-var:/opt/james-policy-router/var james-policy-router
# SMTP listens on 0.0.0.0:2525 in the container. WebAdmin (a token on every route but the open
# GET /healthcheck: docker exec mx bin/policy-router token; docs/webadmin.md) stays on the
# container's loopback, where the HEALTHCHECK reaches it; -e WEBADMIN_HOST=0.0.0.0 -p
# 127.0.0.1:8000:8000 opens it to the host (bin/docker-entrypoint has every variable).
FROM eclipse-temurin:17-jre

# curl for the HEALTHCHECK; the spp handler runs plugins through setsid and sh (in the base image)
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --home-dir /opt/james-policy-router --shell /usr/sbin/nologin james

WORKDIR /opt/james-policy-router
# the assembled distribution; the .dockerignore sends nothing else to the daemon
COPY james-conf/target/james-policy-router/ ./
# conf.default/: what bin/docker-entrypoint copies into an empty conf/ volume.
# James, its libraries, bin/ and the defaults belong to root: the server cannot change its code.
RUN cp -R conf conf.default \
 && mkdir -p var \
 && chmod 0700 var \
 && chown -R james:james conf var

USER james
ENV SMTP_BIND=0.0.0.0:2525 \
    WEBADMIN_HOST=127.0.0.1 \
    WEBADMIN_PORT=8000
VOLUME ["/opt/james-policy-router/conf", "/opt/james-policy-router/var"]
EXPOSE 2525 8000
# unhealthy (503) after a failed spool fsync; degraded still answers 200 (docs/spool.md)
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${WEBADMIN_PORT}/healthcheck" > /dev/null || exit 1
ENTRYPOINT ["/opt/james-policy-router/bin/docker-entrypoint"]
