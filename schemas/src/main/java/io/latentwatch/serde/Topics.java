package io.latentwatch.serde;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The names of latentwatch's topics. Every name is {@code prefix + suffix}, the prefix being
 * {@value #DEFAULT_PREFIX} unless configured (so several deployments can share a cluster):
 *
 * <ul>
 *   <li>{@link #hiddenStates()} — {@code HiddenStateSample}, key modelId</li>
 *   <li>{@link #examples()} — {@code LabeledExample}, key task</li>
 *   <li>{@link #saeVersions()} — {@code SaeVersion}, key modelId|hook, <b>compacted</b>: the latest
 *       version per key is the one in force</li>
 *   <li>{@link #alerts()} — {@code Alert}, key modelId|hook</li>
 *   <li>{@link #explanations()} — {@code Explanation}, key alertId, the compliance log: kept
 *       forever unless a retention period is configured ({@link TopicSettings})</li>
 *   <li>{@link #incidents()} — {@code Incident}, key incidentId, <b>compacted</b>: the latest state of
 *       each incident (alerts grouped per request or per model, hook and detector)</li>
 *   <li>{@link #dlq()} — dead letters: the original bytes, the reason in headers</li>
 *   <li>{@link #auditCheckpoints()} — {@code AuditCheckpoint}, key: explanations partition; the
 *       HMAC-signed chain heads of the compliance log, kept forever like it (a checkpoint deleted
 *       by retention could no longer prove a truncation)</li>
 * </ul>
 */
public final class Topics {

    public static final String DEFAULT_PREFIX = "latentwatch.";
    /** The environment variable that overrides the prefix in {@link #fromEnvironment()}. */
    public static final String PREFIX_ENV = "LATENTWATCH_TOPIC_PREFIX";

    public static final String HIDDEN_STATES = "hidden-states";
    public static final String EXAMPLES = "examples";
    public static final String SAE_VERSIONS = "sae-versions";
    public static final String ALERTS = "alerts";
    public static final String EXPLANATIONS = "explanations";
    public static final String DLQ = "dlq";
    public static final String INCIDENTS = "incidents";
    public static final String AUDIT_CHECKPOINTS = "audit-checkpoints";

    private final String prefix;

    private Topics(String prefix) {
        Objects.requireNonNull(prefix, "topic prefix");
        // Kafka topic names: [a-zA-Z0-9._-], at most 249 characters.
        if (!prefix.matches("[a-zA-Z0-9._-]*")) {
            throw new IllegalArgumentException("Topic prefix '" + prefix + "' may only contain letters, digits, '.', '_' and '-'");
        }
        this.prefix = prefix;
    }

    /** The default names ({@value #DEFAULT_PREFIX}...). */
    public static Topics defaults() {
        return new Topics(DEFAULT_PREFIX);
    }

    /** Names with the given prefix, used as is (include a trailing '.' if wanted). */
    public static Topics withPrefix(String prefix) {
        return new Topics(prefix);
    }

    /** Names with the prefix from {@value #PREFIX_ENV}, or the default. */
    public static Topics fromEnvironment() {
        String p = System.getenv(PREFIX_ENV);
        return new Topics(p == null || p.isBlank() ? DEFAULT_PREFIX : p.trim());
    }

    public String prefix() {
        return prefix;
    }

    public String hiddenStates() {
        return prefix + HIDDEN_STATES;
    }

    public String examples() {
        return prefix + EXAMPLES;
    }

    public String saeVersions() {
        return prefix + SAE_VERSIONS;
    }

    public String alerts() {
        return prefix + ALERTS;
    }

    public String explanations() {
        return prefix + EXPLANATIONS;
    }

    public String incidents() {
        return prefix + INCIDENTS;
    }

    public String dlq() {
        return prefix + DLQ;
    }

    public String auditCheckpoints() {
        return prefix + AUDIT_CHECKPOINTS;
    }

    /** All eight names, in the order listed in the class comment. */
    public List<String> all() {
        return List.of(hiddenStates(), examples(), saeVersions(), alerts(), explanations(), incidents(), dlq(), auditCheckpoints());
    }

    /** {@link #newTopics(TopicSettings)} with explanations kept forever. */
    public List<NewTopic> newTopics(int partitions, short replicationFactor) {
        return newTopics(new TopicSettings(partitions, replicationFactor, null));
    }

    /**
     * The topics with their configuration: sae-versions is compacted (the latest version per
     * model|hook is the one in force, whatever its age); explanations and their audit checkpoints
     * are deleted only after the configured compliance period (by default never); the others follow
     * the broker's retention.
     */
    public List<NewTopic> newTopics(TopicSettings settings) {
        List<NewTopic> topics = new ArrayList<>();
        for (String name : all()) {
            NewTopic t = new NewTopic(name, settings.partitions(), settings.replicationFactor());
            t.configs(configs(name, settings));
            topics.add(t);
        }
        return topics;
    }

    /** The topic configuration latentwatch sets on {@code name} (empty for the broker's defaults). */
    public Map<String, String> configs(String name, TopicSettings settings) {
        if (name.equals(saeVersions()) || name.equals(incidents())) {
            return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        }
        if (name.equals(explanations())) {
            return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.RETENTION_MS_CONFIG, Long.toString(settings.explanationsRetentionMs()),
                    TopicConfig.RETENTION_BYTES_CONFIG, "-1");
        }
        if (name.equals(auditCheckpoints())) {
            // Never compacted (every checkpoint is evidence, not just the latest per partition) and
            // kept as long as the explanations they sign, so audit verify can check the whole log.
            return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.RETENTION_MS_CONFIG, Long.toString(settings.explanationsRetentionMs()),
                    TopicConfig.RETENTION_BYTES_CONFIG, "-1");
        }
        return Map.of();
    }

    /** {@link #create(Admin, TopicSettings)} with explanations kept forever. */
    public List<String> create(Admin admin, int partitions, short replicationFactor) {
        return create(admin, new TopicSettings(partitions, replicationFactor, null));
    }

    /**
     * Creates every topic that does not exist yet (existing ones are left as they are: see
     * {@code latentwatch topics describe}) and waits for the broker to confirm. Returns the names
     * that were created. Services call this on start, so a fresh cluster gets the right settings
     * rather than whatever broker-side auto-creation would give.
     */
    public List<String> create(Admin admin, TopicSettings settings) {
        List<NewTopic> wanted = newTopics(settings);
        Set<String> existing;
        try {
            existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while listing topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot list topics to create " + all(), e);
        }
        List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
        List<String> created = new ArrayList<>();
        var result = admin.createTopics(missing);
        for (NewTopic t : missing) {
            try {
                result.values().get(t.name()).get(30, TimeUnit.SECONDS);
                created.add(t.name());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) { // created concurrently: fine
                    throw new IllegalStateException("Cannot create topic " + t.name() + ": " + e.getCause().getMessage(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while creating topic " + t.name(), e);
            } catch (TimeoutException e) {
                throw new IllegalStateException("Timed out creating topic " + t.name(), e);
            }
        }
        return created;
    }

    /**
     * What a service calls on start: creates the topics that are missing, with {@code settings}
     * (typically {@link TopicSettings#fromEnvironment}), through a short-lived admin client built
     * from {@code clientConfig} (bootstrap servers and security settings of the service).
     */
    public List<String> createMissing(Map<String, Object> clientConfig, TopicSettings settings) {
        try (Admin admin = Admin.create(adminConfig(clientConfig))) {
            return create(admin, settings);
        }
    }

    /**
     * The entries of a service's client configuration (producer, consumer or Kafka Streams properties) that an
     * admin client understands: bootstrap servers, security and timeouts, without the others' keys.
     */
    public static Map<String, Object> adminConfig(Map<String, ?> clientConfig) {
        Map<String, Object> out = new LinkedHashMap<>();
        Set<String> known = AdminClientConfig.configNames();
        clientConfig.forEach((k, v) -> {
            if (known.contains(k)) out.put(k, v);
        });
        return out;
    }

    @Override
    public String toString() {
        return "Topics" + all();
    }
}
