package io.latentwatch.interp.sae;

import io.latentwatch.interp.tensor.Tensor;

import java.util.Arrays;
import java.util.Map;

/** A person's summary of an SAE as read from disk: format, shape, hook, maths, and what the monitor does with it. */
public final class SaeDescription {
    private SaeDescription() {}

    /** @param sae the SAE built from {@code src} (its architecture states the activation rule) */
    public static String of(SaeSource src, SparseAutoencoder sae) {
        SaeConfig c = src.config();
        StringBuilder b = new StringBuilder();
        row(b, "directory", src.dir().toString());
        row(b, "format", src.format().label());
        row(b, "architecture", c.architecture() + (c.isTopK() ? " (k=" + c.k() + (c.rescaleActsByDecoderNorm() ? ", rescale_acts_by_decoder_norm" : "") + ")" : ""));
        row(b, "d_in", String.valueOf(c.dIn()));
        row(b, "d_sae", String.valueOf(c.dSae()));
        row(b, "hook", c.hookName() + (c.modelName().isEmpty() ? "" : " (model " + c.modelName() + ")"));
        row(b, "stored dtype", src.storedDtype() + " (computed in float32)");
        row(b, "normalisation", c.normalizeActivations());
        row(b, "apply_b_dec_to_input", String.valueOf(c.applyBDecToInput()));
        row(b, "scaling factor", c.finetuningScalingFactor() ? "yes (latents x scaling_factor before decoding)" : "none");
        StringBuilder shapes = new StringBuilder();
        for (Map.Entry<String, Tensor> e : src.tensors().entrySet()) {
            shapes.append(shapes.isEmpty() ? "" : ", ").append(e.getKey()).append(Arrays.toString(e.getValue().shape()));
        }
        row(b, "tensors", shapes.toString());
        b.append("\nencode\n");
        b.append("  sae_in = ").append(normText(c.normalizeActivations())).append(c.applyBDecToInput() ? " - b_dec" : "").append('\n');
        b.append("  ").append(sae.architecture().formula()).append('\n');
        b.append("  x_hat = ").append(c.finetuningScalingFactor() ? "(z*scaling_factor)" : "z").append(" W_dec + b_dec")
                .append("none".equals(c.normalizeActivations()) ? "" : ", then the normalisation undone").append('\n');
        if (!src.notes().isEmpty()) {
            b.append("\nconversion\n");
            for (String n : src.notes()) b.append("  ").append(n).append('\n');
        }
        b.append("\nin the monitor\n  each sample at ").append(c.hookName()).append(" (").append(c.dIn()).append(" floats) is encoded as above; ")
                .append(c.isTopK() ? "the " + c.k() + " selected decoder rows are summed (sparse decode)"
                        : "the reconstruction is decoded densely over all " + c.dSae() + " latents")
                .append(";\n  the strongest latents, L0 and ||x - x_hat||^2/||x||^2 are published and judged against the baseline.\n");
        return b.toString();
    }

    private static String normText(String mode) {
        return switch (mode) {
            case "constant_norm_rescale" -> "x * sqrt(d_in)/||x||";
            case "layer_norm" -> "(x - mean(x)) / (std(x) + 1e-5)";
            default -> "x";
        };
    }

    private static void row(StringBuilder b, String k, String v) {
        b.append(String.format("%-22s %s%n", k, v));
    }
}
