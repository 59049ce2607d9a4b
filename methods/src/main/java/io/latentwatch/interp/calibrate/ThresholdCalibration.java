package io.latentwatch.interp.calibrate;

import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses the thresholds of the per-request detectors for one SAE version on its held-out reference rows, at a target
 * false-alarm rate over requests ({@link FalseAlarmCalibration}); the rows of one reference text form one request,
 * sampled {@code samplesPerRequest} positions at a time as the node samples live traffic (random-k).
 *
 * <ul>
 *   <li><b>recon-error</b>: per-row score = relative error / the row's position-bucket p99 ({@link SaeBaseline#errorQuantilesAt});
 *       the margin is the (1 - rate) quantile of the request maxima, so the monitor's threshold is p99(bucket) x margin;</li>
 *   <li><b>rare-latent</b>: latent frequencies counted on the full training set (not the few thousand held-out rows, where
 *       "rare" would mean "never seen there"), Jeffreys-smoothed; per-row score = the smallest frequency among its active
 *       latents; epsilon is the rate quantile of the request minima;</li>
 *   <li><b>activation-norm</b>: reference mean and sd of the activation's L2 norm; the |z| threshold is the (1 - rate)
 *       quantile of the request maxima of |z| (norms are far from normal: BOS and early positions are outliers).</li>
 * </ul>
 *
 * <p>Pure math on the held-out rows (no Kafka, no I/O): the trainer ({@code SaeTrainJob}, {@code CircuitRefit}) and the
 * monitor's tests call it; the training-set latent counts it takes are counted by the trainer over its activation source.
 */
public final class ThresholdCalibration {
    private ThresholdCalibration() {}

    /**
     * @param rows        held-out rows [n, d_in] (one per token, or one per head for per-head hooks)
     * @param request     reference text of each row
     * @param relError    relative reconstruction error of each row (the baseline's evaluation, same order)
     * @param positions   token position of each row
     * @param latentFreq  smoothed training-set frequency of each latent (null: the baseline's own frequencies)
     * @param normRows    rows per activation for the norm (1, or n_heads for a per-head hook whose activation is the block)
     */
    public static DetectorThresholds calibrate(SparseAutoencoder sae, float[] rows, int[] request, float[] relError, int[] positions,
                                               SaeBaseline baseline, float[] latentFreq, long frequencyRows, double rate,
                                               int samplesPerRequest, int normRows, long seed) {
        int d = sae.config().dIn();
        int n = rows.length / d;
        if (request.length != n || relError.length != n || positions.length != n) {
            throw new IllegalArgumentException(n + " rows but " + request.length + " request ids, " + relError.length + " errors, "
                    + positions.length + " positions");
        }
        float[] freq = latentFreq != null ? latentFreq : baseline.firingFrequency();
        // Per-row scores.
        double[] recon = new double[n];
        for (int i = 0; i < n; i++) {
            double q = baseline.errorQuantilesAt(positions[i] < 0 ? -1 : positions[i]).get(DetectorThresholds.RECON_BASE_QUANTILE);
            recon[i] = relError[i] / Math.max(q, 1e-12);
        }
        double[] rarest = rarestFrequency(sae, rows, freq);
        // Norm per activation: a per-head hook's activation is the block of its n_heads rows.
        int acts = n / normRows;
        double[] norm = new double[acts];
        int[] actRequest = new int[acts];
        for (int a = 0; a < acts; a++) {
            double s = 0;
            for (int j = a * normRows * d; j < (a + 1) * normRows * d; j++) s += (double) rows[j] * rows[j];
            norm[a] = Math.sqrt(s);
            actRequest[a] = request[a * normRows];
        }
        double mean = Arrays.stream(norm).average().orElse(0);
        double sd = Math.sqrt(Arrays.stream(norm).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, acts - 1));
        double[] z = new double[acts];
        for (int a = 0; a < acts; a++) z[a] = sd > 0 ? Math.abs(norm[a] - mean) / sd : 0;

        // Requests: the node samples samplesPerRequest positions; a per-head hook contributes all heads of its one position.
        int kRows = samplesPerRequest * normRows;
        List<int[]> draws = FalseAlarmCalibration.draws(request, kRows, seed);
        List<int[]> actDraws = FalseAlarmCalibration.draws(actRequest, samplesPerRequest, seed);
        double[] reconReq = FalseAlarmCalibration.requestMax(recon, draws);
        double[] rareReq = FalseAlarmCalibration.requestMin(rarest, draws);
        double[] normReq = FalseAlarmCalibration.requestMax(z, actDraws);
        Map<String, Double> v = new LinkedHashMap<>();
        v.put(DetectorThresholds.RECON_MARGIN, FalseAlarmCalibration.upper(reconReq, rate));
        v.put(DetectorThresholds.RARE_EPSILON, FalseAlarmCalibration.lower(rareReq, rate));
        v.put(DetectorThresholds.NORM_MEAN, mean);
        v.put(DetectorThresholds.NORM_SD, sd);
        v.put(DetectorThresholds.NORM_Z, FalseAlarmCalibration.upper(normReq, rate));
        Map<String, Double> measured = new LinkedHashMap<>();
        measured.put("recon-error", FalseAlarmCalibration.shareAbove(reconReq, v.get(DetectorThresholds.RECON_MARGIN)));
        measured.put("rare-latent", FalseAlarmCalibration.shareBelow(rareReq, v.get(DetectorThresholds.RARE_EPSILON)));
        measured.put("activation-norm", FalseAlarmCalibration.shareAbove(normReq, v.get(DetectorThresholds.NORM_Z)));
        int texts = (int) Arrays.stream(request).distinct().count();
        return new DetectorThresholds(rate, samplesPerRequest, texts, v, measured, latentFreq, frequencyRows);
    }

    /** Per row, the smallest frequency among its active latents (1 when none is active: nothing rare fired). */
    static double[] rarestFrequency(SparseAutoencoder sae, float[] rows, float[] freq) {
        int d = sae.config().dIn(), s = sae.config().dSae();
        int n = rows.length / d;
        double[] out = new double[n];
        for (int start = 0; start < n; start += 2048) {
            int m = Math.min(2048, n - start);
            float[] zs = sae.encode(new Tensor(Arrays.copyOfRange(rows, start * d, (start + m) * d), m, d)).data();
            for (int r = 0; r < m; r++) {
                double min = 1;
                for (int j = 0; j < s; j++) if (zs[r * s + j] > 0) min = Math.min(min, freq[j]);
                out[start + r] = min;
            }
        }
        return out;
    }
}
