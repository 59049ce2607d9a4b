package io.latentwatch.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.interp.calibrate.ThresholdCalibration;
import io.latentwatch.interp.sae.LatentLabels;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SaeTraining;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.sae.TrainingMethod;
import io.latentwatch.interp.sae.TrainingReport;
import io.latentwatch.interp.sae.DecoderLogits;
import io.latentwatch.interp.sae.TokenContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One SAE training run end to end: stream activations (bounded buffer, split, shuffle), train,
 * then write into {@code out}: the SAELens files, latentwatch_baseline.json + sparsity.safetensors
 * (on the held-out rows; error quantiles globally and per token-position bucket), latentwatch_labels.json, metrics.json and the HTML report with its PNGs.
 *
 * @param ceEvaluator measures the next-token CE increase with the SAE spliced in (null: not measured)
 * @param method      how the SAE is trained (ReLU, TopK, BatchTopK, JumpReLU); BatchTopK takes a topk
 *                    config and saves a JumpReLU SAE
 */
public record SaeTrainJob(SaeConfig config, SaeTrainingOptions options, Supplier<ActivationSource> source,
                          int bufferRows, int shuffleRows, double validationShare, int validationCap, int initRows,
                          DecoderLogits logitLens, CeEvaluator ceEvaluator, TrainingMethod method, Calibration calibration) {

    /**
     * How the detector thresholds are chosen ({@link ThresholdCalibration}): the target false-alarm rate per request and
     * the positions the nodes sample per request (their random-k).
     */
    public record Calibration(double falseAlarmRate, int samplesPerRequest) {
        public static final Calibration DEFAULT = new Calibration(DetectorThresholds.DEFAULT_RATE, 4);

        public Calibration {
            if (!(falseAlarmRate > 0 && falseAlarmRate < 1)) throw new IllegalArgumentException("false-alarm rate must be in (0, 1), got " + falseAlarmRate);
            if (samplesPerRequest <= 0) throw new IllegalArgumentException("samples per request must be > 0, got " + samplesPerRequest);
        }
    }

    /** Next-token cross-entropy increase (nats) when the SAE's reconstruction replaces the hook's activation. */
    @FunctionalInterface
    public interface CeEvaluator {
        double ceIncrease(SparseAutoencoder sae) throws Exception;
    }

    public record Outcome(Path dir, Map<String, Double> metrics, SaeBaseline baseline, SaeTraining.Result training, DetectorThresholds thresholds) {}

    public static SaeTrainJob of(SaeConfig cfg, SaeTrainingOptions opt, Supplier<ActivationSource> source) {
        return new SaeTrainJob(cfg, opt, source, 65_536, 16_384, 0.1, 32_768, 8_192, null, null, TrainingMethod.forArchitecture(cfg.architecture()),
                Calibration.DEFAULT);
    }

    public SaeTrainJob withDecoderLogits(DecoderLogits l) { return new SaeTrainJob(config, options, source, bufferRows, shuffleRows, validationShare, validationCap, initRows, l, ceEvaluator, method, calibration); }
    public SaeTrainJob withCeEvaluator(CeEvaluator c) { return new SaeTrainJob(config, options, source, bufferRows, shuffleRows, validationShare, validationCap, initRows, logitLens, c, method, calibration); }
    public SaeTrainJob withValidation(double share, int cap) { return new SaeTrainJob(config, options, source, bufferRows, shuffleRows, share, cap, initRows, logitLens, ceEvaluator, method, calibration); }
    public SaeTrainJob withBuffers(int buffer, int shuffle, int init) { return new SaeTrainJob(config, options, source, buffer, shuffle, validationShare, validationCap, init, logitLens, ceEvaluator, method, calibration); }

    public SaeTrainJob withCalibration(Calibration c) { return new SaeTrainJob(config, options, source, bufferRows, shuffleRows, validationShare, validationCap, initRows, logitLens, ceEvaluator, method, c); }

    public SaeTrainJob withMethod(TrainingMethod m) { return new SaeTrainJob(config, options, source, bufferRows, shuffleRows, validationShare, validationCap, initRows, logitLens, ceEvaluator, m, calibration); }

    public Outcome run(Path out) throws Exception {
        Files.createDirectories(out);
        try (ActivationPipeline pipe = new ActivationPipeline(source, bufferRows, shuffleRows, validationShare, validationCap, options.seed())) {
            if (pipe.dIn() != config.dIn()) {
                throw new IllegalArgumentException("activations have width " + pipe.dIn() + " but the SAE's d_in is " + config.dIn());
            }
            float[] init = pipe.next(initRows);
            SaeTraining.Result res = SaeTraining.train(method, config, options, init, pipe, pipe::validationRows);
            try {
                SaeFiles.save(res.sae(), out);
                float[] val = pipe.validationRows();
                List<TokenContext> ctx = pipe.validationContexts().subList(0, val.length / config.dIn());
                // Error quantiles per token-position bucket too: the validation rows are the ones evaluated, in order.
                int[] positions = new int[ctx.size()];
                for (int i = 0; i < positions.length; i++) positions[i] = ctx.get(i).position();
                SaeBaseline baseline = SaeBaseline.of(res.validation(),
                        positions.length == res.validation().rows() ? positions : null);
                baseline.write(out);
                DetectorThresholds thresholds = thresholds(res, val, ctx, positions, baseline);
                thresholds.write(out);
                LatentLabels.compute(res.sae(), val, ctx, 10, logitLens).write(out);
                Map<String, Double> metrics = res.validation().metrics();
                if (ceEvaluator != null) metrics.put("ce_increase", ceEvaluator.ceIncrease(res.sae()));
                metrics.put("train_tokens", (double) res.tokens());
                metrics.put("validation_tokens", (double) res.validation().rows());
                metrics.put("train_seconds", res.seconds());
                metrics.put("tokens_per_second", res.tokensPerSecond());
                writeMetrics(out.resolve("latentwatch_metrics.json"), metrics);
                TrainingReport.write(res, config, options, out.resolve("report"));
                return new Outcome(out, metrics, baseline, res, thresholds);
            } finally {
                res.sae().close();
            }
        }
    }

    /**
     * The detector thresholds at {@link #calibration}'s false-alarm rate, on the held-out rows (one request per held-out
     * prompt), with latent frequencies counted on every training row (a second pass over the source).
     */
    private DetectorThresholds thresholds(SaeTraining.Result res, float[] val, List<TokenContext> ctx, int[] positions, SaeBaseline baseline)
            throws IOException {
        long[] counts = LatentCounts.training(res.sae(), source,
                prompt -> !ActivationPipeline.isValidation(prompt, options.seed(), validationShare));
        long rows = counts[counts.length - 1];
        float[] freq = rows == 0 ? null : DetectorThresholds.smoothedFrequency(Arrays.copyOf(counts, counts.length - 1), rows);
        int[] request = new int[ctx.size()];
        for (int i = 0; i < request.length; i++) request[i] = ctx.get(i).prompt();
        return ThresholdCalibration.calibrate(res.sae(), val, request, res.validation().relativeError(), positions, baseline, freq, rows,
                calibration.falseAlarmRate(), calibration.samplesPerRequest(), 1, options.seed());
    }

    static void writeMetrics(Path file, Map<String, Double> metrics) throws IOException {
        var json = new ObjectMapper();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsString(metrics));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
