package io.latentwatch.interp.sae;

import io.latentwatch.interp.tensor.Npy;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Gemma Scope SAE (Lieberum et al. 2024, arXiv 2408.05147): {@code params.npz} with
 * {@code W_enc [d_in, d_sae]}, {@code W_dec [d_sae, d_in]}, {@code b_enc}, {@code b_dec},
 * {@code threshold}; a JumpReLU SAE with {@code apply_b_dec_to_input = false} and no normalisation,
 * as SAELens's {@code gemma_2_sae_huggingface_loader} configures it. The files name no hook: it is
 * derived as SAELens derives it, from {@code layer_N} in the path and the release's site
 * ({@code -res} → {@code blocks.N.hook_resid_post}, {@code -mlp} → {@code blocks.N.hook_mlp_out},
 * {@code -att} → {@code blocks.N.attn.hook_z}, {@code embedding} → {@code hook_embed}), or given by
 * {@link SaeLoadOptions#hookName()}. Embedding SAEs get SAELens's √d_in adjustment.
 */
final class GemmaScopeFormat {
    static final String PARAMS = "params.npz";
    private static final Pattern LAYER = Pattern.compile("layer_(\\d+)");
    private static final Pattern SITE = Pattern.compile("(?:^|[-_])(res|mlp|att)(?:[-_]|$)");

    private GemmaScopeFormat() {}

    static SaeSource read(Path dir, SaeLoadOptions opt) throws IOException {
        Path file = dir.resolve(PARAMS);
        Map<String, Tensor> raw = Npy.readNpz(file);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : raw.entrySet()) {
            String k = e.getKey().startsWith("w_") ? "W_" + e.getKey().substring(2) : e.getKey();
            t.put(k, e.getValue());
        }
        for (String n : new String[] {"W_enc", "W_dec", "b_enc", "b_dec", "threshold"}) {
            if (!t.containsKey(n)) throw new IOException(file + ": missing array '" + n + "' (has " + raw.keySet() + "); a Gemma Scope "
                    + "params.npz holds W_enc, W_dec, b_enc, b_dec and threshold");
        }
        int[] enc = t.get("W_enc").shape();
        if (enc.length != 2) throw new IOException(file + ": W_enc has rank " + enc.length + ", expected [d_in, d_sae]");
        int dIn = enc[0], dSae = enc[1];
        List<String> notes = new ArrayList<>();
        String path = dir.toAbsolutePath().normalize().toString().toLowerCase(Locale.ROOT);
        boolean embedding = path.contains("embedding");
        String hook = opt.hookName() != null ? opt.hookName() : hookFromPath(dir.toAbsolutePath().normalize(), embedding);
        if (hook == null) {
            throw new IOException(file + ": the hook is not named by the files and cannot be derived from the path (SAELens derives it "
                    + "from 'layer_N' and the release's '-res', '-mlp' or '-att'); give it: --hook blocks.N.hook_resid_post");
        }
        if (opt.hookName() == null) notes.add("hook " + hook + " derived from the path (layer_N and the release's site)");
        if (embedding) {
            float s = (float) Math.sqrt(dIn);
            t.put("W_enc", scale(t.get("W_enc"), 1f / s));
            t.put("W_dec", scale(t.get("W_dec"), s));
            notes.add("embedding SAE: W_enc / sqrt(d_in), W_dec * sqrt(d_in) (how it was trained; SAELens does the same)");
        }
        boolean fsf = t.containsKey("scaling_factor");
        SaeConfig cfg = new SaeConfig(dIn, dSae, SaeConfig.JUMPRELU, 0, hook, SaeConfig.layerOf(hook), "", false, "none", "float32",
                1024, true, "monology/pile-uncopyrighted", false, fsf);
        return new SaeSource(SaeFormat.GEMMA_SCOPE, dir, cfg, t, "float32 (npz)", notes);
    }

    private static String hookFromPath(Path dir, boolean embedding) {
        Integer layer = null;
        String site = null;
        for (Path part : dir) {
            String p = part.toString().toLowerCase(Locale.ROOT);
            Matcher m = LAYER.matcher(p);
            if (m.find()) layer = Integer.parseInt(m.group(1));
            Matcher s = SITE.matcher(p);
            if (s.find()) site = s.group(1);
        }
        if (embedding) return "hook_embed";
        if (layer == null || site == null) return null;
        return switch (site) {
            case "res" -> "blocks." + layer + ".hook_resid_post";
            case "mlp" -> "blocks." + layer + ".hook_mlp_out";
            default -> "blocks." + layer + ".attn.hook_z";
        };
    }

    static Tensor scale(Tensor t, float f) {
        float[] v = t.data().clone();
        for (int i = 0; i < v.length; i++) v[i] *= f;
        return new Tensor(v, t.shape());
    }
}
