package io.latentwatch.monitor;

import io.latentwatch.common.BearerToken;
import io.latentwatch.monitor.audit.AuditKey;
import io.latentwatch.monitor.audit.Redaction;
import io.latentwatch.monitor.validate.InputLimits;
import io.latentwatch.schema.Severity;
import io.latentwatch.serde.TopicSettings;
import io.latentwatch.serde.Topics;
import io.latentwatch.monitor.incident.IncidentGrouper;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The monitor's own settings, Kafka-properties style ({@code monitor.*} keys), each overridable by
 * an environment variable: {@code LATENTWATCH_} + the key upper-cased with dots as underscores
 * ({@code monitor.drift.fdr} -> {@code LATENTWATCH_MONITOR_DRIFT_FDR}). Precedence: environment,
 * then explicit properties, then the defaults below.
 */
public final class MonitorConfig {
    public static final String BATCH_MAX_RECORDS = "monitor.batch.max.records";
    public static final String BATCH_MAX_MS = "monitor.batch.max.ms";
    /** Samples older than this on arrival mean the monitor is catching up: drains then wait for full batches. */
    public static final String BATCH_BACKLOG_MS = "monitor.batch.backlog.ms";
    public static final String PROJECTION_MAX_LATENTS = "monitor.projection.max.latents";
    public static final String RECON_QUANTILE = "monitor.recon.quantile";
    public static final String RECON_MARGIN = "monitor.recon.margin";
    public static final String RECON_CRITICAL_FACTOR = "monitor.recon.critical.factor";
    public static final String DRIFT_WINDOW = "monitor.drift.window.samples";
    public static final String DRIFT_FDR = "monitor.drift.fdr";
    public static final String RARE_EPSILON = "monitor.rare.epsilon";
    public static final String RARE_MIN_ACTIVATION = "monitor.rare.min.activation";
    public static final String WATCHLIST_FILE = "monitor.watchlist.file";
    public static final String CIRCUIT_SEVERITY = "monitor.circuit.severity";
    public static final String EXPLAIN_WORKERS = "monitor.explain.workers";
    public static final String EXPLAIN_QUEUE = "monitor.explain.queue";
    public static final String EXPLAIN_TIMEOUT_MS = "monitor.explain.timeout.ms";
    public static final String EXPLAIN_PROMPT_TEXT = "monitor.explain.prompt.text";
    public static final String EXPLANATIONS_PARTITIONS = "monitor.explanations.partitions";
    /** Create the missing topics at start ({@link Topics#createMissing}) with the three settings below. */
    public static final String TOPICS_CREATE = "monitor.topics.create";
    public static final String TOPICS_PARTITIONS = "monitor.topics.partitions";
    public static final String TOPICS_REPLICATION = "monitor.topics.replication.factor";
    /** The compliance period of the explanations topic, an ISO-8601 duration or {@code forever}. */
    public static final String EXPLANATIONS_RETENTION = "monitor.explanations.retention";
    /** Partitions of the repartition topics (see {@link InternalTopics}); 0: the existing topic's, else the hidden-states topic's. */
    public static final String INTERNAL_PARTITIONS = "monitor.internal.partitions";
    public static final String HTTP_PORT = "monitor.http.port";
    public static final String HTTP_HOST = "monitor.http.host";
    public static final String LENS_WARMUP = "monitor.lens.warmup.samples";
    public static final String MAX_REBALANCE_S = "monitor.health.max-rebalance.s";
    public static final String LENS_QUANTILE = "monitor.lens.quantile";
    public static final String LENS_MARGIN = "monitor.lens.margin";
    /** Prefix of per-model keys {@code monitor.tuned-lens.dir.<modelId>} = directory of a tuned lens (config.json + safetensors). */
    public static final String TUNED_LENS_DIR_PREFIX = "monitor.tuned-lens.dir.";
    /** Prefix of per-model keys {@code monitor.model.<modelId>} = checkpoint the nodes serve (llama2.c .bin or HF directory). */
    public static final String MODEL_PREFIX = "monitor.model.";
    /** Prefix of per-model keys {@code monitor.tokenizer.<modelId>} = tokenizer file of a llama2.c checkpoint. */
    public static final String TOKENIZER_PREFIX = "monitor.tokenizer.";
    public static final String REGISTRY_URL = "monitor.registry.url";
    public static final String TOPIC_PREFIX = "monitor.topic.prefix";
    public static final String METRICS_PORT = "monitor.metrics.port";
    public static final String ARTIFACTS_DIR = "monitor.artifacts.dir";
    public static final String NORM_WARMUP = "monitor.norm.warmup.samples";
    public static final String NORM_THRESHOLD = "monitor.norm.threshold";
    public static final String NORM_CRITICAL = "monitor.norm.critical";
    public static final String LENS_TRAJECTORY = "monitor.lens.trajectory";
    public static final String EXPLAIN_TOP_TOKENS = "monitor.explain.top.tokens";
    public static final String EXPLAIN_DECODE_TOKENS = "monitor.explain.decode.tokens";
    public static final String SHUTDOWN_GRACE_MS = "monitor.shutdown.grace.ms";
    /** Incidents: an open incident resolves after this long without a new alert. */
    public static final String INCIDENT_QUIET_MS = "monitor.incident.quiet.ms";
    /** Incidents: alerts within this long after a resolve re-open the incident instead of paging anew. */
    public static final String INCIDENT_COOLDOWN_MS = "monitor.incident.cooldown.ms";
    public static final String INCIDENT_MAX_ALERTS = "monitor.incident.max.alerts";
    /** How long the incident page can look up an explanation by alert id. */
    public static final String INCIDENT_EXPLANATION_RETENTION_MS = "monitor.incident.explanation.retention.ms";
    public static final String ENV_PREFIX = "LATENTWATCH_";
    /** Hidden-state records longer than this are dead-lettered undecoded; also Avro's length cap (see {@link InputLimits}). */
    public static final String INPUT_MAX_RECORD_BYTES = "monitor.input.max.record.bytes";
    /** Distinct (model, hook) series one stream task keeps state for; further ones are dead-lettered. */
    public static final String INPUT_MAX_SERIES = "monitor.input.max.series";
    /** Comma-separated Java regular expressions whose matches are replaced by [REDACTED] in explanations before they are written. */
    public static final String EXPLAIN_REDACT_PATTERNS = "monitor.explain.redact.patterns";
    /** Address /metrics and /health/* bind to (loopback by default: set 0.0.0.0 where Prometheus scrapes from elsewhere). */
    public static final String METRICS_HOST = "monitor.metrics.host";
    /** File holding the bearer token the query endpoints and /metrics require (or {@value #HTTP_TOKEN_ENV}). */
    public static final String HTTP_TOKEN_FILE = "monitor.http.token.file";
    /** Environment variable holding the bearer token itself (a file is preferable). */
    public static final String HTTP_TOKEN_ENV = "LATENTWATCH_MONITOR_HTTP_TOKEN";
    /** File holding the HMAC key that signs the compliance log's checkpoints (or {@code $LATENTWATCH_AUDIT_KEY}). */
    public static final String AUDIT_KEY_FILE = "monitor.audit.key.file";
    /** How often each explanations partition's chain head is signed onto the audit-checkpoints topic. */
    public static final String AUDIT_CHECKPOINT_INTERVAL_MS = "monitor.audit.checkpoint.interval.ms";

    /** A setting's default and what it does ({@code latentwatch monitor --help}, the module README). */
    private record Setting(String defaultValue, String description) {}

    private static Map.Entry<String, Setting> setting(String key, String defaultValue, String description) {
        return Map.entry(key, new Setting(defaultValue, description));
    }

    /** Every setting, declared once. */
    private static final Map<String, Setting> SETTINGS = new TreeMap<>(Map.ofEntries(
            setting(BATCH_MAX_RECORDS, "256", "samples per SAE micro-batch"),
            setting(BATCH_MAX_MS, "25", "longest wait (ms) before a partial micro-batch is projected"),
            setting(BATCH_BACKLOG_MS, "1000",
                    "samples older than this on arrival mean catching up: wait for full batches"),
            setting(PROJECTION_MAX_LATENTS, "64", "most active latents kept per projected sample"),
            setting(RECON_QUANTILE, "p99.9",
                    "baseline quantile of the reconstruction error the recon-error detector compares with"),
            setting(RECON_MARGIN, "1.0", "factor on that quantile above which recon-error alerts"),
            setting(RECON_CRITICAL_FACTOR, "4.0", "factor on the threshold above which the alert is CRITICAL"),
            setting(DRIFT_WINDOW, "500", "samples per drift window (latent frequencies vs baseline)"),
            setting(DRIFT_FDR, "0.001", "false-discovery rate of the drift test (Benjamini-Hochberg)"),
            setting(RARE_EPSILON, "1e-4", "baseline firing frequency below which a latent counts as rare"),
            setting(RARE_MIN_ACTIVATION, "0.0", "activation a rare latent must exceed to alert"),
            setting(WATCHLIST_FILE, "", "JSON file of watched latents (by id or label regex); empty: none"),
            setting(CIRCUIT_SEVERITY, "WARNING", "severity of circuit-match alerts (INFO, WARNING, CRITICAL)"),
            setting(EXPLAIN_WORKERS, "1", "threads reading representations with the models (lenses, Patchscope)"),
            setting(EXPLAIN_QUEUE, "16", "readings waiting at most; beyond, explanations say 'saturated'"),
            setting(EXPLAIN_TIMEOUT_MS, "5000",
                    "longest wait (ms) for a model reading before the explanation says 'failed'"),
            setting(EXPLAIN_PROMPT_TEXT, "false",
                    "reserved: explanations carry no prompt text (promptText is always null; alerts do not carry it)"),
            setting(EXPLANATIONS_PARTITIONS, "0", "partitions of the explanations topic (0: ask the cluster)"),
            setting(TOPICS_CREATE, "true",
                    "create the missing topics at start (sae-versions and incidents compacted, explanations kept for the "
                    + "retention below); existing topics are left as they are"),
            setting(TOPICS_PARTITIONS, "3",
                    "partitions of each topic created at start; also $" + TopicSettings.PARTITIONS_ENV),
            setting(TOPICS_REPLICATION, "1",
                    "replication factor of each topic created at start; also $" + TopicSettings.REPLICATION_ENV),
            setting(EXPLANATIONS_RETENTION, TopicSettings.FOREVER,
                    "how long the explanations topic keeps records when created here: ISO-8601 (P3650D) or forever; also $" + TopicSettings.EXPLANATIONS_RETENTION_ENV),
            setting(INTERNAL_PARTITIONS, "0",
                    "partitions of the monitor's repartition topics (0: an existing topic's count, else the hidden-states "
                    + "topic's); an existing topic's count is always kept"),
            setting(HTTP_PORT, "-1",
                    "port of the query endpoints /latents, /alerts, /sae-versions (-1: off, 0: any free port)"),
            setting(HTTP_HOST, "127.0.0.1",
                    "address the query endpoints bind to; advertised to other instances unless application.server is set"),
            setting(LENS_WARMUP, "200", "samples per model before the lens-trajectory detector scores"),
            setting(MAX_REBALANCE_S, "300",
                    "seconds Kafka Streams may stay REBALANCING (incl. restoring state) before the monitor counts as dead and "
                    + "exits 70 for its supervisor to restart it (0: no limit)"),
            setting(LENS_QUANTILE, "0.99",
                    "baseline quantile of KL(final || tuned lens) the lens-trajectory detector compares with"),
            setting(LENS_MARGIN, "1.5", "factor on that quantile above which lens-trajectory alerts"),
            setting(REGISTRY_URL, "http://localhost:8080",
                    "schema registry (Apicurio, Confluent-compatible API) or 'embedded'; also $LATENTWATCH_REGISTRY_URL"),
            setting(TOPIC_PREFIX, Topics.DEFAULT_PREFIX, "prefix of every topic name; also $LATENTWATCH_TOPIC_PREFIX"),
            setting(METRICS_PORT, "9400",
                    "port of /metrics, /health/live and /health/ready (0: any free port, -1: off)"),
            setting(ARTIFACTS_DIR, "",
                    "artifact store the trainer publishes SAEs into (model/hook/version); empty: the URI in each SaeVersion"),
            setting(NORM_WARMUP, "50", "observations per (model, hook) before the activation-norm detector scores"),
            setting(NORM_THRESHOLD, "4.0", "|z| of the activation norm above which a WARNING is raised"),
            setting(NORM_CRITICAL, "8.0", "|z| above which the activation-norm alert is CRITICAL"),
            setting(LENS_TRAJECTORY, "false", "run the lens-trajectory detector on the configured models"),
            setting(EXPLAIN_TOP_TOKENS, "5", "lens tokens per explanation"),
            setting(EXPLAIN_DECODE_TOKENS, "4", "tokens the token-identity Patchscope decodes"),
            setting(SHUTDOWN_GRACE_MS, "30000",
                    "longest a clean stop (SIGTERM) may take before the process exits anyway"),
            setting(INPUT_MAX_RECORD_BYTES, Integer.toString(InputLimits.DEFAULT_MAX_RECORD_BYTES),
                    "hidden-state records longer than this are dead-lettered undecoded (also Avro's length cap)"),
            setting(INPUT_MAX_SERIES, Integer.toString(InputLimits.DEFAULT_MAX_SERIES),
                    "distinct (model, hook) series one stream task keeps state for; further ones are dead-lettered"),
            setting(EXPLAIN_REDACT_PATTERNS, "",
                    "comma-separated regular expressions replaced by [REDACTED] in explanations before they are written"),
            setting(AUDIT_KEY_FILE, "",
                    "file with the HMAC-SHA256 key (>= 32 bytes) signing the chain-head checkpoints; or the key in $" + AuditKey.ENV + "; "
                    + "neither: no checkpoints (a warning)"),
            setting(METRICS_HOST, "127.0.0.1",
                    "address /metrics and /health/* bind to (0.0.0.0: every interface, e.g. in a container)"),
            setting(HTTP_TOKEN_FILE, "",
                    "file with the bearer token the query endpoints and /metrics require (401 without; /health/* stay open); or "
                    + "the token in $" + HTTP_TOKEN_ENV + "; neither: no authentication"),
            setting(AUDIT_CHECKPOINT_INTERVAL_MS, "60000",
                    "how often (ms) each explanations partition's chain head is signed onto the audit-checkpoints topic"),
            setting(INCIDENT_QUIET_MS, "30000", "an open incident resolves after this long (ms) without a new alert"),
            setting(INCIDENT_COOLDOWN_MS, "300000",
                    "alerts within this long (ms) after a resolve re-open the incident instead of paging anew"),
            setting(INCIDENT_MAX_ALERTS, "200", "alerts an incident lists at most (the count goes on)"),
            setting(INCIDENT_EXPLANATION_RETENTION_MS, "86400000",
                    "how long (ms) the incident page can look up an explanation by alert id")));

    /** The defaults of {@link #SETTINGS}, by key. */
    private static final Map<String, String> DEFAULTS = new TreeMap<>();
    static { SETTINGS.forEach((k, s) -> DEFAULTS.put(k, s.defaultValue())); }

    /**
     * One line per setting: key, default, environment variable and what it does, plus the per-model
     * keys; {@code latentwatch monitor --help} and the README show this text.
     */
    public static String describeSettings() {
        StringBuilder sb = new StringBuilder();
        DEFAULTS.forEach((k, d) -> sb.append(String.format(Locale.ROOT, "  %s = %s   (env %s)%n      %s%n", k,
                d.isEmpty() ? "''" : d, envName(k), SETTINGS.get(k).description())));
        sb.append(String.format(Locale.ROOT, "  %s%n      %s%n", MODEL_PREFIX + "<id>", "checkpoint of model <id> (the id the nodes publish) for explanations and the lens trajectory"));
        sb.append(String.format(Locale.ROOT, "  %s%n      %s%n", TOKENIZER_PREFIX + "<id>", "tokenizer file of a llama2.c checkpoint <id> (default: beside it)"));
        sb.append(String.format(Locale.ROOT, "  %s%n      %s%n", TUNED_LENS_DIR_PREFIX + "<id>", "tuned lens of model <id> (from `latentwatch lens train`); without: logit lens only"));
        return sb.toString();
    }

    private final Map<String, String> values;
    /** Secrets given in the environment ($LATENTWATCH_AUDIT_KEY, the HTTP token): kept out of {@link #values}, so no dump shows them. */
    private final Map<String, String> envSecrets;

    private MonitorConfig(Map<String, String> values, Map<String, String> envSecrets) {
        this.values = values;
        this.envSecrets = envSecrets;
    }

    private static Map<String, String> secrets(Map<String, String> env) {
        Map<String, String> m = new TreeMap<>();
        for (String k : new String[] {AuditKey.ENV, HTTP_TOKEN_ENV}) if (env.get(k) != null) m.put(k, env.get(k));
        return m;
    }

    public static MonitorConfig defaults() { return of(Map.of(), Map.of()); }

    /** Explicit properties over the defaults, the process environment over both. */
    public static MonitorConfig of(Map<String, String> props) { return of(props, System.getenv()); }

    public static MonitorConfig of(Map<String, String> props, Map<String, String> env) {
        Map<String, String> v = new TreeMap<>(DEFAULTS);
        props.forEach((k, val) -> {
            if (!known(k)) throw new IllegalArgumentException("unknown monitor setting '" + k + "' (known: " + DEFAULTS.keySet() + ")");
            v.put(k, val);
        });
        for (String k : DEFAULTS.keySet()) {
            String e = env.get(envName(k));
            if (e != null) v.put(k, e);
        }
        MonitorConfig c = new MonitorConfig(v, secrets(env));
        c.validate();
        return c;
    }

    public static MonitorConfig load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) { p.load(r); }
        Map<String, String> m = new TreeMap<>();
        for (String k : p.stringPropertyNames()) if (k.startsWith("monitor.")) m.put(k, p.getProperty(k));
        return of(m);
    }

    public static String envName(String key) { return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_'); }

    public MonitorConfig with(String key, Object value) {
        Map<String, String> m = new TreeMap<>(values);
        if (!known(key)) throw new IllegalArgumentException("unknown monitor setting '" + key + "'");
        m.put(key, String.valueOf(value));
        MonitorConfig c = new MonitorConfig(m, envSecrets);
        c.validate();
        return c;
    }

    private static boolean known(String key) {
        return DEFAULTS.containsKey(key) || perModel(key, TUNED_LENS_DIR_PREFIX) || perModel(key, MODEL_PREFIX) || perModel(key, TOKENIZER_PREFIX);
    }

    private static boolean perModel(String key, String prefix) {
        return key.startsWith(prefix) && key.length() > prefix.length();
    }

    /** Checkpoints by model id, from the {@code monitor.model.<modelId>} keys. */
    public Map<String, Path> modelPaths() { return paths(MODEL_PREFIX); }

    /** Tokenizer files by model id, from the {@code monitor.tokenizer.<modelId>} keys. */
    public Map<String, Path> tokenizerPaths() { return paths(TOKENIZER_PREFIX); }

    private Map<String, Path> paths(String prefix) {
        Map<String, Path> out = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(prefix) && !v.isBlank()) out.put(k.substring(prefix.length()), Path.of(v.trim()));
        });
        return out;
    }

    /** Tuned-lens directories by model id, from the {@code monitor.tuned-lens.dir.<modelId>} keys. */
    public Map<String, Path> tunedLensDirs() { return paths(TUNED_LENS_DIR_PREFIX); }

    private void validate() {
        if (integer(LENS_WARMUP) < 2) throw new IllegalArgumentException(LENS_WARMUP + " must be >= 2, got " + integer(LENS_WARMUP));
        double lq = dbl(LENS_QUANTILE);
        if (!(lq > 0 && lq < 1)) throw new IllegalArgumentException(LENS_QUANTILE + " must be in (0, 1), got " + lq);
        if (!(dbl(LENS_MARGIN) > 0)) throw new IllegalArgumentException(LENS_MARGIN + " must be > 0, got " + dbl(LENS_MARGIN));
        inputLimits();
        redaction();
        auditKey();
        httpToken();
        positive(AUDIT_CHECKPOINT_INTERVAL_MS);
        positive(BATCH_MAX_RECORDS);
        positive(BATCH_MAX_MS);
        if (lng(MAX_REBALANCE_S) < 0) throw new IllegalArgumentException(MAX_REBALANCE_S + " must be >= 0, got " + lng(MAX_REBALANCE_S));
        positive(BATCH_BACKLOG_MS);
        positive(PROJECTION_MAX_LATENTS);
        positive(DRIFT_WINDOW);
        positive(EXPLAIN_WORKERS);
        positive(EXPLAIN_QUEUE);
        double fdr = dbl(DRIFT_FDR);
        if (!(fdr > 0 && fdr < 1)) throw new IllegalArgumentException(DRIFT_FDR + " must be in (0, 1), got " + fdr);
        positive(EXPLAIN_TOP_TOKENS);
        positive(EXPLAIN_DECODE_TOKENS);
        positive(SHUTDOWN_GRACE_MS);
        topicSettings();
        if (integer(INTERNAL_PARTITIONS) < 0) throw new IllegalArgumentException(INTERNAL_PARTITIONS + " must be >= 0, got " + str(INTERNAL_PARTITIONS));
        lng(NORM_WARMUP);
        dbl(NORM_THRESHOLD);
        dbl(NORM_CRITICAL);
        integer(METRICS_PORT);
        Severity.valueOf(str(CIRCUIT_SEVERITY).toUpperCase(Locale.ROOT));
    }

    private void positive(String k) {
        long v = lng(k);
        if (v <= 0) throw new IllegalArgumentException(k + " must be > 0, got " + v);
    }

    public String str(String key) {
        String v = values.get(key);
        if (v == null) throw new IllegalArgumentException("unknown monitor setting '" + key + "'");
        return v.trim();
    }

    public int integer(String key) {
        try { return Integer.parseInt(str(key)); }
        catch (NumberFormatException e) { throw new IllegalArgumentException(key + " must be an integer, got '" + str(key) + "'"); }
    }

    public long lng(String key) {
        try { return Long.parseLong(str(key)); }
        catch (NumberFormatException e) { throw new IllegalArgumentException(key + " must be an integer, got '" + str(key) + "'"); }
    }

    public double dbl(String key) {
        try { return Double.parseDouble(str(key)); }
        catch (NumberFormatException e) { throw new IllegalArgumentException(key + " must be a number, got '" + str(key) + "'"); }
    }

    public boolean bool(String key) { return Boolean.parseBoolean(str(key)); }

    /** How the topics missing at start are created ({@code monitor.topics.*}, {@code monitor.explanations.retention}). */
    public TopicSettings topicSettings() {
        try {
            return new TopicSettings(integer(TOPICS_PARTITIONS), Short.parseShort(str(TOPICS_REPLICATION)),
                    TopicSettings.parseRetention(str(EXPLANATIONS_RETENTION)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(TOPICS_REPLICATION + " must be a small integer, got '" + str(TOPICS_REPLICATION) + "'");
        }
    }

    /** The input limits ({@code monitor.input.*}). */
    public InputLimits inputLimits() { return new InputLimits(integer(INPUT_MAX_RECORD_BYTES), integer(INPUT_MAX_SERIES)); }

    /** The redaction applied to explanations before they are written ({@code monitor.explain.redact.patterns}). */
    public Redaction redaction() { return Redaction.parse(str(EXPLAIN_REDACT_PATTERNS)); }
    /** The key signing the audit checkpoints ({@code monitor.audit.key.file}, else {@code $LATENTWATCH_AUDIT_KEY}), or null. */
    public AuditKey auditKey() {
        return AuditKey.resolve(str(AUDIT_KEY_FILE), envSecrets);
    }

    /** The bearer token of the HTTP endpoints ({@code monitor.http.token.file}, else {@value #HTTP_TOKEN_ENV}), or null. */
    public BearerToken httpToken() { return BearerToken.resolve(str(HTTP_TOKEN_FILE), HTTP_TOKEN_ENV, envSecrets); }

    /** The incident grouping settings ({@code monitor.incident.*}). */
    public IncidentGrouper.Config incidents() {
        return new IncidentGrouper.Config(Duration.ofMillis(lng(INCIDENT_QUIET_MS)), Duration.ofMillis(lng(INCIDENT_COOLDOWN_MS)),
                integer(INCIDENT_MAX_ALERTS));
    }

    public Map<String, String> asMap() { return new TreeMap<>(values); }

    @Override public String toString() { return "MonitorConfig" + values; }
}
