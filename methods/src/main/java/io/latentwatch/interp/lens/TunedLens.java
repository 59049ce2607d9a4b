package io.latentwatch.interp.lens;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.model.TransformerForward;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tuned lens (Belrose et al. 2023, arXiv 2303.08112): one affine translator per residual layer,
 * h' = W_l h + b_l, then the model's final norm and unembedding. Layers 0..n_layers-1 have a translator;
 * the last residual layer (n_layers, the model's own output) uses the identity, so the tuned lens is exact
 * there as in the paper. With W = I and b = 0 it is the logit lens.
 *
 * <p>Files: {@code tuned_lens.safetensors} with {@code layer_translators.{l}.weight [d, d]} ([out, in], as
 * nn.Linear) and {@code layer_translators.{l}.bias [d]}, plus {@code config.json}. (The tuned-lens library
 * parameterises h + (W h + b) with W initialised to zero; our W is its W + I.)
 */
public final class TunedLens {
    public static final String WEIGHTS = "tuned_lens.safetensors";
    public static final String CONFIG = "config.json";
    public static final String FORMAT = "latentwatch-tuned-lens";

    private final HookedTransformer model;
    private final List<AffineMap> translators;
    private final Map<String, Object> info;

    public TunedLens(HookedTransformer model, List<AffineMap> translators, Map<String, Object> info) {
        ModelConfig c = model.config();
        if (translators.size() != c.nLayers()) {
            throw new IllegalArgumentException("tuned lens needs " + c.nLayers() + " translators (one per block input), got " + translators.size());
        }
        for (int l = 0; l < translators.size(); l++) {
            AffineMap a = translators.get(l);
            if (a.in() != c.dModel() || a.out() != c.dModel()) {
                throw new IllegalArgumentException("translator " + l + " is [" + a.out() + ", " + a.in() + "], model d_model is " + c.dModel());
            }
        }
        this.model = model;
        this.translators = List.copyOf(translators);
        this.info = new LinkedHashMap<>(info);
    }

    /** The identity-initialised lens: equal to the logit lens. */
    public static TunedLens identity(HookedTransformer model) {
        List<AffineMap> t = new ArrayList<>();
        for (int l = 0; l < model.config().nLayers(); l++) t.add(AffineMap.identity(model.config().dModel()));
        return new TunedLens(model, t, Map.of());
    }

    public HookedTransformer model() { return model; }

    public List<AffineMap> translators() { return translators; }

    public Map<String, Object> info() { return info; }

    /** The translator of residual layer {@code layer}; identity for the last one. */
    public AffineMap translator(int layer) {
        ResidualLayers.check(model.config(), layer);
        return layer < translators.size() ? translators.get(layer) : AffineMap.identity(model.config().dModel());
    }

    /** Logits [n, vocab] of hidden states [n, d] from residual layer {@code layer}: one matmul for the translator,
     * one for the unembedding. */
    public Tensor logits(int layer, Tensor hidden) {
        int d = model.config().dModel();
        int n = LogitLens.checkHidden(hidden, d);
        AffineMap a = translator(layer);
        try (NDManager sub = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray x = sub.create(hidden.data(), new Shape(n, d));
            NDArray w = sub.create(a.weight().data(), new Shape(d, d));
            NDArray b = sub.create(a.bias().data(), new Shape(d));
            NDArray h = x.matMul(w.transpose()).add(b);
            return new Tensor(TransformerForward.unembed(model.params(), h).toFloatArray(), n, model.config().vocabSize());
        }
    }

    public List<List<DecodedToken>> topK(int layer, Tensor hidden, int k) {
        return LogitLens.topKOfLogits(logits(layer, hidden), k, model);
    }

    public List<DecodedToken> topK(int layer, float[] hidden, int k) {
        return topK(layer, new Tensor(hidden, 1, hidden.length), k).get(0);
    }

    // ------------------------------------------------------------------------------------------ files

    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (int l = 0; l < translators.size(); l++) {
            t.put("layer_translators." + l + ".weight", translators.get(l).weight());
            t.put("layer_translators." + l + ".bias", translators.get(l).bias());
        }
        SafeTensors.write(dir.resolve(WEIGHTS), t, Map.of("format", FORMAT), DType.F32);
        ModelConfig c = model.config();
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = om.createObjectNode();
        o.put("format", FORMAT);
        o.put("version", 1);
        o.put("model_id", model.modelId());
        o.put("model_version_hash", model.versionHash());
        o.put("d_model", c.dModel());
        o.put("n_layers", c.nLayers());
        o.put("num_translators", translators.size());
        var hooks = o.putArray("hooks");
        for (int l = 0; l < translators.size(); l++) hooks.add(ResidualLayers.hook(c, l));
        o.put("translator", "h' = weight @ h + bias (weight [out, in]); logits = unembed(final_norm(h'))");
        o.set("training", om.valueToTree(info));
        om.writeValue(dir.resolve(CONFIG).toFile(), o);
    }

    /** Loads a lens written by {@link #save}; checks it fits {@code model}. */
    public static TunedLens load(Path dir, HookedTransformer model) throws IOException {
        Path cfg = dir.resolve(CONFIG), w = dir.resolve(WEIGHTS);
        if (!Files.exists(cfg)) throw new IOException("tuned lens " + dir + ": missing " + CONFIG);
        if (!Files.exists(w)) throw new IOException("tuned lens " + dir + ": missing " + WEIGHTS);
        JsonNode o = new ObjectMapper().readTree(cfg.toFile());
        if (!FORMAT.equals(o.path("format").asText())) throw new IOException(cfg + ": format is not " + FORMAT);
        int d = o.path("d_model").asInt(), n = o.path("num_translators").asInt();
        if (d != model.config().dModel() || n != model.config().nLayers()) {
            throw new IOException(cfg + ": lens for d_model " + d + " with " + n + " translators does not fit " + model.modelId()
                    + " (d_model " + model.config().dModel() + ", " + model.config().nLayers() + " layers)");
        }
        SafeTensors st = SafeTensors.open(w);
        List<AffineMap> t = new ArrayList<>();
        for (int l = 0; l < n; l++) {
            t.add(new AffineMap(st.get("layer_translators." + l + ".weight", d, d), st.get("layer_translators." + l + ".bias", d)));
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("loaded_from", dir.toString());
        info.put("model_version_hash", o.path("model_version_hash").asText());
        return new TunedLens(model, t, info);
    }
}
