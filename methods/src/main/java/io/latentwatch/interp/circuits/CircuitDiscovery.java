package io.latentwatch.interp.circuits;

import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeEvaluation;
import io.latentwatch.interp.sae.SaeTraining;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * SAE circuit identification after O'Neill & Bui 2024 ("Sparse Autoencoders Enable Scalable and
 * Reliable Circuit Identification in Language Models", arXiv 2405.12522):
 * <ol>
 *   <li>run 5-20 positive and negative prompts of <b>equal token length</b> and cache every head's
 *       {@code blocks.L.attn.hook_z}; unequal lengths are refused (positions are compared across
 *       examples, and edges pair codes at the same example and position);</li>
 *   <li>project each head's z to its residual-stream output z_h W_O[h] ({@link HeadCoder} says why)
 *       and train ONE small ReLU + L1 SAE (default 200 latents) on all heads, positions and
 *       examples, with latentwatch's {@link SaeTraining};</li>
 *   <li>discretise each head output to its argmax latent (the head's "code") → {@link CodeTable};</li>
 *   <li>score heads and head pairs by positive-only codes ({@link CodeScoring}), rank them, and
 *       keep the top heads with their positive-only codes as a {@link HeadCodeSignature}.</li>
 * </ol>
 */
public final class CircuitDiscovery {

    /** Which node score ranks heads; both are always computed and reported. */
    public enum NodeScoring { SHARE, COUNT }

    /**
     * @param latents            SAE width (the paper: ~200)
     * @param architecture       "standard" (ReLU + L1, the paper) or "topk"
     * @param k                  active latents for topk
     * @param l1                 λ of the L1 penalty (normalised inputs)
     * @param steps              SAE optimisation steps
     * @param batchSize          rows per step
     * @param seed               seed of SAE initialisation and batch sampling
     * @param scoring            node score used for ranking and the signature
     * @param signatureFraction  heads whose score is at least this share of the top score join the signature
     * @param maxSignatureHeads  cap on signature heads
     */
    public record Options(int latents, String architecture, int k, float l1, int steps, int batchSize, long seed,
                          NodeScoring scoring, double signatureFraction, int maxSignatureHeads) {
        public Options {
            if (latents < 2) throw new IllegalArgumentException("latents must be >= 2, got " + latents);
            if (steps < 1 || batchSize < 1) throw new IllegalArgumentException("steps and batchSize must be positive");
            if (!(signatureFraction > 0 && signatureFraction <= 1)) throw new IllegalArgumentException("signatureFraction must be in (0,1]");
        }

        public static Options defaults() {
            return new Options(200, SaeConfig.STANDARD, 8, 5f, 400, 256, 42L, NodeScoring.SHARE, 0.5, 8);
        }

        public Options withLatents(int v) { return new Options(v, architecture, k, l1, steps, batchSize, seed, scoring, signatureFraction, maxSignatureHeads); }
        public Options withSeed(long v) { return new Options(latents, architecture, k, l1, steps, batchSize, v, scoring, signatureFraction, maxSignatureHeads); }
        public Options withSteps(int v) { return new Options(latents, architecture, k, l1, v, batchSize, seed, scoring, signatureFraction, maxSignatureHeads); }
        public Options withScoring(NodeScoring v) { return new Options(latents, architecture, k, l1, steps, batchSize, seed, v, signatureFraction, maxSignatureHeads); }
        public Options withArchitecture(String a, int kk) { return new Options(latents, a, kk, l1, steps, batchSize, seed, scoring, signatureFraction, maxSignatureHeads); }
        public Options withL1(float v) { return new Options(latents, architecture, k, v, steps, batchSize, seed, scoring, signatureFraction, maxSignatureHeads); }
    }

    /**
     * The outcome. {@code nodes} and {@code edges} are ranked best first; {@code outputNorm} is the
     * ablation-free baseline (mean ||z_h W_O[h]|| over positive examples, flat head order) and
     * {@code normDifference} its contrast |mean over positives - mean over negatives|.
     */
    public record Result(String name, int layers, int heads, List<CodeScoring.NodeScore> nodes, List<CodeScoring.EdgeScore> edges,
                         HeadCodeSignature signature, CodeTable codes, HeadCoder coder, SaeEvaluation saeFit,
                         double[] outputNorm, double[] normDifference, int positives, int negatives, int positions,
                         double secondsCapture, double secondsSae, double secondsTotal, Options options) implements AutoCloseable {
        @Override public void close() { coder.close(); }

        /** Node score of a head by flat index, per the chosen scoring. */
        public double nodeScore(CodeScoring.NodeScore n) { return score(n, options.scoring()); }
    }

    static double score(CodeScoring.NodeScore n, NodeScoring s) {
        return s == NodeScoring.SHARE ? n.share() : n.positiveOnlyCodes();
    }

    private CircuitDiscovery() {}

    public static Result run(HookedTransformer model, String name, List<int[]> positives, List<int[]> negatives, Options opt) {
        long t0 = System.nanoTime();
        if (positives.isEmpty() || negatives.isEmpty()) {
            throw new IllegalArgumentException("need at least one positive and one negative prompt, got "
                    + positives.size() + " positive and " + negatives.size() + " negative");
        }
        int T = positives.get(0).length;
        checkLengths("positive", positives, T);
        checkLengths("negative", negatives, T);
        ModelConfig c = model.config();
        int L = c.nLayers(), H = c.nHeads(), dh = c.dHead(), D = c.dModel();
        float[][] wO = new float[L][];
        for (int l = 0; l < L; l++) wO[l] = model.params().blocks.get(l).wO.toFloatArray();

        List<int[]> all = new ArrayList<>(positives);
        all.addAll(negatives);
        int E = all.size();
        boolean[] label = new boolean[E];
        for (int e = 0; e < positives.size(); e++) label[e] = true;
        List<String> hooks = new ArrayList<>();
        for (int l = 0; l < L; l++) hooks.add("blocks." + l + ".attn.hook_z");
        // rows[((e*T + p)*L*H + l*H + h)*D ..]: one d_model row per example, position and head
        int HH = L * H;
        float[] rows = new float[E * T * HH * D];
        int[][] batch = all.toArray(new int[0][]);
        ForwardResult fr = model.runWithCache(batch, hooks);
        for (int l = 0; l < L; l++) {
            Tensor z = fr.cache().get("blocks." + l + ".attn.hook_z");    // [E, T, H, dh]
            int[] s = z.shape();
            if (s.length != 4 || s[0] != E || s[1] != T) {
                throw new IllegalStateException("unexpected hook_z shape " + Arrays.toString(s) + " for a batch of " + E + "x" + T);
            }
            for (int e = 0; e < E; e++) {
                float[] one = Arrays.copyOfRange(z.data(), e * T * H * dh, (e + 1) * T * H * dh);
                float[] proj = projectWith(wO[l], one, T, H, dh, D);
                for (int p = 0; p < T; p++) {
                    System.arraycopy(proj, p * H * D, rows, ((e * T + p) * HH + l * H) * D, H * D);
                }
            }
        }
        long t1 = System.nanoTime();

        SaeConfig cfg = SaeConfig.STANDARD.equals(opt.architecture())
                ? SaeConfig.relu(D, opt.latents(), "blocks.*.attn.hook_z@W_O", model.modelId())
                : SaeConfig.topk(D, opt.latents(), opt.k(), "blocks.*.attn.hook_z@W_O", model.modelId());
        int nRows = rows.length / D;
        SaeTrainingOptions so = SaeTrainingOptions.defaults().withSteps(opt.steps()).withBatchSize(opt.batchSize())
                .withL1(opt.l1()).withSeed(opt.seed()).withEvalEvery(opt.steps()).withBDecInit("mean")
                .withDeadTokens((long) opt.batchSize() * Math.max(1, opt.steps() / 4)).withResampleEvery(SaeConfig.STANDARD.equals(opt.architecture()) ? Math.max(1, opt.steps() / 4) : 0);
        Random rnd = new Random(opt.seed() * 31 + 7);
        SaeTraining.Result tr = SaeTraining.train(cfg, so, rows, n -> {
            float[] b = new float[n * D];
            for (int i = 0; i < n; i++) System.arraycopy(rows, rnd.nextInt(nRows) * D, b, i * D, D);
            return b;
        }, rows);
        SparseAutoencoder sae = tr.sae();
        long t2 = System.nanoTime();

        HeadCoder coder = new HeadCoder(sae, wO, H, dh, D);
        int[] flat = coder.codes(rows);
        int[][][] codes = new int[E][T][HH];
        for (int e = 0; e < E; e++) for (int p = 0; p < T; p++) System.arraycopy(flat, (e * T + p) * HH, codes[e][p], 0, HH);
        CodeTable table = new CodeTable(codes, label);

        double[] norm = new double[HH], normNeg = new double[HH];
        int nPos = positives.size(), nNeg = negatives.size();
        for (int e = 0; e < E; e++) {
            for (int p = 0; p < T; p++) {
                for (int h = 0; h < HH; h++) {
                    double s = 0;
                    int o = ((e * T + p) * HH + h) * D;
                    for (int j = 0; j < D; j++) s += (double) rows[o + j] * rows[o + j];
                    if (label[e]) norm[h] += Math.sqrt(s) / (nPos * T);
                    else normNeg[h] += Math.sqrt(s) / (nNeg * T);
                }
            }
        }
        double[] diff = new double[HH];
        for (int h = 0; h < HH; h++) diff[h] = Math.abs(norm[h] - normNeg[h]);

        List<CodeScoring.NodeScore> nodes = new ArrayList<>(CodeScoring.nodes(table, H));
        Comparator<CodeScoring.NodeScore> byScore = Comparator.comparingDouble(n -> -score(n, opt.scoring()));
        nodes.sort(byScore.thenComparingDouble(n -> -score(n, opt.scoring() == NodeScoring.SHARE ? NodeScoring.COUNT : NodeScoring.SHARE))
                .thenComparing(CodeScoring.NodeScore::head));
        List<CodeScoring.EdgeScore> edges = new ArrayList<>(CodeScoring.edges(table, H));
        edges.sort(Comparator.comparingDouble((CodeScoring.EdgeScore e) -> opt.scoring() == NodeScoring.SHARE ? -e.share() : -e.positiveOnlyPairs())
                .thenComparing(CodeScoring.EdgeScore::from).thenComparing(CodeScoring.EdgeScore::to));

        HeadCodeSignature sig = signature(name, nodes, opt);
        long t3 = System.nanoTime();
        return new Result(name, L, H, List.copyOf(nodes), List.copyOf(edges), sig, table, coder, tr.validation(), norm, diff,
                nPos, nNeg, T, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t0) / 1e9, opt);
    }

    /** z [T, H, dh] times per-head W_O slices ([H*dh, D]) → [T, H, D]: TransformerLens's hook_result without the bias. */
    static float[] projectWith(float[] w, float[] z, int T, int H, int dh, int D) {
        float[] out = new float[T * H * D];
        for (int p = 0; p < T; p++) {
            for (int h = 0; h < H; h++) {
                int zo = (p * H + h) * dh, oo = (p * H + h) * D;
                for (int i = 0; i < dh; i++) {
                    float zi = z[zo + i];
                    int wr = (h * dh + i) * D;
                    for (int j = 0; j < D; j++) out[oo + j] += zi * w[wr + j];
                }
            }
        }
        return out;
    }

    /** Heads scoring at least signatureFraction of the top score (and above zero), best first, capped. */
    static HeadCodeSignature signature(String name, List<CodeScoring.NodeScore> ranked, Options opt) {
        List<HeadCodeSignature.HeadCodes> hs = new ArrayList<>();
        double top = ranked.isEmpty() ? 0 : score(ranked.get(0), opt.scoring());
        for (CodeScoring.NodeScore n : ranked) {
            double s = score(n, opt.scoring());
            if (top <= 0 || s <= 0 || s < opt.signatureFraction() * top || hs.size() >= opt.maxSignatureHeads()) break;
            hs.add(new HeadCodeSignature.HeadCodes(n.head(), n.codes().stream().mapToInt(Integer::intValue).toArray(), s));
        }
        return new HeadCodeSignature(name, hs, Math.max(1, (hs.size() + 1) / 2));
    }

    private static void checkLengths(String kind, List<int[]> prompts, int T) {
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).length != T) {
                throw new IllegalArgumentException("SAE circuit discovery compares positions across examples, so every prompt must have the "
                        + "same token length: " + kind + " prompt " + (i + 1) + " has " + prompts.get(i).length + " tokens, the first positive has "
                        + T + " (pad the prompts to one template)");
            }
        }
    }
}
