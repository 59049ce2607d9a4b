package io.latentwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.lens.AffineMap;
import io.latentwatch.interp.lens.DecodedToken;
import io.latentwatch.interp.lens.patchscope.AffineMapFit;
import io.latentwatch.interp.lens.patchscope.Mapping;
import io.latentwatch.interp.lens.patchscope.Patchscope;
import io.latentwatch.interp.lens.patchscope.PatchscopeRequest;
import io.latentwatch.interp.lens.patchscope.PatchscopeResult;
import io.latentwatch.interp.lens.patchscope.TokenIdentityPrompt;
import io.latentwatch.interp.model.HookedTransformer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code latentwatch patchscope}: decode one hidden representation by patching it into a target forward pass
 * (Ghandeharioun et al. 2024). Without --target-prompt the target is the token-identity prompt
 * ("cat->cat; 1135->1135; hello->hello; ?" or its in-vocabulary variant), patched at its last position.
 */
@Command(name = "patchscope", mixinStandardHelpOptions = true,
        description = {"Patch the residual stream of (model, prompt, layer, position) into a target (model, prompt, layer, position) and read "
                + "the next token or generate.",
                "Layer l < n_layers means blocks.l.hook_resid_pre (l = 0 is the embedding); l = n_layers means the last block's hook_resid_post."},
        subcommands = {PatchscopeCommand.MapCommand.class})
public class PatchscopeCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Source checkpoint (llama2.c .bin or Hugging Face directory).") Path model;
    @Option(names = "--tokenizer", description = "Source tokenizer; default: beside the model.") Path tokenizer;
    @Option(names = "--prompt", description = "Source prompt text (BOS is prepended).") String prompt;
    @Option(names = "--layer", description = "Source residual layer (0..n_layers).") Integer layer;
    @Option(names = "--position", defaultValue = "-1", description = "Source position, absolute with BOS = 0; negative counts from the end (default: last).") int position;
    @Option(names = "--target-model", description = "Target checkpoint (default: the source model).") Path targetModel;
    @Option(names = "--target-tokenizer", description = "Target tokenizer; default: beside the target model.") Path targetTokenizer;
    @Option(names = "--target-prompt", description = "Target prompt (default: the token-identity prompt).") String targetPrompt;
    @Option(names = "--target-layer", description = "Target residual layer (default: the map's target layer, else --layer).") Integer targetLayer;
    @Option(names = "--target-position", defaultValue = "-1", description = "Target position to patch (default: last).") int targetPosition;
    @Option(names = "--map", description = "Affine map directory from 'patchscope map train' (default: identity).") Path map;
    @Option(names = "--max-new-tokens", defaultValue = "0", description = "Generate this many tokens (0: read the next-token distribution).") int maxNewTokens;
    @Option(names = "--top-k", defaultValue = "5", description = "Tokens to report (default: ${DEFAULT-VALUE}).") int topK;
    @Option(names = "--json", description = "Print JSON with tokens and probabilities.") boolean json;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (model == null || prompt == null || layer == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--model, --prompt and --layer are required (or use 'patchscope map train')");
        }
        HookedTransformer src = LensCliSupport.load(model, tokenizer);
        HookedTransformer tgt = targetModel == null ? src : LensCliSupport.load(targetModel, targetTokenizer);
        try {
            Mapping mapping = Mapping.identity();
            Integer tl = targetLayer;
            if (map != null) {
                AffineMap a = AffineMapFit.load(map);
                mapping = Mapping.affine(a);
                JsonNode c = AffineMapFit.config(map);
                if (tl == null && c.has("target_layer")) tl = c.get("target_layer").asInt();
            }
            int[] tgtTokens = targetPrompt == null ? TokenIdentityPrompt.tokens(tgt) : tgt.toTokens(targetPrompt);
            int[] srcTokens = src.toTokens(prompt);
            PatchscopeRequest req = new PatchscopeRequest(src, srcTokens, layer, position, mapping, tgt, tgtTokens,
                    tl == null ? layer : tl, targetPosition, maxNewTokens, topK);
            PatchscopeResult r = Patchscope.run(req);
            var w = spec.commandLine().getOut();
            if (json) {
                ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                ObjectNode o = om.createObjectNode();
                ObjectNode s = o.putObject("source");
                s.put("model", src.modelId());
                s.put("prompt", prompt);
                s.set("tokens", om.valueToTree(srcTokens));
                s.put("layer", layer);
                s.put("position", req.resolvedSourcePosition());
                s.put("hook", req.sourceHook());
                s.put("token", src.tokenizer().tokenString(srcTokens[req.resolvedSourcePosition()]));
                o.put("mapping", mapping.describe());
                ObjectNode t = o.putObject("target");
                t.put("model", tgt.modelId());
                t.put("prompt", targetPrompt == null ? TokenIdentityPrompt.text(tgt) : targetPrompt);
                t.set("tokens", om.valueToTree(tgtTokens));
                t.put("layer", req.targetLayer());
                t.put("position", r.targetPosition());
                t.put("hook", r.targetHook());
                ArrayNode top = o.putArray("top_k");
                for (DecodedToken d : r.topK()) top.addObject().put("id", d.id()).put("token", d.token()).put("probability", d.probability());
                ArrayNode gen = o.putArray("generated");
                for (int id : r.generated()) gen.addObject().put("id", id).put("token", tgt.tokenizer().tokenString(id));
                o.put("text", r.text());
                w.println(om.writeValueAsString(o));
            } else if (maxNewTokens > 0) {
                w.println(r.text());
            } else {
                StringBuilder sb = new StringBuilder();
                for (DecodedToken d : r.topK()) sb.append(String.format(Locale.ROOT, "%s (%.3f)  ", d.token(), d.probability()));
                w.println(sb.toString().strip());
            }
            w.flush();
            return 0;
        } finally {
            if (tgt != src) tgt.close();
            src.close();
        }
    }

    @Command(name = "map", mixinStandardHelpOptions = true, description = "Affine maps between models for cross-model Patchscopes.",
            subcommands = {MapTrain.class})
    static class MapCommand implements Runnable {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Learn y = W x + b from the source model's residual layer to the target model's on paired activations of the same prompts (closed-form ridge regression).")
    static class MapTrain implements Callable<Integer> {
        @Option(names = "--source-model", required = true, description = "Source checkpoint (e.g. models/zoo-small).") Path sourceModel;
        @Option(names = "--source-tokenizer", description = "Source tokenizer; default: beside the model.") Path sourceTokenizer;
        @Option(names = "--target-model", required = true, description = "Target checkpoint (e.g. models/zoo-base); must share the vocabulary.") Path targetModel;
        @Option(names = "--target-tokenizer", description = "Target tokenizer; default: beside the model.") Path targetTokenizer;
        @Option(names = "--prompts", required = true, description = "Text for paired activations, one prompt per line (every 5th held out for R^2).") Path prompts;
        @Option(names = "--source-layer", required = true, description = "Source residual layer.") int sourceLayer;
        @Option(names = "--target-layer", required = true, description = "Target residual layer.") int targetLayer;
        @Option(names = "--ridge", defaultValue = "0.01", description = "Ridge penalty lambda on W (default: ${DEFAULT-VALUE}).") double ridge;
        @Option(names = "--out", required = true, description = "Output directory (map.safetensors, map.json).") Path out;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (HookedTransformer s = LensCliSupport.load(sourceModel, sourceTokenizer);
                 HookedTransformer t = LensCliSupport.load(targetModel, targetTokenizer)) {
                AffineMapFit.Fit f = AffineMapFit.fit(s, sourceLayer, t, targetLayer, LensCliSupport.prompts(prompts), ridge);
                Map<String, Object> meta = new LinkedHashMap<>();
                meta.put("source_model", s.modelId());
                meta.put("source_model_version_hash", s.versionHash());
                meta.put("target_model", t.modelId());
                meta.put("target_model_version_hash", t.versionHash());
                meta.put("source_layer", sourceLayer);
                meta.put("target_layer", targetLayer);
                meta.put("ridge", ridge);
                meta.put("rows_train", f.rowsTrain());
                meta.put("rows_held_out", f.rowsHeldOut());
                meta.put("r2_train", f.r2Train());
                meta.put("r2_held_out", f.r2HeldOut());
                AffineMapFit.save(out, f.map(), meta);
                spec.commandLine().getOut().printf(Locale.ROOT, "map %s L%d -> %s L%d: R^2 train %.4f, held-out %.4f (%d/%d rows) -> %s%n",
                        s.modelId(), sourceLayer, t.modelId(), targetLayer, f.r2Train(), f.r2HeldOut(), f.rowsTrain(), f.rowsHeldOut(), out);
                spec.commandLine().getOut().flush();
                return 0;
            }
        }
    }
}
