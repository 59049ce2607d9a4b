package io.latentwatch.monitor.incident;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Incident;
import io.latentwatch.schema.IncidentScope;
import io.latentwatch.schema.IncidentStatus;
import io.latentwatch.schema.Severity;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Incidents from the incidents topic (in-process KRaft broker) delivered by {@link AlertmanagerRouter}
 * to the real Alertmanager (separate process), which notifies a webhook receiver; then Alertmanager
 * goes down, incidents keep coming, and once it is back every one of them arrives.
 */
class AlertmanagerRouterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedKafka kafka;
    private final LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @BeforeAll
    static void broker() {
        assumeTrue(AlertmanagerProcess.binary().isPresent(),
                "Alertmanager binary not found (install the Debian package prometheus-alertmanager, or set LATENTWATCH_ALERTMANAGER_BIN)");
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stop() {
        if (kafka != null) kafka.close();
    }

    static Incident incident(String id, IncidentStatus status, String requestId, long openedMs, Long resolvedMs) {
        Incident i = Incident.newBuilder().setIncidentId(id).setGroupKey("request|stories260K|" + requestId)
                .setScope(IncidentScope.REQUEST).setStatus(status).setModelId("stories260K").setModelVersion("v1")
                .setHook("blocks.1.hook_resid_post").setDetector("recon-error").setDetectors(List.of("activation-norm", "recon-error"))
                .setHooks(List.of("blocks.1.hook_resid_post")).setSeverity(Severity.CRITICAL).setRequestId(requestId).setSaeVersion("sae-7")
                .setOpenedMs(Instant.ofEpochMilli(openedMs)).setUpdatedMs(Instant.ofEpochMilli(openedMs))
                .setLastAlertMs(Instant.ofEpochMilli(openedMs))
                .setResolvedMs(resolvedMs == null ? null : Instant.ofEpochMilli(resolvedMs))
                .setAlertCount(2).setReopenCount(0).setRevision(status == IncidentStatus.OPEN ? 0 : 1).setAlerts(List.of())
                .setSummary("").build();
        i.setSummary(IncidentSummary.line(i));
        return i;
    }

    @Test
    void incidentsReachAlertmanagerAndNoneIsLostWhileItIsDown() throws Exception {
        Path bin = AlertmanagerProcess.binary().orElseThrow();
        Topics topics = Topics.withPrefix("amit-" + System.nanoTime() + ".");
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            topics.create(admin, 2, (short) 1);
        }
        // The webhook receiver Alertmanager notifies.
        List<JsonNode> notifications = new CopyOnWriteArrayList<>();
        HttpServer hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/hook", ex -> {
            notifications.add(JSON.readTree(ex.getRequestBody()));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        hook.start();
        Path config = dir.resolve("alertmanager.yml");
        Files.writeString(config, """
                route:
                  receiver: webhook
                  group_by: [incident]
                  group_wait: 100ms
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: webhook
                    webhook_configs:
                      - url: http://127.0.0.1:%d/hook
                        send_resolved: true
                """.formatted(hook.getAddress().getPort()));
        int port = AlertmanagerProcess.freePort();
        Path storage = dir.resolve("am-data");
        PrometheusRegistry registry = new PrometheusRegistry();
        Map<String, Object> producerCfg = new HashMap<>(kafka.clientConfig());
        AlertmanagerProcess am = AlertmanagerProcess.start(bin, config, storage, port);
        AlertmanagerProcess[] back = new AlertmanagerProcess[1];
        try (KafkaProducer<String, Incident> producer = new KafkaProducer<>(producerCfg, new StringSerializer(),
                serdes.serializer(Incident.class));
             AlertmanagerRouter router = new AlertmanagerRouter(kafka.clientConfig(), "router-it", TypedTopics.of(topics, serdes).incidents(),
                     new AlertmanagerClient(List.of("http://127.0.0.1:" + port), Duration.ofSeconds(2)),
                     new AlertmanagerAlerts("http://monitor.example:8089", Duration.ofMinutes(4)),
                     new AlertmanagerRouter.Settings(Duration.ofSeconds(30), Duration.ofMillis(200), Duration.ofSeconds(1)), registry)) {
            Thread t = new Thread(router, "alertmanager-router");
            t.start();
            long now = System.currentTimeMillis();
            producer.send(new ProducerRecord<>(topics.incidents(), "inc-a", incident("inc-a", IncidentStatus.OPEN, "r-1", now, null))).get();

            await(() -> active(am).has("inc-a"), "incident inc-a firing in Alertmanager");
            JsonNode a = active(am).get("inc-a");
            assertEquals("stories260K", a.path("labels").path("model").asText());
            assertEquals("blocks.1.hook_resid_post", a.path("labels").path("hook").asText());
            assertEquals("recon-error", a.path("labels").path("detector").asText());
            assertEquals("critical", a.path("labels").path("severity").asText());
            assertTrue(a.path("annotations").path("summary").asText().startsWith("[CRITICAL] stories260K request r-1: 2 alerts"),
                    a.path("annotations").toString());
            assertEquals("http://monitor.example:8089/incidents/inc-a", a.path("annotations").path("explanation").asText());
            await(() -> notified(notifications, "inc-a", "firing"), "the webhook receiver notified of inc-a");

            // Alertmanager goes down; incidents keep coming: one resolves, one opens.
            am.close();
            long t1 = System.currentTimeMillis();
            producer.send(new ProducerRecord<>(topics.incidents(), "inc-a",
                    incident("inc-a", IncidentStatus.RESOLVED, "r-1", now, t1))).get();
            producer.send(new ProducerRecord<>(topics.incidents(), "inc-b", incident("inc-b", IncidentStatus.OPEN, "r-2", t1, null))).get();
            await(() -> failedPushes(registry) >= 2, "the router retrying while Alertmanager is down");

            // Back up (its notification log survives in the storage directory; its alerts do not).
            back[0] = AlertmanagerProcess.start(bin, config, storage, port);
            await(() -> active(back[0]).has("inc-b"), "inc-b, published while Alertmanager was down, firing after it came back");
            assertTrue(!active(back[0]).has("inc-a"), "inc-a is resolved");
            await(() -> notified(notifications, "inc-b", "firing"), "the webhook receiver notified of inc-b");
            // The resolve of inc-a, published while it was down, was accepted after it came back (a restarted
            // Alertmanager keeps no alerts, so it has nothing to notify about for inc-a).
            await(() -> accepted(registry, "RESOLVED") >= 1, "Alertmanager accepting the resolve of inc-a");

            // A resolve while it is up ends the alert (endsAt) and the receiver hears of it.
            long t2 = System.currentTimeMillis();
            producer.send(new ProducerRecord<>(topics.incidents(), "inc-b", incident("inc-b", IncidentStatus.RESOLVED, "r-2", t1, t2))).get();
            await(() -> notified(notifications, "inc-b", "resolved"), "the webhook receiver notified that inc-b resolved");
            await(() -> !active(back[0]).has("inc-b"), "inc-b no longer active");
            assertEquals(0, router.openIncidents());
        } finally {
            am.close();
            if (back[0] != null) back[0].close();
            hook.stop(0);
        }
    }

    private JsonNode activeRaw(AlertmanagerProcess am) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(am.url() + "/api/v2/alerts")).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return JSON.readTree(r.body());
        } catch (Exception e) {
            return JSON.createArrayNode();
        }
    }

    /** Active alerts by incident label. */
    private ObjectNode active(AlertmanagerProcess am) {
        ObjectNode byId = JSON.createObjectNode();
        for (JsonNode a : activeRaw(am)) byId.set(a.path("labels").path("incident").asText(), a);
        return byId;
    }

    private static boolean notified(List<JsonNode> notifications, String incident, String status) {
        for (JsonNode n : notifications) {
            for (JsonNode a : n.path("alerts")) {
                if (a.path("labels").path("incident").asText().equals(incident) && a.path("status").asText().equals(status)) return true;
            }
        }
        return false;
    }

    private static double accepted(PrometheusRegistry registry, String status) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals("latentwatch_alertmanager_alerts"))
                .flatMap(s -> ((CounterSnapshot) s).getDataPoints().stream())
                .filter(d -> d.getLabels().get("status").equals(status)).mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
    }

    private static double failedPushes(PrometheusRegistry registry) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals("latentwatch_alertmanager_pushes"))
                .flatMap(s -> ((CounterSnapshot) s).getDataPoints().stream())
                .filter(d -> d.getLabels().get("outcome").equals("failed")).mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(25).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) return;
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what);
    }
}
