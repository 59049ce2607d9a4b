package io.latentwatch.cli;

import io.latentwatch.monitor.audit.AuditKey;
import io.latentwatch.monitor.audit.AuditVerifier;
import io.latentwatch.common.KafkaConfig;
import io.latentwatch.schema.Explanation;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topic;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code latentwatch audit verify}: checks the compliance log's hash chains. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Checks the explanations topic, latentwatch's append-only compliance log.",
        subcommands = {AuditCommand.Verify.class, CommandLine.HelpCommand.class})
public final class AuditCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Reads every partition of the explanations topic (read_committed, from the log start) and checks "
                    + "its hash chain: each record's hash must be SHA-256 over the previous record's hash and the record's "
                    + "canonical content, and sequence numbers must not skip.",
                    "Reports tampered records (content does not match its hash), broken links (a record removed, inserted "
                            + "or reordered), gaps (missing sequence numbers, also at the start of a partition) and "
                            + "undecodable records. Exit code 0 when every chain is intact, 1 otherwise.",
                    "When the topic has a configured retention (latentwatch topics create --explanations-retention P3650D) "
                            + "and the broker has deleted a partition's oldest records, the chain is checked from the first "
                            + "record kept, and that start is reported as the retention boundary, not as a gap. With the "
                            + "default (kept forever) a missing start is a gap.",
                    "Given the audit key the monitor signs with (--audit-key-file, or $LATENTWATCH_AUDIT_KEY), it also reads the "
                            + "audit-checkpoints topic and reports forged checkpoints (HMAC mismatch), checkpoints of another key, "
                            + "a partition truncated at its end (a signed head beyond its last record), a partition rewritten "
                            + "(a signed sequence whose record has another hash, even when the new chain is consistent in "
                            + "itself), and a partition whose newest checkpoint is older than --max-checkpoint-age."})
    public static final class Verify implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: $LATENTWATCH_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE}).",
                defaultValue = "localhost:9092")
        String bootstrap;

        @Option(names = "--registry", description = "Schema registry URL, or 'embedded'. Default: $LATENTWATCH_REGISTRY_URL or ${DEFAULT-VALUE}.",
                defaultValue = "http://localhost:8080")
        String registry;

        @Option(names = "--topic", description = "Explanations topic (default: the prefix's explanations topic, e.g. latentwatch.explanations).")
        String topic;

        @Option(names = "--timeout", description = "How long to wait for the broker and for reading the topic. Default: ${DEFAULT-VALUE}.",
                defaultValue = "60s")
        Duration timeout;

        @Option(names = "--audit-key-file", paramLabel = "FILE", description = "File with the HMAC key the monitor signs checkpoints "
                + "with (monitor.audit.key.file); default: the key in $" + AuditKey.ENV + "; without either, checkpoints are not checked.")
        Path keyFile;

        @Option(names = "--checkpoint-topic", description = "Audit-checkpoints topic (default: the prefix's, e.g. latentwatch.audit-checkpoints).")
        String checkpointTopic;

        @Option(names = "--max-checkpoint-age", description = "How old the newest checkpoint of a partition may be (the monitor signs "
                + "every monitor.audit.checkpoint.interval.ms, 60 s by default); 0: any age (an archived log, a stopped monitor). "
                + "Default: ${DEFAULT-VALUE}.", defaultValue = "10m", converter = DurationConverter.class)
        Duration maxAge;

        @Override
        public Integer call() {
            Topics topics = Topics.fromEnvironment();
            LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(KafkaConfig.registry(registry));
            TypedTopics typed = TypedTopics.of(topics, serdes);
            Topic<String, Explanation> t = topic != null ? typed.explanations().named(topic) : typed.explanations();
            AuditKey key = AuditKey.resolve(keyFile == null ? null : keyFile.toString(), System.getenv());
            AuditVerifier.CheckpointCheck check = new AuditVerifier.CheckpointCheck(
                    checkpointTopic != null ? typed.auditCheckpoints().named(checkpointTopic) : typed.auditCheckpoints(), key, maxAge);
            AuditVerifier.Report r = AuditVerifier.verify(KafkaConfig.withEnvironment(
                    AuditVerifier.consumerDefaults(KafkaConfig.bootstrapServers(bootstrap))), t, timeout,
                    check);
            spec.commandLine().getOut().print(AuditVerifier.format(r));
            spec.commandLine().getOut().flush();
            return r.ok() ? 0 : 1;
        }
    }
}
