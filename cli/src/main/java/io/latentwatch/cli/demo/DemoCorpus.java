package io.latentwatch.cli.demo;

import io.latentwatch.cli.traffic.PromptMix;
import io.latentwatch.trainer.ActivationModel;

import java.util.ArrayList;
import java.util.List;

/**
 * The demo trainer's reference corpus for the residual SAE: texts shaped like the node's normal
 * traffic, because the SAE's baseline (firing frequencies, reconstruction-error quantiles per token
 * position) is measured on a held-out share of it and the detectors compare live traffic with that.
 * Three in four texts are what a normal request becomes: an in-domain prompt plus the model's own
 * sampled continuation (same length and temperature as the traffic); the fourth is several in-domain
 * sentences, so positions beyond a request's length have reference data too.
 *
 * <p>Why the continuations matter: on zoo-small's {@code blocks.1.hook_resid_post} the error at
 * positions 7-12 has a p99 near 0.1 on concatenated sentences but near 0.75 on sampled continuations,
 * so with the previous corpus (four in five texts concatenated sentences) the per-position detector
 * fired on 10 of 100 held-out normal requests; with this one on 1% ({@code ReconErrorPositionTest}).
 */
public final class DemoCorpus {
    /**
     * Share of the corpus's prompts held out as the baseline's reference rows: enough for
     * {@link io.latentwatch.interp.sae.SaeBaseline#MIN_BUCKET_ROWS} rows per early position from 1000 texts.
     */
    public static final double VALIDATION_SHARE = 0.25;

    private DemoCorpus() {}

    /**
     * @param n           texts
     * @param maxTokens   continuation length (the traffic's max_tokens)
     * @param temperature sampling temperature of the continuations (the traffic's)
     */
    public static List<String> reference(ActivationModel am, PromptMix mix, int n, int maxTokens, float temperature, long seed) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (i % 4 == 3) {
                StringBuilder t = new StringBuilder(mix.normal().text());
                for (int j = 1 + (i % 3); j > 0; j--) t.append(' ').append(mix.normal().text());
                out.add(t.toString());
            } else {
                out.add(am.generate(mix.normal().text(), maxTokens, temperature, seed * 1000 + i));
            }
        }
        return out;
    }
}
