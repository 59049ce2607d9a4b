package io.latentwatch.monitor.http;

import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.monitor.MonitorApp;
import io.latentwatch.monitor.MonitorConfig;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The live incident page of a running monitor (in-process KRaft broker, real Kafka Streams, the
 * monitor's HTTP endpoint), rendered by headless Chromium: the DOM Chromium built holds the incidents
 * of the outlier requests, and the detail page is screenshot to {@code target/incident-page.png}.
 */
class IncidentPageIT {
    @TempDir
    Path tmp;

    static Optional<Path> chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private String browser(Path bin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(bin.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + Files.createTempDirectory(tmp, "chromium-profile")));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("chromium-" + System.nanoTime() + ".log").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "chromium did not finish within 60 s");
        assertEquals(0, p.exitValue(), "chromium " + cmd);
        return out;
    }

    @Test
    void chromiumRendersTheOpenIncidentsOfARunningMonitor() throws Exception {
        Optional<Path> bin = chromium();
        assumeTrue(bin.isPresent(), "Chromium not found (install the Debian package chromium)");
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        Topics topics = Topics.withPrefix("page-" + System.nanoTime() + ".");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                topics.create(admin, 2, (short) 1);
            }
            MonitorConfig mc = MonitorConfig.of(Map.of(MonitorConfig.HTTP_PORT, "0", MonitorConfig.EXPLANATIONS_PARTITIONS, "2"), Map.of());
            try (MonitorApp monitor = MonitorApp.builder(MonitorApp.streamsDefaults(kafka.bootstrapServers(), tmp.resolve("streams")), topics, serdes)
                    .normDetector(new ActivationNormDetector(30, 4.0, 8.0)).sae(mc, Watchlist.empty(), null).build();
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientConfig(), new StringSerializer(), new ByteArraySerializer())) {
                monitor.start();
                assertTrue(monitor.awaitRunning(Duration.ofSeconds(60)), "monitor RUNNING");
                Serializer<HiddenStateSample> ser = serdes.serializer(HiddenStateSample.class);
                SyntheticTraffic traffic = new SyntheticTraffic("stories260K", 41);
                for (int i = 0; i < 120; i++) {
                    producer.send(new ProducerRecord<>(topics.hiddenStates(), "stories260K", ser.serialize(topics.hiddenStates(), traffic.normal())));
                }
                List<String> outliers = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    HiddenStateSample o = traffic.outlier(3.0 + i);
                    outliers.add(o.getRequestId());
                    producer.send(new ProducerRecord<>(topics.hiddenStates(), "stories260K", ser.serialize(topics.hiddenStates(), o)));
                }
                producer.flush();

                String base = "http://127.0.0.1:" + monitor.httpPort();
                HttpClient http = HttpClient.newHttpClient();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                String html = "";
                while (System.nanoTime() < deadline && !outliers.stream().allMatch(html::contains)) {
                    Thread.sleep(300);
                    html = http.send(HttpRequest.newBuilder(URI.create(base + "/incidents")).build(), HttpResponse.BodyHandlers.ofString()).body();
                }
                for (String r : outliers) assertTrue(html.contains("request " + r), "incident of " + r + " on the page: " + html);

                String dom = browser(bin.get(), "--dump-dom", base + "/incidents");
                assertTrue(dom.contains("<h1>latentwatch incidents</h1>"), dom);
                for (String r : outliers) assertTrue(dom.contains("stories260K request " + r), "Chromium's DOM lists " + r);
                Matcher m = Pattern.compile("href=\"/incidents/(inc-[0-9a-f]+)\">\\[CRITICAL\\] stories260K request " + outliers.get(1)).matcher(dom);
                assertTrue(m.find(), "a link to the critical incident's page: " + dom);
                String id = m.group(1);

                String detail = browser(bin.get(), "--dump-dom", base + "/incidents/" + id);
                assertTrue(detail.contains("activation-norm") && detail.contains("SAE version"), detail);
                assertTrue(detail.contains("audit record"), "each alert links its audit record (or says it is pending)");
                Path shot = Path.of("target", "incident-page.png").toAbsolutePath();
                Files.deleteIfExists(shot);
                browser(bin.get(), "--hide-scrollbars", "--window-size=1280,900", "--screenshot=" + shot, base + "/incidents/" + id);
                byte[] png = Files.readAllBytes(shot);
                assertTrue(png.length > 10_000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG screenshot of the page");
            }
        }
    }
}
