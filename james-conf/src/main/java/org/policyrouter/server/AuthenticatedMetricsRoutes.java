package org.policyrouter.server;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.dropwizard.MetricsRoutes;

import com.codahale.metrics.MetricRegistry;

import spark.Service;

/**
 * James's {@code GET /metrics} (Prometheus's text format) behind WebAdmin's authentication.
 * James 3.8.1's {@link MetricsRoutes} is a {@code PublicRoutes}: WebAdmin serves it without a token
 * even when {@code jwt.enabled=true}, and its counters name our queues, next hops and rejection
 * reasons. The same routes as a plain {@link Routes} get the JWT filter on {@code /metrics} and
 * {@code /metrics/*} like every other route: a Prometheus scrape sends a bearer token
 * (docs/webadmin.md). Name this class instead of MetricsRoutes in {@code extensions.routes}.
 */
public final class AuthenticatedMetricsRoutes implements Routes {
    private final MetricsRoutes metrics;

    @Inject
    public AuthenticatedMetricsRoutes(MetricRegistry registry) {
        this.metrics = new MetricsRoutes(registry);
    }

    @Override
    public String getBasePath() {
        return metrics.getBasePath();
    }

    @Override
    public void define(Service service) {
        metrics.define(service);
    }
}
