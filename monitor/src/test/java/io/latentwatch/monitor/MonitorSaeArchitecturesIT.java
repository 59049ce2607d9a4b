package io.latentwatch.monitor;

import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LatentProjection;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The monitor on a real broker projects through SAEs that are neither ReLU nor TopK: a JumpReLU SAE
 * with per-latent thresholds and per-token constant-norm rescaling on the residual, and a gated SAE
 * (b_gate, b_mag, r_mag) on the head outputs, both published as SaeVersion + SAELens artifacts. Every
 * projected row read back from the projection topic has the latents, L0 and reconstruction error that
 * interp's SAE (checked against SAELens by SaeReferenceFixturesTest) computes for that activation.
 */
class MonitorSaeArchitecturesIT extends AbstractKafkaIT {
    static final String MODEL = "model-a";
    static final int SAMPLES = 60;

    @TempDir Path tmp;

    MonitorSaeArchitecturesIT() { super(KafkaBackend.Kind.EMBEDDED); }

    @Test
    void monitorProjectsThroughJumpReluAndGatedSaes() throws Exception {
        Topics topics = uniqueTopics();
        try (Admin admin = admin()) { topics.create(admin, 2, (short) 1); }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        SyntheticTraffic traffic = new SyntheticTraffic(MODEL, 7);
        SaeFixture fx = new SaeFixture(tmp.resolve("artifacts"), traffic);
        float[] residRows = fx.rows(1000, SaeFixture.RESID, traffic);
        float[] zRows = fx.rows(200, SaeFixture.HOOK_Z, traffic);
        SaeVersion jump;
        SaeVersion gated;
        try (SparseAutoencoder j = jumpRelu(residRows); SparseAutoencoder g = gated(zRows)) {
            jump = fx.publish(j, residRows, "j1", List.of());
            gated = fx.publish(g, zRows, "g1", List.of());
        }
        String appId = "it-arch-" + UUID.randomUUID();
        Map<String, Object> streamsCfg = MonitorApp.streamsDefaults(bootstrapServers(), tmp.resolve("state"));
        streamsCfg.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        streamsCfg.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // Keep the projection (repartition) topic's records so the test can read them back.
        streamsCfg.put(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, 3_600_000L);
        MonitorConfig cfg = MonitorConfig.of(Map.of(MonitorConfig.BATCH_MAX_RECORDS, "16", MonitorConfig.BATCH_MAX_MS, "20"), Map.of());
        int maxLatents = cfg.integer(MonitorConfig.PROJECTION_MAX_LATENTS);

        Map<String, HiddenStateSample> sent = new LinkedHashMap<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer());
             MonitorApp monitor = MonitorApp.builder(streamsCfg, topics, serdes).normDetector(new ActivationNormDetector(1_000_000, 4, 8))
                     .metricsPort(-1).sae(cfg, Watchlist.empty(), null).build().start()) {
            Serializer<SaeVersion> vSer = serdes.serializer(SaeVersion.class);
            for (SaeVersion v : List.of(jump, gated)) {
                producer.send(new ProducerRecord<>(topics.saeVersions(), v.getModelId() + "|" + v.getHook(), vSer.serialize(topics.saeVersions(), v))).get();
            }
            assertTrue(monitor.awaitRunning(Duration.ofSeconds(90)), "state " + monitor.state());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while ((monitor.registry().versionRecord(MODEL, SaeFixture.RESID) == null || monitor.registry().versionRecord(MODEL, SaeFixture.HOOK_Z) == null)
                    && System.nanoTime() < deadline) Thread.sleep(50);
            assertEquals("jumprelu", monitor.registry().versionRecord(MODEL, SaeFixture.RESID).getArchitecture());
            assertEquals("gated", monitor.registry().versionRecord(MODEL, SaeFixture.HOOK_Z).getArchitecture());
            Serializer<HiddenStateSample> sSer = serdes.serializer(HiddenStateSample.class);
            for (int i = 0; i < SAMPLES; i++) {
                HiddenStateSample s = traffic.normal();
                sent.put(s.getRequestId(), s);
                producer.send(new ProducerRecord<>(topics.hiddenStates(), s.getModelId(), sSer.serialize(topics.hiddenStates(), s)));
            }
            producer.flush();
            int expectedRows = SAMPLES * 9;   // one residual row and eight head rows per sample
            List<ConsumerRecord<String, LatentProjection>> got = consumeUntil(List.of(appId + "-" + MonitorTopology.PROJECTIONS + "-repartition"),
                    new StringDeserializer(), serdes.deserializer(LatentProjection.class), l -> l.size() >= expectedRows, Duration.ofSeconds(90));
            assertEquals(expectedRows, got.size());

            try (SparseAutoencoder j = SaeFixture.load(jump); SparseAutoencoder g = SaeFixture.load(gated)) {
                int residRowsSeen = 0, headRowsSeen = 0;
                double residL0 = 0, headL0 = 0;
                for (ConsumerRecord<String, LatentProjection> rec : got) {
                    LatentProjection p = rec.value();
                    float[] act = activation(fx, sent.get(p.getRequestId()), p.getHook());
                    boolean resid = p.getHook().equals(SaeFixture.RESID);
                    SparseAutoencoder sae = resid ? j : g;
                    int d = sae.config().dIn();
                    float[] x = resid ? act : Arrays.copyOfRange(act, p.getHead() * d, (p.getHead() + 1) * d);
                    check(sae, x, p, maxLatents);
                    if (resid) { residRowsSeen++; residL0 += p.getL0(); } else { headRowsSeen++; headL0 += p.getL0(); }
                }
                assertEquals(SAMPLES, residRowsSeen);
                assertEquals(SAMPLES * 8, headRowsSeen);
                // Both SAEs are sparse but not silent on normal traffic: the comparison above compared real latents.
                assertTrue(residL0 / residRowsSeen > 2 && residL0 / residRowsSeen < 64, "JumpReLU mean L0 " + residL0 / residRowsSeen);
                assertTrue(headL0 / headRowsSeen > 1 && headL0 / headRowsSeen < 32, "gated mean L0 " + headL0 / headRowsSeen);
                System.out.printf("jumprelu mean L0 %.1f, gated mean L0 %.1f over %d projected rows%n",
                        residL0 / residRowsSeen, headL0 / headRowsSeen, got.size());
            }
        }
    }

    /** The projection the monitor published equals the SAE's own encode and reconstruction of {@code x}. */
    static void check(SparseAutoencoder sae, float[] x, LatentProjection p, int maxLatents) {
        int s = sae.config().dSae();
        float[] z = sae.encode(new Tensor(x, 1, x.length)).data();
        float[] xh = sae.reconstruct(new Tensor(x, 1, x.length)).data();
        int active = 0;
        for (float v : z) if (v > 0) active++;
        String where = p.getHook() + (p.getHead() == null ? "" : " head " + p.getHead()) + " " + p.getRequestId();
        assertEquals(active, p.getL0(), where + " L0");
        assertEquals(Math.min(active, maxLatents), p.getLatents().size(), where + " latents kept");
        for (int i = 0; i < p.getLatents().size(); i++) {
            float want = z[p.getLatents().get(i)];
            assertTrue(want > 0 && Math.abs(p.getValues().get(i) - want) <= 1e-5f * Math.max(1f, want),
                    where + " latent " + p.getLatents().get(i) + ": monitor " + p.getValues().get(i) + ", SAE " + want);
        }
        double err = 0, norm = 0;
        for (int i = 0; i < x.length; i++) { err += Math.pow(xh[i] - x[i], 2); norm += (double) x[i] * x[i]; }
        assertEquals(err / norm, p.getReconError(), 1e-4 * Math.max(1e-3, err / norm), where + " reconstruction error");
        assertTrue(s > 0);
    }

    static float[] activation(SaeFixture fx, HiddenStateSample s, String hook) {
        List<float[]> v = fx.validator.validate(s).values();
        for (int a = 0; a < s.getActivations().size(); a++) if (s.getActivations().get(a).getHook().equals(hook)) return v.get(a);
        throw new AssertionError("sample " + s.getRequestId() + " has no " + hook);
    }

    /** A JumpReLU residual SAE: the fixture's tied dictionary, thresholds at each latent's 80th percentile, constant-norm rescaling. */
    static SparseAutoencoder jumpRelu(float[] rows) {
        SaeConfig topk = SaeConfig.topk(64, 128, 8, SaeFixture.RESID, MODEL);
        Map<String, Tensor> w;
        try (SparseAutoencoder dict = SaeFixture.dictionary(topk, rows, 3)) {
            w = new HashMap<>(dict.weights());
        }
        SaeConfig cfg = new SaeConfig(64, 128, SaeConfig.JUMPRELU, 0, SaeFixture.RESID, 3, MODEL, true, "constant_norm_rescale",
                "float32", 128, true, "", false, false);
        // Thresholds from the pre-activations of the normalised training rows: each latent fires on ~20% of tokens.
        int n = rows.length / 64;
        float[] wEnc = w.get("W_enc").data(), bEnc = w.get("b_enc").data(), bDec = w.get("b_dec").data();
        float[] th = new float[128];
        for (int a = 0; a < 128; a++) {
            float[] pre = new float[n];
            for (int r = 0; r < n; r++) {
                double norm = 0;
                for (int i = 0; i < 64; i++) norm += (double) rows[r * 64 + i] * rows[r * 64 + i];
                double f = Math.sqrt(64) / Math.sqrt(norm);
                double v = bEnc[a];
                for (int i = 0; i < 64; i++) v += (rows[r * 64 + i] * f - bDec[i]) * wEnc[i * 128 + a];
                pre[r] = (float) v;
            }
            Arrays.sort(pre);
            th[a] = Math.max(0.01f, pre[(int) (n * 0.8)]);
        }
        w.put("threshold", new Tensor(th, 128));
        return SparseAutoencoder.of(cfg, w);
    }

    /** A gated head-output SAE (d_in 8, d_sae 32) with random gate and magnitude biases. */
    static SparseAutoencoder gated(float[] rows) {
        int d = 8, m = 32, n = rows.length / d;
        Random r = new Random(11);
        float[] wDec = new float[m * d], wEnc = new float[d * m], mean = new float[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += rows[i * d + j] / n;
        for (int a = 0; a < m; a++) {
            double norm = 0;
            for (int j = 0; j < d; j++) { wDec[a * d + j] = (float) r.nextGaussian(); norm += wDec[a * d + j] * wDec[a * d + j]; }
            for (int j = 0; j < d; j++) { wDec[a * d + j] /= (float) Math.sqrt(norm); wEnc[j * m + a] = wDec[a * d + j]; }
        }
        float[] bGate = new float[m], bMag = new float[m], rMag = new float[m];
        for (int a = 0; a < m; a++) {
            bGate[a] = (float) (r.nextGaussian() * 0.1 - 0.1);
            bMag[a] = (float) (r.nextGaussian() * 0.1);
            rMag[a] = (float) (r.nextGaussian() * 0.2);
        }
        Map<String, Tensor> w = new HashMap<>();
        w.put("W_enc", new Tensor(wEnc, d, m));
        w.put("W_dec", new Tensor(wDec, m, d));
        w.put("b_dec", new Tensor(mean, d));
        w.put("b_gate", new Tensor(bGate, m));
        w.put("b_mag", new Tensor(bMag, m));
        w.put("r_mag", new Tensor(rMag, m));
        return SparseAutoencoder.of(new SaeConfig(d, m, SaeConfig.GATED, 0, SaeFixture.HOOK_Z, 4, MODEL, true, "none", "float32",
                128, true, "", false, false), w);
    }
}
