package io.latentwatch.cli.bench;

import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.embedded.registry.ApicurioRegistryServer;
import io.latentwatch.publisher.SampleKey;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code bench monitor --instances N,...}: the monitor as separate OS processes ({@code latentwatch
 * monitor}, one JVM each, as deployed) in one consumer group on a hidden-states topic of several
 * partitions, with samples keyed {@code modelId|requestId} ({@link SampleKey#MODEL_REQUEST}, as nodes
 * key them) so one model's traffic spreads over every instance. The broker runs in this process and
 * the schema registry is the Apicurio server ({@code latentwatch registry}), since the in-process
 * registry cannot be shared between processes. For each instance count, a fresh application id: the
 * instances start and report ready, then the samples are written, and samples/s counts projections
 * read back (read_committed) from the first to the last.
 */
final class InstanceScaling {
    private InstanceScaling() {}

    static Map<String, Object> run(List<Integer> counts, int dIn, int dSae, int k, int samples, Consumer<String> log) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        Path jar = ApicurioRegistryServer.locateRunnerJar(null, System.getenv(), Path.of("").toAbsolutePath());
        if (jar == null) {
            out.put("skipped", "no Apicurio Registry runner jar (the processes need a shared registry): fetch it with "
                    + ApicurioRegistryServer.FETCH_COMMAND);
            return out;
        }
        int partitions = 2 * counts.stream().mapToInt(Integer::intValue).max().orElse(1);
        Path work = Files.createTempDirectory("latentwatch-bench-instances-");
        String modelId = "bench-model", hook = "blocks.6.hook_resid_post";
        out.put("partitions", partitions);
        out.put("cores", Runtime.getRuntime().availableProcessors());
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String bootstrap = kafka.bootstrapServers();
            log.accept("starting the schema registry (Apicurio, a separate process)...");
            try (ApicurioRegistryServer registry = ApicurioRegistryServer.start(new ApicurioRegistryServer.Settings(jar, bootstrap,
                    "127.0.0.1", freePort(), null, null, work.resolve("registry.log")), Duration.ofSeconds(180))) {
                LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(registry.baseUrl());
                SaeVersion version = BenchFixtures.writeSae(work, modelId, hook, dIn, dSae, k);
                Map<String, Object> pc = new HashMap<>();
                pc.put("bootstrap.servers", bootstrap);
                pc.put("enable.idempotence", "true");
                pc.put("linger.ms", "5");
                Serializer<SaeVersion> vs = serdes.serializer(SaeVersion.class);
                Serializer<HiddenStateSample> ss = serdes.serializer(HiddenStateSample.class);
                try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pc, new StringSerializer(), new ByteArraySerializer())) {
                    BenchFixtures.SampleMaker maker = new BenchFixtures.SampleMaker(modelId, hook, dIn, 7);
                    Map<String, Object> rates = new LinkedHashMap<>();
                    for (int n : counts) {
                        log.accept(n + " instance(s)...");
                        // Topics of their own per round (a prefix), so every round starts on an empty topic.
                        Topics topics = Topics.withPrefix("bench-" + n + "-instances.");
                        try (Admin admin = Admin.create(kafka.clientConfig())) { topics.create(admin, partitions, (short) 1); }
                        producer.send(new ProducerRecord<>(topics.saeVersions(), modelId + "|" + hook,
                                vs.serialize(topics.saeVersions(), version))).get();
                        rates.put(Integer.toString(n), round(oneRound(n, bootstrap, registry.baseUrl(), work.resolve("n" + n), topics,
                                producer, ss, maker, samples)));
                        log.accept(n + " instance(s): " + rates.get(Integer.toString(n)) + " samples/s");
                    }
                    out.put("samples_per_s_by_instances", rates);
                }
            }
        } finally {
            BenchFixtures.deleteQuietly(work);
        }
        return out;
    }

    private static double oneRound(int n, String bootstrap, String registryUrl, Path dir, Topics topics, KafkaProducer<String, byte[]> producer,
                                   Serializer<HiddenStateSample> ser, BenchFixtures.SampleMaker maker, int samples) throws Exception {
        Files.createDirectories(dir);
        String appId = "bench-instances-" + n + "-" + UUID.randomUUID().toString().substring(0, 8);
        Path cfg = dir.resolve("monitor.properties");
        // Keep the projections readable while they are counted.
        Files.writeString(cfg, "application.id=" + appId + "\nrepartition.purge.interval.ms=3600000\n"
                + "monitor.explanations.partitions=3\nmonitor.topic.prefix=" + topics.prefix() + "\n");
        List<Process> procs = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        String java = ProcessHandle.current().info().command().orElse("java");
        // Stopping the benchmark (Ctrl-C, SIGTERM) stops its monitors too.
        Thread reaper = new Thread(() -> procs.forEach(Process::destroyForcibly), "bench-instances-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        try {
            for (int i = 0; i < n; i++) {
                int port = freePort();
                ports.add(port);
                procs.add(new ProcessBuilder(java, "-Xmx768m", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                        "io.latentwatch.cli.Main", "monitor", "--bootstrap-servers", bootstrap, "--registry", registryUrl,
                        "--state-dir", dir.resolve("state-" + i).toString(), "--metrics-port", Integer.toString(port),
                        "--http-port", Integer.toString(freePort()), "--config", cfg.toString())
                        .redirectErrorStream(true).redirectOutput(dir.resolve("monitor-" + i + ".log").toFile()).start());
            }
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
            for (int i = 0; i < n; i++) {
                while (!ready(http, ports.get(i))) {
                    if (!procs.get(i).isAlive()) throw new IllegalStateException("monitor " + i + " exited: see " + dir.resolve("monitor-" + i + ".log"));
                    if (System.nanoTime() > deadline) throw new IllegalStateException("monitor " + i + " not ready after 240 s");
                    Thread.sleep(200);
                }
            }
            String topic = appId + "-latent-projections-repartition";
            Map<String, Object> cc = new HashMap<>();
            cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            cc.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-count-" + appId);
            cc.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                c.subscribe(List.of(topic));
                for (int i = 0; i < samples; i++) {
                    HiddenStateSample s = maker.next(appId + "-" + i);
                    producer.send(new ProducerRecord<>(topics.hiddenStates(), SampleKey.MODEL_REQUEST.of(s), ser.serialize(topics.hiddenStates(), s)));
                }
                producer.flush();
                long first = 0, firstCount = 0, seen = 0, last = 0;
                deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
                while (seen < samples && System.nanoTime() < deadline) {
                    int got = c.poll(Duration.ofMillis(50)).count();
                    if (got == 0) continue;
                    seen += got;
                    last = System.nanoTime();
                    if (first == 0) { first = last; firstCount = seen; }
                }
                if (seen <= firstCount) throw new IllegalStateException(n + " instance(s) projected " + seen + " of " + samples + " in 300 s");
                return (seen - firstCount) / ((last - first) / 1e9);
            }
        } finally {
            for (Process p : procs) p.destroy();
            for (Process p : procs) {
                if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
            }
            Runtime.getRuntime().removeShutdownHook(reaper);
        }
    }

    private static boolean ready(HttpClient http, int port) {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) { return s.getLocalPort(); }
    }

    private static double round(double v) { return Math.round(v); }
}
