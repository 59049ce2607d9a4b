package io.latentwatch.cli;

import io.latentwatch.monitor.MonitorApp;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.publisher.KafkaConfig;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Runs the monitor against an existing Kafka cluster until interrupted. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = {"Runs the latentwatch monitor (a Kafka Streams application, exactly-once) against a Kafka cluster "
                + "until Ctrl-C: validates hidden states from the hidden-states topic, dead-letters malformed ones, "
                + "raises activation-norm alerts and serves Prometheus metrics on /metrics.",
                "Any Kafka Streams property can be set with LATENTWATCH_KAFKA_<PROPERTY> (e.g. "
                        + "LATENTWATCH_KAFKA_NUM_STREAM_THREADS=2)."})
public final class MonitorCommand implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: $LATENTWATCH_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE}).",
            defaultValue = "localhost:9092")
    String bootstrap;

    @Option(names = "--registry", description = "Schema registry: an Apicurio Registry URL, or 'embedded' (in-process; only "
            + "useful when producers run in this JVM). Default: $LATENTWATCH_REGISTRY_URL or ${DEFAULT-VALUE}.",
            defaultValue = "http://localhost:8080")
    String registry;

    @Option(names = "--metrics-port", description = "Port of the Prometheus /metrics endpoint (0 = any free port). Default: ${DEFAULT-VALUE}.",
            defaultValue = "9400")
    int metricsPort;

    @Option(names = "--state-dir", description = "Kafka Streams state directory (default: a directory under the system temp dir).")
    Path stateDir;

    @Option(names = "--warmup", description = "Observations per (model, hook) before the activation-norm detector scores. Default: ${DEFAULT-VALUE}.",
            defaultValue = "50")
    long warmup;

    @Option(names = "--threshold", description = "|z| above which the activation-norm detector alerts (WARNING). Default: ${DEFAULT-VALUE}.",
            defaultValue = "4.0")
    double threshold;

    @Option(names = "--critical-threshold", description = "|z| above which an alert is CRITICAL. Default: ${DEFAULT-VALUE}.",
            defaultValue = "8.0")
    double critical;

    @Option(names = {"-v", "--verbose"}, description = "Log Kafka's own INFO messages.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        Path dir = stateDir != null ? stateDir : Files.createTempDirectory("latentwatch-monitor-");
        var config = KafkaConfig.withEnvironment(MonitorApp.streamsDefaults(KafkaConfig.bootstrapServers(bootstrap), dir));
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(KafkaConfig.registry(registry));
        Topics topics = Topics.fromEnvironment();
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // On Ctrl-C the hook wakes the main thread and waits for it to close Kafka Streams cleanly.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try { closed.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }));
        try (MonitorApp app = new MonitorApp(config, topics, serdes, new ActivationNormDetector(warmup, threshold, critical), metricsPort)) {
            app.start();
            System.out.printf("latentwatch monitor: %s -> %s, %s; metrics on http://127.0.0.1:%d/metrics; Ctrl-C to stop%n",
                    topics.hiddenStates(), topics.alerts(), topics.dlq(), app.metricsPort());
            stop.await();
        } finally {
            closed.countDown();
        }
        return 0;
    }
}
