package io.latentwatch.monitor.detect;

import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.HeadCode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Matches circuit signatures (O'Neill & Bui 2024, arXiv 2405.12522) against one request's head
 * codes. The code of a head is the argmax latent of the circuit SAE applied to that head's hook_z
 * output; a signature lists, per head, the codes that occurred only on positive examples, and a
 * request matches when at least {@code minMatchedHeads} of the signature's heads show one of their
 * codes. Heads whose layer was not sampled count as not matched.
 */
public final class CircuitMatcher {
    public static final String NAME = "circuit";

    public record Match(String circuit, int matchedHeads, int heads, int required, List<String> matched) {}

    private CircuitMatcher() {}

    /**
     * @param codes per layer, the code of each head (index = head), as sampled in this request
     */
    public static List<Match> match(List<CircuitSignature> signatures, Map<Integer, int[]> codes) {
        List<Match> out = new ArrayList<>();
        for (CircuitSignature s : signatures) {
            int hit = 0;
            List<String> which = new ArrayList<>();
            for (HeadCode h : s.getHeads()) {
                int[] layer = codes.get(h.getLayer());
                if (layer == null || h.getHead() < 0 || h.getHead() >= layer.length) continue;
                if (h.getCodes().contains(layer[h.getHead()])) {
                    hit++;
                    which.add("L" + h.getLayer() + "H" + h.getHead() + "=" + layer[h.getHead()]);
                }
            }
            int required = Math.max(1, s.getMinMatchedHeads());
            if (hit >= required) out.add(new Match(s.getName(), hit, s.getHeads().size(), required, which));
        }
        return out;
    }
}
