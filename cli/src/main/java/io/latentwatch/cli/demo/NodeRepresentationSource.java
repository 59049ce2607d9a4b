package io.latentwatch.cli.demo;

import io.latentwatch.node.InferenceNode;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.monitor.explain.RepresentationSource;
import io.latentwatch.schema.Alert;

import java.util.Arrays;
import java.util.List;

/**
 * The flagged representation recomputed by the demo's node, which remembers the tokens of recent
 * sampled requests: the node's model is run on them and h is taken at the alert's hook and position
 * (one head's row {@code z_h W_O[h]} for {@code blocks.L.attn.hook_result} with the alert's
 * {@code head}). The monitor's {@code ModelRepresentationReader} then reads it, holding the node's
 * model lock.
 */
public final class NodeRepresentationSource implements RepresentationSource {
    private final InferenceNode node;

    public NodeRepresentationSource(InferenceNode node) { this.node = node; }

    @Override
    public Found find(Alert alert) {
        int[] toks = alert.getRequestId() == null ? null : node.recentTokens(alert.getRequestId());
        Integer pos = alert.getPosition();
        if (toks == null || pos == null || pos >= toks.length) return Found.missing("the node no longer holds the request's tokens");
        HookedTransformer m = node.model();
        String hook = alert.getHook();
        node.modelLock().lock();
        try {
            Tensor acts = m.runWithCache(toks, List.of(hook)).cache().get(hook);
            int d = m.config().dModel(), heads = m.config().nHeads();
            String head = alert.getAttributes().get("head");
            if (head != null && acts.data().length == toks.length * heads * d) {
                int at = (pos * heads + Integer.parseInt(head)) * d;
                return Found.of(m, hook, Arrays.copyOfRange(acts.data(), at, at + d), node.modelLock());
            }
            if (acts.data().length != toks.length * d) return Found.missing(hook + " is not d_model wide per position");
            return Found.of(m, hook, Arrays.copyOfRange(acts.data(), pos * d, (pos + 1) * d), node.modelLock());
        } finally {
            node.modelLock().unlock();
        }
    }
}
