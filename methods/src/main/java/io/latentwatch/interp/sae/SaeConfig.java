package io.latentwatch.interp.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An SAE's configuration, mirroring SAELens's {@code cfg.json}.
 *
 * <p>We write the flat, pre-6.0 layout (d_in, d_sae, hook_name, hook_layer, architecture,
 * activation_fn_str, activation_fn_kwargs, apply_b_dec_to_input, normalize_activations, dtype,
 * model_name, ...) because every SAELens version reads it: 6.x converts it through
 * {@code handle_pre_6_0_config} (which also maps {@code activation_fn_kwargs.k} to the TopK
 * config's {@code k}); older ones read it directly. We also write {@code k} and
 * {@code rescale_acts_by_decoder_norm} at top level (the 6.x TopK fields). Reading accepts both
 * layouts, including the 6.x nested {@code metadata}/{@code meta} object and the old key names
 * {@code hook_point} and {@code activation_fn}.
 *
 * @param architecture "standard" (ReLU), "gated", "jumprelu" or "topk", as SAELens names them
 *                     (one class each: {@link StandardSae}, {@link GatedSae}, {@link JumpReluSae}, {@link TopKSae})
 * @param k            active latents per token for "topk" (0 otherwise)
 * @param normalizeActivations SAELens's modes: "none", "expected_average_only_in" (a dataset-wide
 *                     factor that must be folded into the weights before encoding, see
 *                     {@link SparseAutoencoder#foldActivationNormScalingFactor}), "constant_norm_rescale"
 *                     and "layer_norm" (per token, undone on the reconstruction)
 * @param rescaleActsByDecoderNorm TopK only: pre-activations are multiplied by ||W_dec,i|| before the
 *                     top-k choice and latents divided by it before decoding (SAELens 6 TopKSAE)
 * @param finetuningScalingFactor the SAE has a per-latent {@code scaling_factor} that multiplies the
 *                     latents before decoding (SAELens &lt; 6 "finetuning_scaling_factor")
 */
public record SaeConfig(
        int dIn,
        int dSae,
        String architecture,
        int k,
        String hookName,
        int hookLayer,
        String modelName,
        boolean applyBDecToInput,
        String normalizeActivations,
        String dtype,
        int contextSize,
        boolean prependBos,
        String datasetPath,
        boolean rescaleActsByDecoderNorm,
        boolean finetuningScalingFactor) {

    public static final String STANDARD = "standard";
    public static final String TOPK = "topk";
    public static final String GATED = "gated";
    public static final String JUMPRELU = "jumprelu";
    /** SAELens's normalize_activations modes. */
    public static final List<String> NORMALIZATIONS =
            List.of("none", "expected_average_only_in", "constant_norm_rescale", "layer_norm");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LAYER = Pattern.compile("blocks\\.(\\d+)\\.");

    public SaeConfig {
        if (dIn <= 0) throw new IllegalArgumentException("d_in must be positive, got " + dIn);
        if (dSae <= 0) throw new IllegalArgumentException("d_sae must be positive, got " + dSae);
        if (!STANDARD.equals(architecture) && !TOPK.equals(architecture) && !GATED.equals(architecture) && !JUMPRELU.equals(architecture)) {
            throw new IllegalArgumentException("architecture must be 'standard' (ReLU), 'gated', 'jumprelu' or 'topk', got '" + architecture + "'");
        }
        if (TOPK.equals(architecture) && (k <= 0 || k > dSae)) {
            throw new IllegalArgumentException("topk SAE needs 0 < k <= d_sae (" + dSae + "), got k=" + k);
        }
        if (hookName == null || hookName.isBlank()) throw new IllegalArgumentException("hook_name is required");
        if (normalizeActivations == null) normalizeActivations = "none";
        if (!NORMALIZATIONS.contains(normalizeActivations)) {
            throw new IllegalArgumentException("normalize_activations must be one of " + NORMALIZATIONS + ", got '" + normalizeActivations + "'");
        }
        if (rescaleActsByDecoderNorm && !TOPK.equals(architecture)) {
            throw new IllegalArgumentException("rescale_acts_by_decoder_norm is a TopK option; architecture is '" + architecture + "'");
        }
        if (dtype == null) dtype = "float32";
        if (modelName == null) modelName = "";
    }

    /** The configuration without the TopK decoder-norm rescaling and the finetuning scaling factor. */
    public SaeConfig(int dIn, int dSae, String architecture, int k, String hookName, int hookLayer, String modelName,
                     boolean applyBDecToInput, String normalizeActivations, String dtype, int contextSize,
                     boolean prependBos, String datasetPath) {
        this(dIn, dSae, architecture, k, hookName, hookLayer, modelName, applyBDecToInput, normalizeActivations, dtype,
                contextSize, prependBos, datasetPath, false, false);
    }

    /** A TopK SAE with SAELens's defaults for everything else. */
    public static SaeConfig topk(int dIn, int dSae, int k, String hookName, String modelName) {
        return new SaeConfig(dIn, dSae, TOPK, k, hookName, layerOf(hookName), modelName, true, "none", "float32", 128, true, "");
    }

    /** A ReLU ("standard") SAE with SAELens's defaults for everything else. */
    public static SaeConfig relu(int dIn, int dSae, String hookName, String modelName) {
        return new SaeConfig(dIn, dSae, STANDARD, 0, hookName, layerOf(hookName), modelName, true, "none", "float32", 128, true, "");
    }

    /** A JumpReLU SAE (per-latent thresholds) with SAELens's defaults for everything else. */
    public static SaeConfig jumpRelu(int dIn, int dSae, String hookName, String modelName) {
        return new SaeConfig(dIn, dSae, JUMPRELU, 0, hookName, layerOf(hookName), modelName, true, "none", "float32", 128, true, "");
    }

    public boolean isTopK() { return TOPK.equals(architecture); }

    /** A copy with another architecture (k kept for topk, dropped otherwise). */
    public SaeConfig withArchitecture(String arch, int newK) {
        return new SaeConfig(dIn, dSae, arch, TOPK.equals(arch) ? newK : 0, hookName, hookLayer, modelName, applyBDecToInput,
                normalizeActivations, dtype, contextSize, prependBos, datasetPath, TOPK.equals(arch) && rescaleActsByDecoderNorm,
                finetuningScalingFactor);
    }

    /** A copy with another normalize_activations mode. */
    public SaeConfig withNormalizeActivations(String mode) {
        return new SaeConfig(dIn, dSae, architecture, k, hookName, hookLayer, modelName, applyBDecToInput, mode, dtype,
                contextSize, prependBos, datasetPath, rescaleActsByDecoderNorm, finetuningScalingFactor);
    }

    /** A copy reading another hook (a flag naming the TransformerLens hook of a format that uses other names). */
    public SaeConfig withHookName(String hook) {
        return new SaeConfig(dIn, dSae, architecture, k, hook, layerOf(hook), modelName, applyBDecToInput, normalizeActivations,
                dtype, contextSize, prependBos, datasetPath, rescaleActsByDecoderNorm, finetuningScalingFactor);
    }

    /** The layer in a TransformerLens hook name ("blocks.2.hook_resid_post" -> 2), 0 for hook_embed. */
    public static int layerOf(String hookName) {
        Matcher m = LAYER.matcher(hookName);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    public String activationFn() { return isTopK() ? "topk" : "relu"; }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("architecture", architecture);
        o.put("d_in", dIn);
        o.put("d_sae", dSae);
        o.put("activation_fn_str", activationFn());
        ObjectNode kw = o.putObject("activation_fn_kwargs");
        if (isTopK()) {
            kw.put("k", k);
            o.put("k", k);
            o.put("rescale_acts_by_decoder_norm", rescaleActsByDecoderNorm);
        }
        o.put("apply_b_dec_to_input", applyBDecToInput);
        o.put("finetuning_scaling_factor", finetuningScalingFactor);
        o.put("context_size", contextSize);
        o.put("model_name", modelName);
        o.put("hook_name", hookName);
        o.put("hook_layer", hookLayer);
        o.putNull("hook_head_index");
        o.put("prepend_bos", prependBos);
        o.put("dataset_path", datasetPath);
        o.put("dataset_trust_remote_code", true);
        o.put("normalize_activations", normalizeActivations);
        o.put("dtype", dtype);
        o.put("device", "cpu");
        o.putNull("sae_lens_training_version");
        o.putNull("neuronpedia_id");
        o.put("trained_by", "latentwatch");
        return o;
    }

    public String toJsonString() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a cfg.json (either SAELens layout); {@code where} names the file in errors. */
    public static SaeConfig fromJson(String json, String where) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IOException(where + ": not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new IOException(where + ": expected a JSON object");
        JsonNode meta = root.has("metadata") ? root.get("metadata") : root.get("meta");
        int dIn = requireInt(root, "d_in", where);
        int dSae = requireInt(root, "d_sae", where);
        String fn = text(root, null, "activation_fn_str", text(root, null, "activation_fn", "relu"));
        String arch = text(root, null, "architecture", "standard");
        int k = 0;
        if (root.has("k")) k = root.get("k").asInt();
        else if (root.path("activation_fn_kwargs").has("k")) k = root.get("activation_fn_kwargs").get("k").asInt();
        // SAELens < 6 expressed TopK as architecture "standard" with activation_fn "topk".
        if ("topk".equals(fn) && "standard".equals(arch)) arch = TOPK;
        if (!STANDARD.equals(arch) && !TOPK.equals(arch) && !GATED.equals(arch) && !JUMPRELU.equals(arch)) {
            throw new IOException(where + ": field 'architecture' is '" + arch + "', which latentwatch does not read (it reads "
                    + "'standard', 'gated', 'jumprelu' and 'topk'; SAELens saves BatchTopK and Matryoshka SAEs as 'jumprelu')");
        }
        if (!"relu".equals(fn) && !"topk".equals(fn)) {
            throw new IOException(where + ": field 'activation_fn' is '" + fn + "'; latentwatch computes ReLU-based SAEs only "
                    + "(relu, or topk); an SAE trained with another activation cannot be encoded faithfully");
        }
        String hook = text(root, meta, "hook_name", text(root, meta, "hook_point", null));
        if (hook == null) throw new IOException(where + ": missing 'hook_name'");
        String norm = root.path("normalize_activations").isBoolean()
                ? (root.get("normalize_activations").asBoolean() ? "expected_average_only_in" : "none")
                : text(root, null, "normalize_activations", "none");
        if (!NORMALIZATIONS.contains(norm)) {
            throw new IOException(where + ": field 'normalize_activations' is '" + norm + "'; SAELens's modes are " + NORMALIZATIONS);
        }
        // hook_z SAEs (reshape_activations "hook_z") read [n_heads, d_head] flattened, which is how latentwatch
        // publishes hook_z already; an SAE on one head's slice is a different input and is refused.
        if (root.hasNonNull("hook_head_index") || meta != null && meta.hasNonNull("hook_head_index")) {
            throw new IOException(where + ": field 'hook_head_index' is set; SAEs on a single attention head's slice are not read "
                    + "(latentwatch projects whole hooks)");
        }
        boolean rescale = root.path("rescale_acts_by_decoder_norm").asBoolean(false);
        boolean fsf = root.path("finetuning_scaling_factor").asBoolean(false);
        int layer = root.has("hook_layer") ? root.get("hook_layer").asInt()
                : meta != null && meta.has("hook_layer") && !meta.get("hook_layer").isNull() ? meta.get("hook_layer").asInt() : layerOf(hook);
        try {
            return new SaeConfig(dIn, dSae, arch, k, hook, layer, text(root, meta, "model_name", ""),
                    !root.has("apply_b_dec_to_input") || root.get("apply_b_dec_to_input").asBoolean(),
                    norm, text(root, null, "dtype", "float32"),
                    intOr(root, meta, "context_size", 128),
                    !root.has("prepend_bos") || root.get("prepend_bos").asBoolean(true),
                    text(root, meta, "dataset_path", ""), rescale && TOPK.equals(arch), fsf);
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage());
        }
    }

    private static int requireInt(JsonNode root, String key, String where) throws IOException {
        JsonNode n = root.get(key);
        if (n == null || !n.canConvertToInt()) throw new IOException(where + ": missing or non-integer '" + key + "'");
        return n.asInt();
    }

    private static String text(JsonNode root, JsonNode meta, String key, String dflt) {
        JsonNode n = root.get(key);
        if ((n == null || n.isNull()) && meta != null) n = meta.get(key);
        return n == null || n.isNull() ? dflt : n.asText();
    }

    private static int intOr(JsonNode root, JsonNode meta, String key, int dflt) {
        JsonNode n = root.get(key);
        if ((n == null || n.isNull()) && meta != null) n = meta.get(key);
        return n == null || !n.canConvertToInt() ? dflt : n.asInt();
    }
}
