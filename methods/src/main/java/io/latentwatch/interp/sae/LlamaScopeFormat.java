package io.latentwatch.interp.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Llama Scope SAE (He et al. 2024, arXiv 2410.20526): {@code hyperparams.json}
 * ({@code d_model}, {@code d_sae}, {@code hook_point_in}, {@code act_fn}, {@code jump_relu_threshold},
 * {@code norm_activation}, {@code dataset_average_activation_norm}) and {@code final.safetensors}
 * (here or under {@code checkpoints/}) with {@code encoder.weight [d_sae, d_in]},
 * {@code encoder.bias}, {@code decoder.weight [d_in, d_sae]}, {@code decoder.bias}. Converted as
 * SAELens's {@code llama_scope_sae_huggingface_loader} does: W_enc = encoder.weightᵀ,
 * W_dec = decoder.weightᵀ, one threshold for every latent, JumpReLU without b_dec on the input; the
 * dataset-wise input norm factor f = √d_in / average_norm_in is folded into the weights and the
 * threshold scaled by f, as SAELens does after loading.
 */
final class LlamaScopeFormat {
    static final String HYPERPARAMS = "hyperparams.json";
    static final String WEIGHTS = "final.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private LlamaScopeFormat() {}

    static SaeSource read(Path dir, SaeLoadOptions opt) throws IOException {
        Path hp = dir.resolve(HYPERPARAMS);
        JsonNode h = JSON.readTree(Files.readString(hp));
        Path weights = Files.exists(dir.resolve(WEIGHTS)) ? dir.resolve(WEIGHTS) : dir.resolve("checkpoints").resolve(WEIGHTS);
        if (!Files.exists(weights)) throw new NoSuchFileException(weights + ": missing (a Llama Scope SAE has " + HYPERPARAMS + " and "
                + WEIGHTS + ", here or under checkpoints/)");
        int dIn = intField(h, "d_model", hp);
        int dSae = intField(h, "d_sae", hp);
        String act = h.path("act_fn").asText("jumprelu");
        if (!"jumprelu".equals(act)) {
            throw new IOException(hp + ": field 'act_fn' is '" + act + "'; latentwatch reads Llama Scope's JumpReLU SAEs only");
        }
        if (!h.path("jump_relu_threshold").isNumber()) throw new IOException(hp + ": field 'jump_relu_threshold' missing or not a number");
        if (h.path("apply_decoder_bias_to_pre_encoder").asBoolean(false)) {
            throw new IOException(hp + ": field 'apply_decoder_bias_to_pre_encoder' is true; SAELens's converter ignores it, "
                    + "so there is no reference behaviour to match: not loaded");
        }
        String normMode = h.path("norm_activation").asText("dataset-wise");
        if (!"dataset-wise".equals(normMode)) {
            throw new IOException(hp + ": field 'norm_activation' is '" + normMode + "'; latentwatch reads 'dataset-wise' Llama Scope SAEs");
        }
        JsonNode avg = h.path("dataset_average_activation_norm").path("in");
        float f;
        if (opt.normScalingFactor() != null) f = opt.normScalingFactor();
        else if (avg.isNumber()) f = (float) (Math.sqrt(dIn) / avg.asDouble());
        else throw new IOException(hp + ": field 'dataset_average_activation_norm.in' is missing; it gives the input scale "
                + "(f = sqrt(d_model) / in); pass --norm-scaling-factor F instead");
        String hook = opt.hookName() != null ? opt.hookName() : h.path("hook_point_in").asText(null);
        if (hook == null) throw new IOException(hp + ": field 'hook_point_in' missing; give the hook: --hook blocks.N.hook_resid_post");
        SafeTensors st = SafeTensors.open(weights);
        for (String n : new String[] {"encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"}) {
            if (!st.contains(n)) throw new IOException(weights + ": missing tensor '" + n + "' (has " + st.names() + ")");
        }
        for (String n : st.names()) {
            if (!List.of("encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias").contains(n)) {
                throw new IOException(weights + ": tensor '" + n + "' is not understood (a Llama Scope SAE has encoder.weight, "
                        + "encoder.bias, decoder.weight, decoder.bias)");
            }
        }
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("W_enc", transpose(st.get("encoder.weight", dSae, dIn)));
        t.put("b_enc", st.get("encoder.bias", dSae));
        t.put("W_dec", transpose(st.get("decoder.weight", dIn, dSae)));
        t.put("b_dec", st.get("decoder.bias", dIn));
        float[] thr = new float[dSae];
        Arrays.fill(thr, (float) (h.get("jump_relu_threshold").asDouble() * f));
        t.put("threshold", new Tensor(thr, dSae));
        List<String> notes = new ArrayList<>();
        notes.add("W_enc = encoder.weight^T, W_dec = decoder.weight^T");
        notes.add("dataset-wise input norm: factor " + f + " folded in (W_enc*f, W_dec/f, b_dec/f) and the threshold "
                + h.get("jump_relu_threshold").asDouble() + " scaled by it, as SAELens does");
        SaeConfig cfg = new SaeConfig(dIn, dSae, SaeConfig.JUMPRELU, 0, hook, SaeConfig.layerOf(hook), "meta-llama/Llama-3.1-8B",
                false, "none", "float32", 1024, true, "cerebras/SlimPajama-627B", false, false);
        return new SaeSource(SaeFormat.LLAMA_SCOPE, dir, cfg, SparseAutoencoder.foldActivationNormScalingFactor(t, f),
                st.dtype("encoder.weight").safetensorsName(), notes);
    }

    private static int intField(JsonNode h, String key, Path file) throws IOException {
        if (!h.path(key).canConvertToInt()) throw new IOException(file + ": field '" + key + "' missing or not an integer");
        return h.get(key).asInt();
    }

    static Tensor transpose(Tensor t) {
        int r = t.dim(0), c = t.dim(1);
        float[] a = t.data();
        float[] o = new float[a.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) o[j * r + i] = a[i * c + j];
        return new Tensor(o, c, r);
    }
}
