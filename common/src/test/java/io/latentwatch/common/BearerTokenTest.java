package io.latentwatch.common;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BearerTokenTest {
    static final String SECRET = "s3cret-token-0123456789";

    @Test
    void aGuardedServerAnswers401WithoutTheTokenAndLeavesOpenPathsOpen() throws Exception {
        HttpServer raw = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        HttpServer server = BearerToken.guard(raw, BearerToken.of(SECRET + "\n"), List.of("/health"));
        for (String path : List.of("/api", "/health")) {
            server.createContext(path, ex -> {
                byte[] b = "ok".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, b.length);
                try (var out = ex.getResponseBody()) { out.write(b); }
            });
        }
        server.start();
        try {
            int port = server.getAddress().getPort();
            HttpResponse<String> none = get(port, "/api", null);
            assertEquals(401, none.statusCode());
            assertEquals("Bearer realm=\"latentwatch\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
            assertFalse(none.body().contains(SECRET));
            assertEquals(401, get(port, "/api", "Bearer " + SECRET + "x").statusCode());
            assertEquals(401, get(port, "/api", "Basic " + SECRET).statusCode());
            assertEquals(200, get(port, "/api", "Bearer " + SECRET).statusCode());
            assertEquals(200, get(port, "/health", null).statusCode());
            assertEquals(401, get(port, "/healthz", null).statusCode(), "only the named path and below are open");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void tokensComeFromAFileOrTheEnvironmentAndAreNeverPrinted(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("token");
        Files.writeString(f, SECRET + "\n");
        BearerToken t = BearerToken.resolve(f.toString(), "X_TOKEN", Map.of());
        assertTrue(t.accepts("Bearer " + SECRET));
        assertTrue(BearerToken.resolve("", "X_TOKEN", Map.of("X_TOKEN", SECRET)).accepts("Bearer " + SECRET));
        assertNull(BearerToken.resolve(null, "X_TOKEN", Map.of()));
        assertFalse(t.toString().contains(SECRET));
        IllegalArgumentException shortOne = assertThrows(IllegalArgumentException.class, () -> BearerToken.of("short"));
        assertTrue(shortOne.getMessage().contains("at least 16"), shortOne.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> BearerToken.resolve(dir.resolve("none").toString(), "X", Map.of()));
        assertTrue(missing.getMessage().contains("cannot read the HTTP token file"), missing.getMessage());
        assertFalse(missing.getMessage().contains(SECRET));
    }

    private static HttpResponse<String> get(int port, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (authorization != null) b.header("Authorization", authorization);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
