package io.latentwatch.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Kafka broker running in this JVM in KRaft mode (one process that is both
 * broker and controller), for the demo, {@code latentwatch kafka} and integration tests.
 *
 * <p>It is the same server code a production broker runs ({@link KafkaRaftServer}), not a mock:
 * clients talk to it over TCP on 127.0.0.1, transactions and compaction work. Every replication
 * factor is 1 and internal topics have one partition so that it starts in a few seconds and keeps
 * a small heap; {@code log.cleaner.dedupe.buffer.size} is shrunk from its 128 MiB default, which
 * the log cleaner would otherwise allocate up front.
 *
 * <p>The log directory is either a fresh temporary directory, formatted with the KRaft
 * {@link Formatter} (what {@code kafka-storage.sh format} does) and deleted on {@link #close()},
 * or a persistent data directory ({@link #startPersistent}): formatted on the first start only,
 * after which its {@code meta.properties} (cluster id, node id) is reused, so topics, offsets,
 * transactions and data survive a restart and {@link #close()} leaves it in place.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** Ports picked as free can be taken by someone else before the broker binds them: retry. */
    private static final int START_ATTEMPTS = 3;
    /** Written by the {@link Formatter} into a formatted log directory. */
    static final String META_PROPERTIES = "meta.properties";
    /**
     * The controller port of a persistent broker, kept beside its data so that the quorum voter
     * (node 1 at that address) is the same on every start.
     */
    static final String CONTROLLER_PORT_FILE = "latentwatch-controller.port";

    private final Path logDir;
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private String saslSslBootstrapServers;
    private final String clusterId;
    private final boolean persistent;
    private boolean closed;

    private EmbeddedKafka(Path logDir, KafkaRaftServer server, String bootstrapServers, String clusterId, boolean persistent) {
        this.logDir = logDir;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.clusterId = clusterId;
        this.persistent = persistent;
    }

    /**
     * Starts a broker with a second client listener, SASL_SSL on 127.0.0.1 ({@link #saslSslBootstrapServers()}),
     * for tests of locked-down clients; {@code overrides} as in {@link #start(Map)}.
     */
    public static EmbeddedKafka startSaslSsl(SaslSsl saslSsl, Map<String, String> overrides) {
        return saslSsl.start(overrides);
    }

    void saslSslBootstrapServers(String address) {
        this.saslSslBootstrapServers = address;
    }

    /** Starts a broker with the default settings. */
    public static EmbeddedKafka start() {
        return start(Map.of());
    }

    /**
     * Starts a broker; {@code overrides} are broker properties applied over the defaults (e.g.
     * {@code num.partitions}, {@code auto.create.topics.enable}).
     */
    public static EmbeddedKafka start(Map<String, String> overrides) {
        return start(0, overrides);
    }

    /**
     * Starts a broker whose client listener is on {@code brokerPort} of 127.0.0.1 (0: any free
     * port); {@code overrides} as in {@link #start(Map)}.
     */
    public static EmbeddedKafka start(int brokerPort, Map<String, String> overrides) {
        if (brokerPort < 0 || brokerPort > 65535) {
            throw new IllegalArgumentException("Broker port must be 0 (any free port) or 1-65535, got " + brokerPort);
        }
        RuntimeException last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                return tryStart(brokerPort == 0 ? freePort() : brokerPort, overrides);
            } catch (RuntimeException e) {
                if (!causedByBind(e)) {
                    throw e;
                }
                if (brokerPort != 0) {
                    throw new IllegalStateException("Port " + brokerPort + " on 127.0.0.1 is in use: cannot start the embedded broker there", e);
                }
                LOG.warn("Embedded Kafka: a port was taken before the broker bound it (attempt {}), retrying", attempt);
                last = e;
            }
        }
        throw last;
    }

    /**
     * Starts a broker whose data lives in {@code dataDir} and outlives it: the directory is created
     * and formatted (a new cluster id) on the first start; later starts find its
     * {@code meta.properties} and reuse cluster id, topics, committed offsets and records. The
     * client listener is on {@code brokerPort} of 127.0.0.1 (0: any free port); the controller
     * port is chosen once and remembered in the directory. {@link #close()} keeps the directory.
     */
    public static EmbeddedKafka startPersistent(Path dataDir, int brokerPort, Map<String, String> overrides) {
        if (brokerPort < 0 || brokerPort > 65535) {
            throw new IllegalArgumentException("Broker port must be 0 (any free port) or 1-65535, got " + brokerPort);
        }
        Path dir = dataDir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the broker's data directory " + dir, e);
        }
        String existingCluster = PersistentLogDir.clusterId(dir);
        int controllerPort = PersistentLogDir.controllerPort(dir);
        try {
            return tryStart(dir, true, existingCluster, brokerPort == 0 ? freePort() : brokerPort, controllerPort, overrides);
        } catch (RuntimeException e) {
            if (causedByBind(e)) {
                throw new IllegalStateException("Port " + brokerPort + " or controller port " + controllerPort
                        + " on 127.0.0.1 is in use: is another broker running on " + dir + "?", e);
            }
            throw e;
        }
    }

    private static EmbeddedKafka tryStart(int brokerPort, Map<String, String> overrides) {
        Path dir;
        try {
            dir = Files.createTempDirectory("latentwatch-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary log directory for the embedded broker", e);
        }
        return tryStart(dir, false, null, brokerPort, freePort(), overrides);
    }

    /**
     * {@code existingClusterId}: the id in the directory's meta.properties, or null to format it
     * (with a new id) first.
     */
    private static EmbeddedKafka tryStart(Path dir, boolean persistent, String existingClusterId, int brokerPort,
                                          int controllerPort, Map<String, String> overrides) {
        long t0 = System.nanoTime();
        KafkaRaftServer server = null;
        try {
            Map<String, String> props = defaults(dir, brokerPort, controllerPort);
            // Listener specs of startSaslSsl name the ports chosen here.
            overrides.forEach((k, v) -> props.put(k, v.replace("${port}", Integer.toString(brokerPort))
                    .replace("${controller}", Integer.toString(controllerPort))));
            KafkaConfig config = new KafkaConfig(props, false);
            String clusterId = existingClusterId;
            if (clusterId == null) {
                clusterId = Uuid.randomUuid().toString();
                format(config, dir, clusterId);
                if (persistent) {
                    PersistentLogDir.rememberControllerPort(dir, controllerPort);
                }
            }
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            String bootstrap = "127.0.0.1:" + brokerPort;
            EmbeddedKafka kafka = new EmbeddedKafka(dir, server, bootstrap, clusterId, persistent);
            kafka.awaitReady(Duration.ofSeconds(60));
            LOG.info("Embedded Kafka {} ready on {} in {} ms ({})", clusterId, bootstrap, (System.nanoTime() - t0) / 1_000_000,
                    existingClusterId != null ? "data reused from " + dir : persistent ? "formatted " + dir : "temporary data");
            return kafka;
        } catch (RuntimeException | Error e) {
            if (server != null) {
                shutdownQuietly(server);
            }
            if (!persistent) {
                deleteRecursively(dir);
            }
            throw e;
        }
    }

    private static Map<String, String> defaults(Path dir, int brokerPort, int controllerPort) {
        Map<String, String> p = new HashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dir.toString());
        p.put("metadata.log.dir", dir.toString());
        // One broker: every replication factor and min ISR is 1; internal topics get one
        // partition so that the first consumer group / transaction does not create 50.
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // The log cleaner allocates this buffer eagerly (128 MiB by default).
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
        // Two cores are shared by everything on the machine.
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
        return p;
    }

    private static void format(KafkaConfig config, Path dir, String clusterId) {
        try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
            new Formatter()
                    .setPrintStream(quiet)
                    .setNodeId(NODE_ID)
                    .setClusterId(clusterId)
                    .addDirectory(dir.toString())
                    .setMetadataLogDirectory(dir.toString())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot format the embedded broker's log directory " + dir, e);
        }
    }

    /** The broker has started when a client can see it as a cluster member. */
    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(p)) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get().isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Embedded broker on " + bootstrapServers + " did not become ready in " + timeout, e);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Embedded broker on " + bootstrapServers + " reports no nodes after " + timeout);
                }
                sleep(50);
            }
        }
    }

    /** {@code host:port} for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** {@code host:port} of the SASL_SSL listener, or null when the broker was not started with {@link #startSaslSsl}. */
    public String saslSslBootstrapServers() {
        return saslSslBootstrapServers;
    }

    public String clusterId() {
        return clusterId;
    }

    /** The log directory (a temporary one is deleted on close, a persistent one kept). */
    public Path logDir() {
        return logDir;
    }

    /** True when the data directory outlives this broker ({@link #startPersistent}). */
    public boolean persistent() {
        return persistent;
    }

    /** Client properties to reach this broker; add serializers, group id etc. */
    public Map<String, Object> clientConfig() {
        return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    }

    /** Stops the broker and deletes its log directory unless it is persistent. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long t0 = System.nanoTime();
        // An interrupted caller (Ctrl-C, a test timeout) would cut the broker's controlled
        // shutdown short; finish it first and restore the flag afterwards.
        boolean interrupted = Thread.interrupted();
        try {
            shutdownQuietly(server);
            if (!persistent) {
                deleteRecursively(logDir);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info("Embedded Kafka {} stopped in {} ms", clusterId, (System.nanoTime() - t0) / 1_000_000);
    }

    private static void shutdownQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("Embedded Kafka did not shut down cleanly", e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free TCP port on 127.0.0.1", e);
        }
    }

    private static boolean causedByBind(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
        }
        return false;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the embedded broker", e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("Cannot delete {}", p, e);
                }
            });
        } catch (IOException e) {
            LOG.warn("Cannot delete {}", dir, e);
        }
    }
}
