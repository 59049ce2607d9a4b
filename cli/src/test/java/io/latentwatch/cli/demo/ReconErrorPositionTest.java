package io.latentwatch.cli.demo;

import io.latentwatch.cli.traffic.PromptMix;
import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeEvaluation;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.monitor.detect.ReconErrorDetector;
import io.latentwatch.trainer.HookedTransformerActivationModel;
import io.latentwatch.trainer.SaeTrainJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reconstruction-error detector on zoo-small's real activations, set up as the demo sets it up:
 * an SAE trained on {@link DemoCorpus} (blocks.1.hook_resid_post, the demo's SAE shape and steps),
 * its baseline from the trainer (global and per-position-bucket quantiles), then fresh requests shaped
 * like the demo's traffic (prompt + 8 sampled tokens, 4 random positions published per request, as
 * the node's random-k policy) judged by {@link ReconErrorDetector} at p99.9 exactly as the monitor does.
 *
 * <p>Measured (seed 42): per-position thresholds flag 1% of 200 normal requests and 48% of 120
 * anomalous ones; the single global quantile of the same baseline flags none of either, because
 * early positions are reconstructed far better than late ones (p99 ~0.08 at position 1 vs ~0.9 at
 * position 13), so an anomaly's early positions stay under the global quantile.
 */
class ReconErrorPositionTest {
    static final Path DIR = Path.of("../models/zoo-small");
    static final String HOOK = "blocks.1.hook_resid_post";

    @Test
    void perPositionBaselineCatchesAnomaliesTheGlobalOneMissesAtTheSameFalseAlarmRate(@TempDir Path out) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        try (HookedTransformer m = HookedTransformer.load(DIR, DIR.resolve("tokenizer.json"))) {
            ReentrantLock lock = new ReentrantLock();
            HookedTransformerActivationModel am = new HookedTransformerActivationModel(m, "zoo-small", lock, false);
            int d = m.config().dModel();
            // The demo's residual SAE (DemoTrainer.refitSae): top-k, 8 x d_model latents, k = d/8, 200 steps of 256 rows.
            SaeConfig cfg = SaeConfig.topk(d, 8 * d, Math.max(4, d / 8), HOOK, "zoo-small");
            SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(200).withBatchSize(256).withSeed(42)
                    .withEvalEvery(40).withProgressBar(false);
            List<String> corpus = DemoCorpus.reference(am, new PromptMix(PromptMix.Domain.ZOO, 42 * 7919), 1000, 8, 0.8f, 42);
            BatchedActivations acts = BatchedActivations.compute(m, HOOK, corpus, 64, lock);
            SaeTrainJob.of(cfg, opt, acts::source).withBuffers(4096, 1024, 512).withValidation(DemoCorpus.VALIDATION_SHARE, 8192).run(out);
            SaeBaseline withBuckets = SaeBaseline.read(out);
            assertTrue(withBuckets.positionQuantiles().size() >= 12, "buckets " + withBuckets.positionQuantiles().size());
            assertEquals(1, withBuckets.positionQuantiles().get(0).from(), "BOS is not in the trainer's rows, so position 0 has no bucket");
            // The same baseline as a file written before buckets existed would read: global quantiles only.
            SaeBaseline globalOnly = new SaeBaseline(withBuckets.tokens(), withBuckets.fvu(), withBuckets.mse(), withBuckets.meanL0(),
                    withBuckets.firingFrequency(), withBuckets.errorQuantiles(), withBuckets.histogramEdges(), withBuckets.histogramCounts());

            // Fresh traffic, other seeds than the corpus: normal requests and injected anomalies, as the demo sends them.
            PromptMix traffic = new PromptMix(PromptMix.Domain.ZOO, 777);
            List<float[]> normal = new ArrayList<>(), anomalies = new ArrayList<>();
            try (SparseAutoencoder sae = SaeFiles.load(out)) {
                for (int i = 0; i < 200; i++) normal.add(errors(m, sae, traffic.normal(), i));
                for (int i = 0; i < 120; i++) anomalies.add(errors(m, sae, traffic.anomaly(), 10_000 + i));
            }
            ReconErrorDetector det = new ReconErrorDetector("p99.9", 1.0, 4.0);
            double faBuckets = flaggedShare(det, withBuckets, normal, 5), faGlobal = flaggedShare(det, globalOnly, normal, 5);
            double tpBuckets = flaggedShare(det, withBuckets, anomalies, 6), tpGlobal = flaggedShare(det, globalOnly, anomalies, 6);
            System.out.printf(Locale.ROOT, "zoo-small recon-error p99.9, 4 positions/request: per-position normal %.3f anomaly %.3f; "
                    + "global normal %.3f anomaly %.3f%n", faBuckets, tpBuckets, faGlobal, tpGlobal);
            // Four positions per request at p99.9 each: ~0.4% expected per request if the reference matched the traffic
            // exactly; the quantiles come from ~250 rows per position, so allow an order of magnitude more.
            assertTrue(faBuckets <= 0.06, "per-position false-alarm rate on normal requests " + faBuckets);
            assertTrue(tpBuckets >= 0.2, "per-position recall on anomalies " + tpBuckets);
            assertTrue(tpBuckets >= tpGlobal + 0.15, "per-position " + tpBuckets + " vs global " + tpGlobal);
        }
    }

    /** Relative reconstruction error of every position that has an activation (all but the last generated token). */
    static float[] errors(HookedTransformer m, SparseAutoencoder sae, PromptMix.Prompt p, long seed) {
        int[] t = m.toTokens(p.text());
        if (t.length > 100) t = Arrays.copyOf(t, 100);
        int[] all = Generator.generate(m, t, GenerationConfig.sampling(8, 0.8f, 0, 1f, seed)).tokens();
        int n = all.length - 1;
        Tensor a = m.runWithCache(all, List.of(HOOK)).cache().get(HOOK);
        int d = m.config().dModel();
        return SaeEvaluation.of(sae, Arrays.copyOf(a.data(), n * d), 256, 0.1f).relativeError();
    }

    /** Share of requests with at least one of 4 uniformly drawn positions over its threshold (the node's random-k). */
    static double flaggedShare(ReconErrorDetector det, SaeBaseline b, List<float[]> requests, long seed) {
        Random r = new Random(seed);
        int flagged = 0;
        for (float[] e : requests) {
            int[] idx = new int[e.length];
            for (int i = 0; i < idx.length; i++) idx[i] = i;
            boolean f = false;
            for (int i = 0; i < Math.min(4, e.length); i++) {
                int j = i + r.nextInt(e.length - i);
                int tmp = idx[i]; idx[i] = idx[j]; idx[j] = tmp;
                f |= det.fires(e[idx[i]], det.threshold(b, idx[i]).value());
            }
            if (f) flagged++;
        }
        return (double) flagged / requests.size();
    }
}
