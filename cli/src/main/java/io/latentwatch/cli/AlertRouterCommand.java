package io.latentwatch.cli;

import io.latentwatch.monitor.incident.AlertmanagerAlerts;
import io.latentwatch.monitor.incident.AlertmanagerClient;
import io.latentwatch.monitor.incident.AlertmanagerRouter;
import io.latentwatch.common.KafkaConfig;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Runs the router from the incidents topic to Alertmanager until interrupted. */
@Command(name = "alert-router", mixinStandardHelpOptions = true,
        description = {"Pushes the monitor's incidents (the compacted incidents topic) to Alertmanager's API v2 until Ctrl-C: "
                + "one alert per incident with labels alertname=LatentwatchIncident, incident, model, hook, detector, severity, "
                + "scope and annotations summary and explanation (a link to the monitor's incident page); endsAt on resolve.",
                "Nothing is lost while Alertmanager is down: offsets are committed only after it accepted the incidents, "
                        + "and pushes are retried with backoff. Open incidents are re-sent every --resend-interval.",
                "Routes and receivers (webhook, Slack, PagerDuty) are Alertmanager's: see deploy/alertmanager/.",
                "Example: latentwatch alert-router --alertmanager http://alertmanager:9093 --page-url http://monitor:8089"})
public final class AlertRouterCommand implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: $LATENTWATCH_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE}).",
            defaultValue = "localhost:9092")
    String bootstrap;

    @Option(names = "--registry", description = "Schema registry: an Apicurio Registry URL. Default: $LATENTWATCH_REGISTRY_URL or ${DEFAULT-VALUE}.",
            defaultValue = "http://localhost:8080")
    String registry;

    @Option(names = "--alertmanager", paramLabel = "URL", description = "Alertmanager base URL (repeatable: the members of one "
            + "Alertmanager cluster; the first that accepts wins). Default: ${DEFAULT-VALUE}.", defaultValue = "http://localhost:9093")
    List<String> alertmanagers = new ArrayList<>();

    @Option(names = "--page-url", description = "Base URL of the monitor's HTTP endpoint (monitor.http.port), for the incident "
            + "links in the annotations. Default: ${DEFAULT-VALUE}.", defaultValue = "http://localhost:8089")
    String pageUrl;

    @Option(names = "--group-id", description = "Consumer group of the routers (run several for availability). Default: ${DEFAULT-VALUE}.",
            defaultValue = "latentwatch-alert-router")
    String groupId;

    @Option(names = "--resend-interval", converter = DurationConverter.class, description = "How often open incidents are re-sent; "
            + "a firing alert not re-sent expires after 4x this. Default: ${DEFAULT-VALUE}.", defaultValue = "60s")
    Duration resend;

    @Option(names = "--metrics-port", description = "Port of the router's Prometheus /metrics (-1: none). Default: ${DEFAULT-VALUE}.",
            defaultValue = "9401")
    int metricsPort;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> consumer = new LinkedHashMap<>(KafkaConfig.withEnvironment(Map.of(
                "bootstrap.servers", KafkaConfig.bootstrapServers(bootstrap))));
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(KafkaConfig.registry(registry));
        Topics topics = Topics.fromEnvironment();
        PrometheusRegistry metrics = new PrometheusRegistry();
        AlertmanagerRouter.Settings defaults = AlertmanagerRouter.Settings.defaults();
        try (AlertmanagerRouter router = new AlertmanagerRouter(consumer, groupId, TypedTopics.of(topics, serdes).incidents(),
                new AlertmanagerClient(alertmanagers, Duration.ofSeconds(10)), new AlertmanagerAlerts(pageUrl, resend.multipliedBy(4)),
                new AlertmanagerRouter.Settings(resend, defaults.initialBackoff(), defaults.maxBackoff()), metrics);
             HTTPServer server = metricsPort < 0 ? null : HTTPServer.builder().port(metricsPort).registry(metrics).buildAndStart()) {
            Thread worker = new Thread(router, "alertmanager-router");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                router.close();
                try { worker.join(10_000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            }));
            worker.start();
            System.out.printf("latentwatch alert-router: %s -> %s; metrics on %s; Ctrl-C to stop%n", topics.incidents(), alertmanagers,
                    server == null ? "(none)" : "http://127.0.0.1:" + server.getPort() + "/metrics");
            worker.join();
        }
        return 0;
    }
}
