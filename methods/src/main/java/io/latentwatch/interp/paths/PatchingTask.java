package io.latentwatch.interp.paths;

import java.util.List;

/** A behaviour to localise: (clean, reference) pairs and the metric that measures it. */
public record PatchingTask(String name, String description, List<PromptPair> pairs, Metric metric) {
    public PatchingTask {
        pairs = List.copyOf(pairs);
        if (pairs.isEmpty()) throw new IllegalArgumentException("task " + name + " has no prompt pairs");
        int len = pairs.get(0).clean().length;
        for (int i = 0; i < pairs.size(); i++)
            if (pairs.get(i).clean().length != len)
                throw new IllegalArgumentException("task " + name + ": pair " + i + " has " + pairs.get(i).clean().length
                        + " tokens, pair 0 has " + len + " (all prompts must have one length)");
    }
}
