package io.latentwatch.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.latentwatch.common.KafkaConfig;
import io.latentwatch.serde.TopicDescriptions;
import io.latentwatch.serde.TopicSettings;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code latentwatch topics create|describe}: latentwatch's topics with the settings they need. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Creates and describes latentwatch's topics (names: the prefix from --topic-prefix or "
                + "$LATENTWATCH_TOPIC_PREFIX, default latentwatch.).",
        subcommands = {TopicsCommand.Create.class, TopicsCommand.Describe.class, CommandLine.HelpCommand.class})
public final class TopicsCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Flags both subcommands share. */
    static final class Connection {
        @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092",
                description = "Kafka bootstrap servers (default: $LATENTWATCH_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE}).")
        String bootstrap;

        @Option(names = "--topic-prefix", description = "Prefix of the topic names (default: $LATENTWATCH_TOPIC_PREFIX or latentwatch.).")
        String prefix;

        Topics topics() {
            return prefix == null ? Topics.fromEnvironment() : Topics.withPrefix(prefix);
        }

        Admin admin() {
            return Admin.create(KafkaConfig.withEnvironment(Map.of("bootstrap.servers", KafkaConfig.bootstrapServers(bootstrap))));
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Creates the topics that do not exist yet, with latentwatch's settings: sae-versions compacted "
                    + "(the latest version per model|hook stays in force however old), explanations kept for the "
                    + "compliance period (default forever: retention.ms=-1), the others with the broker's retention.",
                    "Existing topics are left alone (their settings are listed by 'topics describe'). The services "
                            + "(monitor, trainer, node) create missing topics the same way on start, from "
                            + "$" + TopicSettings.PARTITIONS_ENV + ", $" + TopicSettings.REPLICATION_ENV + " and $"
                            + TopicSettings.EXPLANATIONS_RETENTION_ENV + ".",
                    "The monitor's internal topics (repartition, changelog) are created by Kafka Streams; the monitor "
                            + "fixes the repartition topics' partition counts at start (an existing topic's count is kept, "
                            + "so one auto-created by a stray client does not stop it). Keep the broker's "
                            + "auto.create.topics.enable off all the same: auto-created topics get the broker's defaults.",
                    "Example: latentwatch topics create --partitions 6 --explanations-retention P3650D"})
    static final class Create implements Callable<Integer> {
        @CommandLine.Mixin
        Connection connection = new Connection();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--partitions", description = "Partitions of each topic (default: $" + TopicSettings.PARTITIONS_ENV + " or 3).")
        Integer partitions;

        @Option(names = "--replication-factor", description = "Replication factor (default: $" + TopicSettings.REPLICATION_ENV + " or 1).")
        Short replication;

        @Option(names = "--explanations-retention", paramLabel = "PERIOD",
                description = "How long explanations are kept: an ISO-8601 duration (P3650D = ten years) or 'forever' "
                        + "(default: $" + TopicSettings.EXPLANATIONS_RETENTION_ENV + " or forever).")
        String retention;

        @Override
        public Integer call() {
            TopicSettings env = TopicSettings.fromEnvironment(System.getenv());
            TopicSettings settings = new TopicSettings(partitions != null ? partitions : env.partitions(),
                    replication != null ? replication : env.replicationFactor(),
                    retention != null ? TopicSettings.parseRetention(retention) : env.explanationsRetention());
            Topics topics = connection.topics();
            PrintWriter out = spec.commandLine().getOut();
            try (Admin admin = connection.admin()) {
                List<String> created = topics.create(admin, settings);
                for (String t : topics.all()) {
                    out.printf("%-40s %s%n", t, created.contains(t) ? "created (" + settings + ")" : "exists (left as it is)");
                }
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = {"Lists latentwatch's topics (or the ones named) with partitions, replication, their configs "
                    + "(those set on the topic, plus cleanup.policy and retention) and each partition's log-start and "
                    + "end offsets. Exit code 1 if a topic is missing.",
                    "Example: latentwatch topics describe --bootstrap-servers 127.0.0.1:9092"})
    static final class Describe implements Callable<Integer> {
        @CommandLine.Mixin
        Connection connection = new Connection();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Parameters(arity = "0..*", paramLabel = "TOPIC", description = "Topics to describe (default: every latentwatch topic: hidden-states, examples, sae-versions, alerts, explanations, incidents, dlq, audit-checkpoints).")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            List<String> wanted = names == null || names.isEmpty() ? connection.topics().all() : names;
            PrintWriter out = spec.commandLine().getOut();
            try (Admin admin = connection.admin()) {
                Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                List<String> present = wanted.stream().filter(existing::contains).toList();
                out.print(TopicDescriptions.format(TopicDescriptions.describe(admin, present)));
                List<String> missing = wanted.stream().filter(t -> !existing.contains(t)).toList();
                for (String t : missing) {
                    out.println(t + "  MISSING (create it with: latentwatch topics create)");
                }
                out.flush();
                return missing.isEmpty() ? 0 : 1;
            }
        }
    }
}
