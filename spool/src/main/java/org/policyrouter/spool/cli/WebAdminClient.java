package org.policyrouter.spool.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;

import org.policyrouter.core.webadmin.WebAdminKeys;
import org.policyrouter.core.webadmin.WebAdminTokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The running server's WebAdmin, over HTTP, as the queue commands use it. Each request carries a
 * short-lived token signed with the server's key ({@code var/webadmin/jwt-private.pem}) when this
 * user can find it: the bundled server refuses requests without one (401).
 */
final class WebAdminClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final String base;
    private final Optional<String> token;
    private final Path keyFile;

    WebAdminClient(String base, Path home) throws IOException {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.keyFile = WebAdminKeys.signingKeyFile(home);
        // no key (JWT off, or another folder): no token; one that exists but cannot be read is an error
        this.token = Files.exists(keyFile) ? Optional.of(WebAdminTokens.forCommandLine(WebAdminKeys.privateKey(home))) : Optional.empty();
    }

    /** The address in {@code conf/webadmin.properties} of the distribution: {@code host} and {@code port}, as the server reads them. */
    static WebAdminClient fromConf(Path home) throws IOException {
        Properties properties = new Properties();
        Path file = home.resolve("conf/webadmin.properties");
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        }
        String host = properties.getProperty("host", "localhost").trim();
        String port = properties.getProperty("port", "8000").trim();
        return new WebAdminClient("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port, home);
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8);
    }

    String base() {
        return base;
    }

    /** A request to {@code path}, with the token when there is one. */
    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path));
        token.ifPresent(t -> builder.header("Authorization", "Bearer " + t));
        return builder;
    }

    JsonNode get(String path) throws IOException {
        return send(request(path).GET());
    }

    /** A resource as text (a stored message), ISO-8859-1 so that every byte comes through. */
    String getText(String path) throws IOException {
        HttpRequest request = request(path).timeout(TIMEOUT).GET().build();
        HttpResponse<String> response = exchange(request);
        if (response.statusCode() != 200) {
            throw refused(request, response);
        }
        return response.body();
    }

    JsonNode patch(String path) throws IOException {
        return send(request(path).method("PATCH", HttpRequest.BodyPublishers.noBody()));
    }

    JsonNode delete(String path) throws IOException {
        return send(request(path).DELETE());
    }

    /** The answer's JSON; a status other than 200 is an error carrying WebAdmin's own message. */
    private JsonNode send(HttpRequest.Builder request) throws IOException {
        HttpRequest built = request.timeout(TIMEOUT).build();
        HttpResponse<String> response = exchange(built);
        if (response.statusCode() != 200) {
            throw refused(built, response);
        }
        return JSON.readTree(response.body());
    }

    private HttpResponse<String> exchange(HttpRequest request) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.ISO_8859_1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (IOException e) {
            throw new IOException("cannot reach WebAdmin at " + base + " (is the server running? --webadmin URL): " + e, e);
        }
    }

    private IOException refused(HttpRequest request, HttpResponse<String> response) {
        if (response.statusCode() == 401) {
            return new IOException(request.method() + " " + request.uri().getPath() + ": 401: WebAdmin wants a token "
                + (token.isPresent() ? "and refused ours, signed with " + keyFile + " (a key the server does not use?)"
                    : "and there is no " + keyFile + " (run the command from the server's folder, as its user)"));
        }
        String message = response.body();
        try {
            message = JSON.readTree(message).path("message").asText(message);
        } catch (IOException e) {
            // not JSON: the body as it is
        }
        return new IOException(request.method() + " " + request.uri().getPath() + ": " + response.statusCode() + " " + message);
    }
}
