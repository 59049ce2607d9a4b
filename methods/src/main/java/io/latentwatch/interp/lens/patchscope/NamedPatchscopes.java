package io.latentwatch.interp.lens.patchscope;

import io.latentwatch.interp.model.HookedTransformer;

/**
 * The Patchscopes the paper names (Ghandeharioun et al. 2024, Table 1), as ready-made requests.
 */
public final class NamedPatchscopes {
    private NamedPatchscopes() {}

    /**
     * Token identity (§4.1): the representation at (layer, position) of the prompt is patched into the
     * few-shot identity prompt at its last position, same model, same layer (l* = l); read the next token.
     */
    public static PatchscopeRequest tokenIdentity(HookedTransformer m, int[] tokens, int layer, int position) {
        return PatchscopeRequest.builder(m, tokens, layer).position(position)
                .targetPrompt(TokenIdentityPrompt.tokens(m)).targetLayer(layer).targetPosition(-1).build();
    }

    /**
     * Zero-shot attribute extraction (§4.2): the subject's representation is patched over a placeholder subject
     * of a target prompt expressing the relation (e.g. "x is in" for a city's country), no training.
     *
     * @param placeholderPosition where the placeholder subject sits in the target prompt (absolute; -1 = last)
     */
    public static PatchscopeRequest attributeExtraction(HookedTransformer m, int[] sourceTokens, int layer, int position,
                                                        int[] relationPrompt, int placeholderPosition, int targetLayer) {
        return PatchscopeRequest.builder(m, sourceTokens, layer).position(position)
                .targetPrompt(relationPrompt).targetPosition(placeholderPosition).targetLayer(targetLayer).build();
    }

    /**
     * Entity description (§4.3): patch the entity's representation into a prompt that describes entities and
     * ends with the placeholder, then generate {@code maxNewTokens} tokens.
     */
    public static PatchscopeRequest entityDescription(HookedTransformer m, int[] sourceTokens, int layer, int position,
                                                      int[] descriptionPrompt, int targetLayer, int maxNewTokens) {
        return PatchscopeRequest.builder(m, sourceTokens, layer).position(position)
                .targetPrompt(descriptionPrompt).targetPosition(-1).targetLayer(targetLayer).generate(maxNewTokens).build();
    }
}
