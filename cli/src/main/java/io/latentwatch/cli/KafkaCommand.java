package io.latentwatch.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code latentwatch kafka}: a real single-node Kafka broker (KRaft) in this process for local
 * development, with latentwatch's topics created, until Ctrl-C.
 */
@Command(name = "kafka", mixinStandardHelpOptions = true,
        description = {"Runs a local single-node Kafka broker (KRaft, in this process, data in a temporary directory "
                + "deleted on exit) with latentwatch's topics created, prints its bootstrap address and runs until "
                + "Ctrl-C.",
                "The schema registry used by the demo is in-process only; producers and the monitor in other "
                        + "processes need an Apicurio Registry URL (--registry).",
                "Example: latentwatch kafka --port 9092   then   latentwatch monitor --bootstrap-servers 127.0.0.1:9092"})
public final class KafkaCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-p", "--port"}, defaultValue = "9092",
            description = "Port of the broker's client listener on 127.0.0.1 (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX,
            description = "Prefix of latentwatch's topic names. Default: ${DEFAULT-VALUE}")
    String topicPrefix;

    @Option(names = "--partitions", defaultValue = "1",
            description = "Partitions of each latentwatch topic. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--no-topics", description = "Do not create latentwatch's topics (auto-creation stays on).")
    boolean noTopics;

    @Option(names = {"-d", "--duration"}, converter = DurationConverter.class,
            description = "Stop after this long (e.g. 10m) instead of waiting for Ctrl-C.")
    Duration duration;

    @Option(names = {"-v", "--verbose"}, description = "Log Kafka's own INFO messages.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Topics topics = Topics.withPrefix(topicPrefix);
        CountDownLatch stopped = new CountDownLatch(1);
        long t0 = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(port, Map.of())) {
            List<String> created = List.of();
            if (!noTopics) {
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                    created = topics.create(admin, partitions, (short) 1);
                }
            }
            // Ctrl-C: stop the broker cleanly (and delete its data) before the JVM exits.
            Thread hook = new Thread(() -> {
                kafka.close();
                stopped.countDown();
            }, "latentwatch-kafka-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            out.printf("Kafka %s ready in %d ms%n", kafka.clusterId(), (System.nanoTime() - t0) / 1_000_000);
            out.printf("bootstrap.servers=%s%n", kafka.bootstrapServers());
            out.printf("topics: %s%s%n", topics.all(), noTopics ? " (not created)" : " (" + created.size() + " created)");
            out.println("schema registry: in-process only (use an Apicurio Registry URL for clients in other processes)");
            out.println(duration == null ? "Press Ctrl-C to stop." : "Stopping in " + duration + ".");
            out.flush();
            try {
                if (duration == null) {
                    stopped.await();
                } else {
                    stopped.await(duration.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is already running
                }
            }
        }
        out.println("Kafka stopped.");
        out.flush();
        return 0;
    }
}
