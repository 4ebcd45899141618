package org.policyrouter.it.spool;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.apache.james.GuiceJamesServer;
import org.policyrouter.core.webadmin.WebAdminKeys;
import org.policyrouter.core.webadmin.WebAdminTokens;
import org.policyrouter.it.PolicyRouterJames;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * James WebAdmin over HTTP, as an operator's curl would use it: with a token signed by the server's
 * own key ({@code var/webadmin/jwt-private.pem}, made at its first start), as
 * {@code bin/policy-router token} prints one.
 */
public final class WebAdmin {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final Optional<String> token;

    /** Without a token: a stock James (the drop-in test), whose WebAdmin has no authentication. */
    public WebAdmin(int port) {
        this.base = "http://127.0.0.1:" + port;
        this.token = Optional.empty();
    }

    /** The server running from {@code home}, with a token signed by its key. */
    public WebAdmin(int port, Path home) {
        this.base = "http://127.0.0.1:" + port;
        try {
            this.token = Optional.of(WebAdminTokens.sign(WebAdminKeys.privateKey(home), "integration-tests", true,
                Duration.ofMinutes(30), java.time.Instant.now()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The in-JVM server's WebAdmin, with a token. */
    public static WebAdmin of(GuiceJamesServer server) {
        return new WebAdmin(PolicyRouterJames.webAdminPort(server), PolicyRouterJames.home(server));
    }

    /** A request with the token when there is one. */
    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path));
        token.ifPresent(t -> builder.header("Authorization", "Bearer " + t));
        return builder;
    }

    static String encode(String pathSegment) {
        return URLEncoder.encode(pathSegment, StandardCharsets.UTF_8);
    }

    public JsonNode get(String path) throws Exception {
        return send(request(path).GET().build(), 200);
    }

    JsonNode patch(String path) throws Exception {
        return send(request(path).method("PATCH", HttpRequest.BodyPublishers.noBody()).build(), 200);
    }

    /** James's MailQueueRoutes: the mails of a queue waiting for a later delivery (name, sender, recipients, nextDelivery). */
    public JsonNode delayedMails(String queue) throws Exception {
        return get("/mailQueues/" + encode(queue) + "/mails?delayed=true");
    }

    /** James's flush: every delayed mail of the queue is due now ({@code PATCH … {"delayed": false}}, 204). */
    public void flushDelayed(String queue) throws Exception {
        HttpRequest request = request("/mailQueues/" + encode(queue) + "/mails?delayed=true")
            .header("Content-Type", "application/json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"delayed\": false}")).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 204) {
            throw new AssertionError("PATCH " + request.uri() + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    /** One mail of a repository as James's MailRepositoriesRoutes describe it, with its attributes (values as strings). */
    JsonNode repositoryMail(String repositoryPath, String key) throws Exception {
        return send(request("/mailRepositories/" + encode(repositoryPath) + "/mails/" + encode(key)
            + "?additionalFields=attributes").header("Accept", "application/json").GET().build(), 200);
    }

    /** A resource as bytes, e.g. a stored mail as {@code message/rfc822}. */
    byte[] getBytes(String path, String accept) throws Exception {
        HttpRequest request = request(path).header("Accept", accept).GET().build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + request.uri() + " answered " + response.statusCode());
        }
        return response.body();
    }

    JsonNode delete(String path) throws Exception {
        return send(request(path).DELETE().build(), 200);
    }

    /** Status and body as text, whatever the status: GET /metrics (Prometheus's text format), GET /healthcheck (503 when unhealthy). */
    public HttpResponse<String> getText(String path) throws Exception {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    public int status(String method, String path) throws Exception {
        HttpRequest request = request(path).method(method, HttpRequest.BodyPublishers.noBody()).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private JsonNode send(HttpRequest request, int expectedStatus) throws Exception {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expectedStatus) {
            throw new AssertionError(request.method() + " " + request.uri() + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }
}
