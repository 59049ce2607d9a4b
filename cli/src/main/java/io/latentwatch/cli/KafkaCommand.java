package io.latentwatch.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.serde.TopicSettings;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code latentwatch kafka}: a real single-node Kafka broker (KRaft) in this process for local
 * development and the local stack, with latentwatch's topics created, until Ctrl-C; persistent
 * with {@code --data-dir}.
 */
@Command(name = "kafka", mixinStandardHelpOptions = true,
        description = {"Runs a local single-node Kafka broker (KRaft, in this process) with latentwatch's topics created "
                + "(sae-versions compacted, explanations kept forever unless --explanations-retention), prints its "
                + "bootstrap address and runs until Ctrl-C or SIGTERM.",
                "With --data-dir the broker keeps its cluster id, topics, offsets and records there across restarts "
                        + "(the directory is formatted on the first start only); without it the data lives in a "
                        + "temporary directory deleted on exit.",
                "Topics are not auto-created by producers or consumers (so Kafka Streams creates its internal topics "
                        + "with the partition counts it needs); --auto-create-topics turns that back on.",
                "Clients in other processes need a schema registry too: latentwatch registry --bootstrap-servers ...",
                "Example: latentwatch kafka --port 9092 --data-dir var/kafka"})
public final class KafkaCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-p", "--port"}, defaultValue = "9092",
            description = "Port of the broker's client listener on 127.0.0.1 (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX,
            description = "Prefix of latentwatch's topic names. Default: ${DEFAULT-VALUE}")
    String topicPrefix;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep the broker's data here across restarts (created and formatted on the first start). "
                    + "Default: a temporary directory deleted on exit.")
    Path dataDir;

    @Option(names = "--partitions", defaultValue = "1",
            description = "Partitions of each latentwatch topic. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--explanations-retention", paramLabel = "PERIOD", defaultValue = TopicSettings.FOREVER,
            description = "How long the explanations topic (the compliance log) keeps records: an ISO-8601 duration "
                    + "(P3650D = ten years) or 'forever'. Default: ${DEFAULT-VALUE}.")
    String explanationsRetention;

    @Option(names = "--no-topics", description = "Do not create latentwatch's topics.")
    boolean noTopics;

    @Option(names = "--auto-create-topics", description = "Let the broker create topics on first use (off by default: "
            + "an auto-created topic has the broker's default partitions and configs, not latentwatch's).")
    boolean autoCreateTopics;

    @Option(names = {"-d", "--duration"}, converter = DurationConverter.class,
            description = "Stop after this long (e.g. 10m) instead of waiting for Ctrl-C.")
    Duration duration;

    @Option(names = {"-v", "--verbose"}, description = "Log Kafka's own INFO messages.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Topics topics = Topics.withPrefix(topicPrefix);
        TopicSettings settings = new TopicSettings(partitions, (short) 1, TopicSettings.parseRetention(explanationsRetention));
        CountDownLatch stopped = new CountDownLatch(1);
        long t0 = System.nanoTime();
        Map<String, String> overrides = Map.of("auto.create.topics.enable", Boolean.toString(autoCreateTopics));
        try (EmbeddedKafka kafka = dataDir == null ? EmbeddedKafka.start(port, overrides)
                : EmbeddedKafka.startPersistent(dataDir, port, overrides)) {
            List<String> created = List.of();
            if (!noTopics) {
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                    created = topics.create(admin, settings);
                }
            }
            // Ctrl-C / SIGTERM: stop the broker cleanly (a temporary one also deletes its data) before the JVM exits.
            Thread hook = new Thread(() -> {
                kafka.close();
                stopped.countDown();
            }, "latentwatch-kafka-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            out.printf("Kafka %s ready in %d ms%n", kafka.clusterId(), (System.nanoTime() - t0) / 1_000_000);
            out.printf("bootstrap.servers=%s%n", kafka.bootstrapServers());
            out.printf("data: %s%n", kafka.persistent() ? kafka.logDir() + " (kept)" : "temporary (deleted on exit)");
            out.printf("topics: %s%s%n", topics.all(), noTopics ? " (not created)" : " (" + created.size() + " created; " + settings + ")");
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
