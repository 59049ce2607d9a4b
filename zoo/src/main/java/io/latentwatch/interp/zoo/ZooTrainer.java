package io.latentwatch.interp.zoo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.common.dtype.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The zoo's reproducible training recipe: fixed seeds (weights from {@code seed}, data from
 * {@code seed + 1}, held-out windows from a separate fixed seed), DJL autograd, AdamW
 * (Loshchilov &amp; Hutter 2019; decay on matrices only) with linear warm-up then cosine decay to
 * {@code minLrRatio * lr}, global-norm gradient clipping, batches of fixed-length windows.
 */
public final class ZooTrainer {
    public record Recipe(String size, int steps, int batch, int seqLen, double lr, int warmup, double minLrRatio,
                         double weightDecay, double beta1, double beta2, double adamEps, double clipNorm, long seed) {
        public static Recipe defaults(String size) {
            return switch (size) {
                case "small" -> new Recipe(size, 2000, 32, 64, 2e-3, 100, 0.1, 0.01, 0.9, 0.95, 1e-8, 1.0, 1234);
                case "base" -> new Recipe(size, 1000, 32, 64, 1.5e-3, 100, 0.1, 0.01, 0.9, 0.95, 1e-8, 1.0, 1234);
                default -> throw new IllegalArgumentException("unknown zoo size '" + size + "' (expected small or base)");
            };
        }

        public Recipe withSteps(int s) { return new Recipe(size, s, batch, seqLen, lr, Math.min(warmup, Math.max(1, s / 10)), minLrRatio, weightDecay, beta1, beta2, adamEps, clipNorm, seed); }

        public Recipe withLr(double v) { return new Recipe(size, steps, batch, seqLen, v, warmup, minLrRatio, weightDecay, beta1, beta2, adamEps, clipNorm, seed); }

        public Recipe withSeed(long s) { return new Recipe(size, steps, batch, seqLen, lr, warmup, minLrRatio, weightDecay, beta1, beta2, adamEps, clipNorm, s); }

        /** Learning rate at (0-based) step: linear warm-up, then cosine to minLrRatio * lr. */
        public double lrAt(int step) {
            if (step < warmup) return lr * (step + 1) / warmup;
            double progress = (double) (step - warmup) / Math.max(1, steps - warmup);
            return lr * (minLrRatio + (1 - minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1.0, progress))));
        }
    }

    /** Called after every step with the 0-based step and its training loss (progress bars, logs). */
    @FunctionalInterface
    public interface StepListener { void onStep(int step, float loss); }

    public static final long HELD_OUT_SEED = 987654321L;

    public record Result(ZooLlama model, List<Float> losses, float heldOutLoss, double seconds, int skippedSteps) {}

    private ZooTrainer() {}

    /** Trains a fresh model; {@code onStep} is called after each step (progress bars). */
    public static Result train(ZooConfig config, Recipe r, NDManager manager, StepListener onStep) {
        return train(config, r, manager, onStep, 16);
    }

    /** As above, measuring the held-out loss on {@code heldOutBatches} batches of 32 windows. */
    public static Result train(ZooConfig config, Recipe r, NDManager manager, StepListener onStep, int heldOutBatches) {
        return train(config, r, manager, onStep, heldOutBatches, null);
    }

    /** As above; with {@code initFrom} non-null, training continues from that checkpoint's weights (fresh optimizer state). */
    public static Result train(ZooConfig config, Recipe r, NDManager manager, StepListener onStep, int heldOutBatches, Path initFrom) {
        long t0 = System.nanoTime();
        Engine.getInstance().setRandomSeed((int) r.seed());
        ZooLlama model;
        try {
            model = initFrom == null ? ZooLlama.init(config, r.seed(), manager) : ZooLlama.load(initFrom, manager);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot continue from " + initFrom, e);
        }
        SyntheticCorpus data = new SyntheticCorpus(r.seed() + 1);
        Map<String, NDArray> params = model.parameters();
        Map<String, NDArray[]> moments = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            e.getValue().setRequiresGradient(true);
            moments.put(e.getKey(), new NDArray[] {e.getValue().zerosLike(), e.getValue().zerosLike()});
        }
        List<Float> losses = new ArrayList<>();
        int skipped = 0;
        for (int step = 0; step < r.steps(); step++) {
            int[][] batch = data.batch(r.batch(), r.seqLen());
            try (NDScope scope = new NDScope()) {
                float lossValue;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = model.loss(batch, model.manager());
                    gc.backward(loss);
                    lossValue = loss.getFloat();
                }
                losses.add(lossValue);
                // global gradient norm for clipping
                double sq = 0;
                Map<String, NDArray> grads = new LinkedHashMap<>();
                for (Map.Entry<String, NDArray> e : params.entrySet()) {
                    NDArray g = e.getValue().getGradient();
                    grads.put(e.getKey(), g);
                    sq += g.square().sum().getFloat();
                }
                if (!Float.isFinite(lossValue) || !Double.isFinite(sq)) {
                    // a non-finite loss or gradient would poison Adam's moments and the weights for good:
                    // skip the update (counted in training-config.json) and clear the gradient buffers
                    // with an indexed write, since NaN * 0 is still NaN
                    skipped++;
                    for (NDArray g : grads.values()) g.set(new NDIndex("..."), 0f);
                } else {
                    double clip = Math.min(1.0, r.clipNorm() / (Math.sqrt(sq) + 1e-6));
                    double lr = r.lrAt(step);
                    int t = step + 1 - skipped;
                    double bc1 = 1 - Math.pow(r.beta1(), t), bc2 = 1 - Math.pow(r.beta2(), t);
                    for (Map.Entry<String, NDArray> e : params.entrySet()) {
                        NDArray w = e.getValue(), g = grads.get(e.getKey()).mul((float) clip);
                        NDArray[] mv = moments.get(e.getKey());
                        mv[0].muli((float) r.beta1()).addi(g.mul((float) (1 - r.beta1())));
                        mv[1].muli((float) r.beta2()).addi(g.square().mul((float) (1 - r.beta2())));
                        NDArray update = mv[0].div((float) bc1).div(mv[1].div((float) bc2).sqrt().add((float) r.adamEps()));
                        if (w.getShape().dimension() == 2 && r.weightDecay() > 0) w.muli((float) (1 - lr * r.weightDecay()));
                        w.subi(update.mul((float) lr));
                        grads.get(e.getKey()).muli(0f); // PyTorch accumulates gradients: reset for the next step
                    }
                }
            }
            if (onStep != null) onStep.onStep(step, losses.get(step));
        }
        for (NDArray p : params.values()) p.setRequiresGradient(false);
        float held = heldOutLoss(model, r.seqLen(), heldOutBatches);
        for (NDArray[] mv : moments.values()) { mv[0].close(); mv[1].close(); }
        return new Result(model, losses, held, (System.nanoTime() - t0) / 1e9, skipped);
    }

    /** Mean loss on {@code batches} batches of 32 windows from the fixed held-out seed. */
    public static float heldOutLoss(ZooLlama model, int seqLen, int batches) {
        SyntheticCorpus held = new SyntheticCorpus(HELD_OUT_SEED);
        double sum = 0;
        for (int i = 0; i < batches; i++) {
            try (NDScope scope = new NDScope()) {
                sum += model.loss(held.batch(32, seqLen), model.manager()).getFloat();
            }
        }
        return (float) (sum / batches);
    }

    /** Saves the model directory: weights, config, tokenizer, training-config.json and loss-curve.png. */
    public static void save(Result res, Recipe r, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("zoo_size", r.size());
        meta.put("seed", Long.toString(r.seed()));
        res.model().save(dir, meta, DType.F32);
        ZooTokenizerJson.write(dir.resolve("tokenizer.json"));
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode tc = om.createObjectNode();
        tc.set("recipe", om.valueToTree(r));
        tc.set("architecture", res.model().config().toHfJson());
        tc.put("parameters", res.model().parameterCount());
        tc.put("vocabulary_size", ZooVocabulary.get().size());
        tc.put("weight_seed", r.seed());
        tc.put("data_seed", r.seed() + 1);
        tc.put("held_out_seed", HELD_OUT_SEED);
        tc.put("fact_table_seed", FactTable.TABLE_SEED);
        tc.put("corpus", new SyntheticCorpus(0).toString());
        tc.put("optimizer", "AdamW (decoupled decay on 2-D weights), linear warm-up, cosine decay, global-norm clipping");
        tc.put("final_train_loss", mean(res.losses(), Math.max(0, res.losses().size() - 50), res.losses().size()));
        tc.put("held_out_loss", res.heldOutLoss());
        tc.put("skipped_non_finite_steps", res.skippedSteps());
        tc.put("training_seconds", Math.round(res.seconds() * 10) / 10.0);
        tc.put("threads", Runtime.getRuntime().availableProcessors());
        tc.put("retrain", "java -Dai.djl.offline=true -cp interp/target/classes:$(cat cp.txt) io.latentwatch.interp.zoo.ZooTrainer --size "
                + r.size() + " --steps " + r.steps() + " --lr " + r.lr() + " --seed " + r.seed() + " --out " + dir);
        var arr = tc.putArray("loss_curve");
        for (float l : res.losses()) { if (Float.isFinite(l)) arr.add(Math.round(l * 10000) / 10000.0); else arr.addNull(); }
        om.writeValue(dir.resolve("training-config.json").toFile(), tc);
        LossCurvePlot.write(res.losses(), "zoo-" + r.size() + " training loss", dir.resolve("loss-curve.png"));
    }

    static double mean(List<Float> l, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += l.get(i);
        return s / Math.max(1, to - from);
    }

    /** {@code --size small|base --out DIR [--steps N] [--seed S]} (the CLI's {@code zoo train} wraps the same code). */
    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        String size = "small", out = null;
        Integer steps = null;
        Long seed = null;
        Double lr = null;
        Path init = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> size = args[++i];
                case "--out" -> out = args[++i];
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--lr" -> lr = Double.parseDouble(args[++i]);
                case "--init" -> init = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (out == null) throw new IllegalArgumentException("--out DIR is required");
        Recipe r = Recipe.defaults(size);
        if (steps != null) r = r.withSteps(steps);
        if (seed != null) r = r.withSeed(seed);
        if (lr != null) r = r.withLr(lr);
        ZooConfig c = ZooConfig.forSize(size);
        try (NDManager m = NDManager.newBaseManager()) {
            Recipe fr = r;
            long t0 = System.nanoTime();
            Result res = train(c, r, m, (s, loss) -> {
                if ((s + 1) % 25 == 0) System.err.printf("step %d/%d lr %.5f loss %.4f %.1fs%n", s + 1, fr.steps(), fr.lrAt(s), loss, (System.nanoTime() - t0) / 1e9);
            }, 16, init);
            List<Float> l = res.losses();
            System.err.printf("done: %d params, last-50 loss %.4f, held-out %.4f, %.1f s%n", res.model().parameterCount(),
                    mean(l, Math.max(0, l.size() - 50), l.size()), res.heldOutLoss(), res.seconds());
            save(res, r, Path.of(out));
            if (init != null) {
                // record the continuation in training-config.json: what it started from and that start's own recipe
                ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                ObjectNode tc = (ObjectNode) om.readTree(Path.of(out).resolve("training-config.json").toFile());
                tc.put("continued_from", init.toString());
                if (Files.exists(init.resolve("training-config.json")))
                    tc.set("continued_from_training_config", om.readTree(init.resolve("training-config.json").toFile()));
                om.writeValue(Path.of(out).resolve("training-config.json").toFile(), tc);
            }
            res.model().close();
        }
    }
}
