package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.inject.Named;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.apache.james.utils.GuiceProbe;
import org.apache.james.webadmin.PublicRoutes;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.WebAdminServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.core.webadmin.WebAdminKeys;
import org.policyrouter.core.webadmin.WebAdminTokens;

import com.google.inject.multibindings.Multibinder;

import spark.Service;
import spark.routematch.RouteMatch;

/**
 * Issue 20 part 2: the bundled server's WebAdmin answers 401 on every route, ours and James's,
 * without a valid administrator's token: no token, another scheme, garbage, a token signed by another
 * key, an expired one, one without {@code admin: true}, an unsigned one ({@code alg: none}). Every
 * route is taken from the running WebAdmin itself (Spark's route table), so a route group added by a
 * later James or by us is covered without editing this test. {@code GET /healthcheck} alone stays open
 * (James's public routes: container and load-balancer probes). With the server's own key, the routes answer.
 */
class WebAdminAuthenticationIT {
    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .overrideModule(binder -> Multibinder.newSetBinder(binder, GuiceProbe.class).addBinding().to(RoutesProbe.class))
        .build();

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    static final String HEALTHCHECK = "/healthcheck";
    static String base;
    static PrivateKey serverKey;

    /** What WebAdmin serves, read from the running server. */
    public static final class RoutesProbe implements GuiceProbe {
        private final List<Routes> routes;
        private final WebAdminServer server;

        @Inject
        public RoutesProbe(@Named("webAdminRoutes") List<Routes> routes, WebAdminServer server) {
            this.routes = routes;
            this.server = server;
        }

        /** Base path and whether James leaves it without authentication (PublicRoutes), per route class. */
        Map<String, Boolean> groups() {
            Map<String, Boolean> groups = new LinkedHashMap<>();
            routes.forEach(r -> groups.merge(r.getBasePath() + " " + r.getClass().getName(), r instanceof PublicRoutes, Boolean::logicalOr));
            return groups;
        }

        /** Every route "METHOD /path/:param" of the running WebAdmin (its Spark service is private: read by reflection). */
        List<String> routes() throws ReflectiveOperationException {
            Field field = WebAdminServer.class.getDeclaredField("service");
            field.setAccessible(true);
            List<String> all = new ArrayList<>();
            for (RouteMatch route : ((Service) field.get(server)).routes()) {
                String method = route.getHttpMethod().name();
                if (!method.startsWith("before") && !method.startsWith("after")) {
                    // some of James's route classes leave out the leading slash (Spark adds it)
                    String uri = route.getMatchUri().startsWith("/") ? route.getMatchUri() : "/" + route.getMatchUri();
                    all.add(method.toUpperCase() + " " + uri);
                }
            }
            return all;
        }
    }

    @BeforeAll
    static void serverAndKey(GuiceJamesServer server) throws Exception {
        base = "http://127.0.0.1:" + PolicyRouterJames.webAdminPort(server);
        serverKey = WebAdminKeys.privateKey(PolicyRouterJames.home(server));
    }

    /** The tokens and headers that must all be refused, by name. */
    static Map<String, Optional<String>> refusedAuthorizations() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        PrivateKey otherKey = generator.generateKeyPair().getPrivate();
        Instant now = Instant.now();
        Map<String, Optional<String>> refused = new LinkedHashMap<>();
        refused.put("no Authorization header", Optional.empty());
        refused.put("Basic scheme", Optional.of("Basic " + Base64.getEncoder().encodeToString("admin:admin".getBytes(StandardCharsets.UTF_8))));
        refused.put("garbage bearer", Optional.of("Bearer not.a.jwt"));
        refused.put("signed by another key", bearer(WebAdminTokens.sign(otherKey, "policy-router", true, Duration.ofMinutes(5), now)));
        refused.put("expired", bearer(WebAdminTokens.sign(serverKey, "policy-router", true, Duration.ofMinutes(5), now.minus(Duration.ofHours(1)))));
        refused.put("not admin", bearer(WebAdminTokens.sign(serverKey, "policy-router", false, Duration.ofMinutes(5), now)));
        refused.put("unsigned (alg none)", bearer(unsigned("{\"alg\":\"none\"}", "{\"sub\":\"x\",\"admin\":true}")));
        return refused;
    }

    @Test
    void everyRouteButTheHealthcheckAnswers401WithoutAValidToken(GuiceJamesServer server) throws Exception {
        RoutesProbe probe = server.getProbe(RoutesProbe.class);
        List<String> routes = probe.routes();
        // ours and a representative of each of James's route groups the memory app serves are there
        assertThat(routes).contains(
            "GET /spool/queues/:queue/messages", "DELETE /spool/queues/:queue/messages/:queueId", "PATCH /spool/queues/:queue/messages",
            "GET /spool/queues/:queue/messages/:queueId/content", "GET /metrics",
            "GET /domains", "PUT /domains/:domainName", "GET /users", "PUT /users/:userName", "GET /mailQueues",
            "DELETE /mailQueues/:mailQueueName/mails", "GET /mailRepositories", "GET /mailRepositories/:encodedPath/mails/:mailKey",
            "GET /tasks", "GET /healthcheck");
        Map<String, Optional<String>> refused = refusedAuthorizations();
        List<String> answered = new ArrayList<>();
        for (String route : routes) {
            String method = route.substring(0, route.indexOf(' '));
            String path = concrete(route.substring(route.indexOf(' ') + 1));
            // OPTIONS: James's CORSRoute answers every path with CORS headers only, and JwtFilter lets
            // OPTIONS through for browsers' preflight requests (checked below: no data in it)
            if (path.startsWith(HEALTHCHECK) || method.equals("OPTIONS")) {
                continue;
            }
            for (Map.Entry<String, Optional<String>> authorization : refused.entrySet()) {
                int status = send(method, path, authorization.getValue()).statusCode();
                if (status != 401) {
                    answered.add(route + " (" + path + ") with " + authorization.getKey() + ": " + status);
                }
            }
        }
        assertThat(answered).as("routes that did not answer 401").isEmpty();
        assertThat(send("OPTIONS", "/domains", Optional.empty()).body()).doesNotContain("localhost");
        assertThat(routes.size()).as("routes checked").isGreaterThan(100);
    }

    @Test
    void onlyTheHealthcheckIsPublic(GuiceJamesServer server) throws Exception {
        Set<String> open = server.getProbe(RoutesProbe.class).groups().entrySet().stream()
            .filter(Map.Entry::getValue).map(e -> e.getKey().split(" ")[0]).collect(Collectors.toCollection(TreeSet::new));
        assertThat(open).containsExactly(HEALTHCHECK);
        HttpResponse<String> health = send("GET", HEALTHCHECK, Optional.empty());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"healthy\"").doesNotContain("@");
    }

    @Test
    void nothingChangedWithoutAToken() throws Exception {
        assertThat(send("PUT", "/domains/evil.example", Optional.empty()).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/domains", bearer(WebAdminTokens.forCommandLine(serverKey))).body()).doesNotContain("evil.example");
    }

    @Test
    void theServersOwnTokensAreAccepted() throws Exception {
        Optional<String> valid = bearer(WebAdminTokens.forCommandLine(serverKey));
        List<String> paths = List.of("/domains", "/users", "/mailQueues", "/mailQueues/spool", "/mailQueues/spool/mails",
            "/mailRepositories", "/tasks", "/spool/queues/spool/messages", "/metrics", "/healthcheck", "/healthcheck/checks",
            "/events/deadLetter/groups", "/dlp/rules/localhost", "/address/aliases", "/address/forwards", "/quota/users",
            "/sieve/quota/default");
        Map<String, Integer> statuses = new LinkedHashMap<>();
        for (String path : paths) {
            statuses.put(path, send("GET", path, valid).statusCode());
        }
        assertThat(statuses).allSatisfy((path, status) -> assertThat(status).as(path).isBetween(200, 299).isNotEqualTo(401));
    }

    @Test
    void theKeyPairIsPrivate(GuiceJamesServer server) throws Exception {
        Path home = PolicyRouterJames.home(server);
        assertThat(mode(home.resolve(WebAdminKeys.DIRECTORY))).isEqualTo("rwx------");
        assertThat(mode(home.resolve(WebAdminKeys.PRIVATE_KEY))).isEqualTo("rw-------");
        assertThat(mode(home.resolve(WebAdminKeys.PUBLIC_KEY))).isEqualTo("rw-------");
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    /** A path Spark's pattern matches: each {@code :param} and {@code *} a sample segment. */
    static String concrete(String pattern) {
        return pattern.replaceAll(":[^/]+", "x").replace("*", "x");
    }

    static HttpResponse<String> send(String method, String path, Optional<String> authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
            .method(method, method.equals("GET") || method.equals("HEAD") || method.equals("DELETE")
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}"));
        authorization.ifPresent(value -> request.header("Authorization", value));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static Optional<String> bearer(String token) {
        return Optional.of("Bearer " + token);
    }

    private static String unsigned(String header, String claims) {
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        return url.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "." + url.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + ".";
    }
}
