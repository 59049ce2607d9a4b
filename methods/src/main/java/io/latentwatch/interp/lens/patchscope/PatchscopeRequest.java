package io.latentwatch.interp.lens.patchscope;

import io.latentwatch.interp.lens.ResidualLayers;
import io.latentwatch.interp.model.HookedTransformer;

/**
 * One Patchscope (Ghandeharioun et al. 2024, arXiv 2401.06102, §3): the source (model, prompt, layer l, position i),
 * the mapping f, and the target (model, prompt, layer l*, position i*) plus what to read.
 *
 * <p>Layers are residual layers ({@link ResidualLayers}): layer l < n_layers is read from / injected at
 * {@code blocks.l.hook_resid_pre}, layer n_layers at {@code blocks.(n_layers-1).hook_resid_post}. Positions
 * are absolute token indices (BOS = 0); negative counts from the end (-1 = last).
 *
 * @param maxNewTokens 0: read the target's next-token distribution at its last prompt position; N > 0: generate
 *                     N tokens greedily, the patch applied only at the target position
 * @param topK         how many tokens of the next-token distribution to report
 */
public record PatchscopeRequest(HookedTransformer sourceModel, int[] sourceTokens, int sourceLayer, int sourcePosition,
                                Mapping mapping,
                                HookedTransformer targetModel, int[] targetTokens, int targetLayer, int targetPosition,
                                int maxNewTokens, int topK) {

    public PatchscopeRequest {
        if (sourceModel == null || targetModel == null) throw new IllegalArgumentException("source and target model are required");
        if (sourceTokens == null || sourceTokens.length == 0) throw new IllegalArgumentException("empty source prompt");
        if (targetTokens == null || targetTokens.length == 0) throw new IllegalArgumentException("empty target prompt");
        ResidualLayers.check(sourceModel.config(), sourceLayer);
        ResidualLayers.check(targetModel.config(), targetLayer);
        ResidualLayers.position(sourcePosition, sourceTokens.length, "source prompt");
        ResidualLayers.position(targetPosition, targetTokens.length, "target prompt");
        if (mapping == null) mapping = Mapping.identity();
        if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens must be >= 0");
        if (topK <= 0) throw new IllegalArgumentException("topK must be positive");
    }

    /** Absolute source position. */
    public int resolvedSourcePosition() { return ResidualLayers.position(sourcePosition, sourceTokens.length, "source prompt"); }

    /** Absolute target position. */
    public int resolvedTargetPosition() { return ResidualLayers.position(targetPosition, targetTokens.length, "target prompt"); }

    public String sourceHook() { return ResidualLayers.hook(sourceModel.config(), sourceLayer); }

    public String targetHook() { return ResidualLayers.hook(targetModel.config(), targetLayer); }

    public static Builder builder(HookedTransformer source, int[] tokens, int layer) { return new Builder(source, tokens, layer); }

    /** Defaults: last source position, identity, target = source model/prompt/layer/position, next token, top 10. */
    public static final class Builder {
        private final HookedTransformer source;
        private final int[] tokens;
        private final int layer;
        private int position = -1;
        private Mapping mapping = Mapping.identity();
        private HookedTransformer target;
        private int[] targetTokens;
        private Integer targetLayer;
        private int targetPosition = -1;
        private int maxNewTokens;
        private int topK = 10;

        private Builder(HookedTransformer source, int[] tokens, int layer) {
            this.source = source;
            this.tokens = tokens;
            this.layer = layer;
        }

        public Builder position(int p) { this.position = p; return this; }
        public Builder mapping(Mapping m) { this.mapping = m; return this; }
        public Builder targetModel(HookedTransformer m) { this.target = m; return this; }
        public Builder targetPrompt(int[] t) { this.targetTokens = t; return this; }
        public Builder targetLayer(int l) { this.targetLayer = l; return this; }
        public Builder targetPosition(int p) { this.targetPosition = p; return this; }
        public Builder generate(int n) { this.maxNewTokens = n; return this; }
        public Builder topK(int k) { this.topK = k; return this; }

        public PatchscopeRequest build() {
            return new PatchscopeRequest(source, tokens, layer, position, mapping, target == null ? source : target,
                    targetTokens == null ? tokens : targetTokens, targetLayer == null ? layer : targetLayer, targetPosition,
                    maxNewTokens, topK);
        }
    }
}
