# syntax=docker/dockerfile:1.7
# Keycloak 26 pre-built for PostgreSQL with health and metrics, so the pod runs `start --optimized` on a
# read-only root filesystem (an un-optimized start rebuilds into /opt/keycloak/lib at every start).
FROM quay.io/keycloak/keycloak:26.4.2 AS builder
ENV KC_DB=postgres \
    KC_HEALTH_ENABLED=true \
    KC_METRICS_ENABLED=true
RUN /opt/keycloak/bin/kc.sh build

FROM quay.io/keycloak/keycloak:26.4.2
COPY --from=builder /opt/keycloak/ /opt/keycloak/
USER 1000
ENTRYPOINT ["/opt/keycloak/bin/kc.sh"]
