package io.latentwatch.monitor.explain;

import io.latentwatch.monitor.TopLatents;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.monitor.sae.LoadedSae;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.Alert;

import java.util.Map;

/**
 * The flagged representation rebuilt from the alert's top latents with the SAE version that judged
 * it: x̂ = b_dec + Σ a_i·W_dec[i]. The raw hidden state is not kept on the alerts topic (hidden
 * states can be inverted to prompts), so this is what a monitor on its own can read.
 */
public final class SaeReconstruction implements RepresentationSource {
    private final Map<String, HookedTransformer> models;
    private final SaeRegistry registry;

    public SaeReconstruction(Map<String, HookedTransformer> models, SaeRegistry registry) {
        this.models = Map.copyOf(models);
        this.registry = registry;
    }

    @Override
    public Found find(Alert alert) {
        HookedTransformer m = models.get(alert.getModelId());
        if (m == null) return Found.missing("no weights of model " + alert.getModelId() + " are loaded in this monitor (loaded: " + models.keySet() + ")");
        TopLatents tl = TopLatents.of(alert);
        if (tl.isEmpty() || alert.getSaeVersion() == null) {
            return Found.missing("the " + alert.getDetector() + " alert carries no SAE latents to rebuild the representation from");
        }
        float[] x = reconstruct(alert, tl);
        if (x == null) return Found.missing("SAE version " + alert.getSaeVersion() + " is no longer held by this monitor");
        if (x.length != m.config().dModel()) {
            return Found.missing("the SAE's width " + x.length + " is not the model's d_model " + m.config().dModel());
        }
        return Found.of(m, alert.getHook(), x, null);
    }

    private float[] reconstruct(Alert a, TopLatents topLatents) {
        LoadedSae sae = registry.acquire(a.getModelId(), a.getHook(), a.getSaeVersion());
        if (sae == null) return null; // swapped out of the history since: its dictionary is gone
        try {
            float[] x = sae.sae().decoderBias(); // not weights(): that copies W_enc and W_dec too
            for (TopLatents.Entry l : topLatents.entries()) {
                float[] row = sae.sae().decoderRow(l.latent());
                float v = (float) l.activation();
                for (int i = 0; i < x.length; i++) x[i] += v * row[i];
            }
            return x;
        } finally {
            sae.release();
        }
    }
}
