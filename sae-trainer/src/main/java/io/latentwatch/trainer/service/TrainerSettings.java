package io.latentwatch.trainer.service;

import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.trainer.QualityGates;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Everything {@link TrainerService} runs on.
 *
 * @param kafka      Kafka client properties (at least bootstrap.servers) for its consumers and its version producer
 * @param sae        the scheduled SAE refit, or null for none
 * @param circuit    the scheduled circuit-signature refit, or null for none
 * @param reannounce re-announce every version in force at start, even those the topic still has (those it lacks are
 *                   always re-announced)
 * @param healthPort port of {@code /health} (0: any free port; negative: none)
 */
public record TrainerSettings(Path model, Path tokenizer, Path artifacts, Map<String, Object> kafka, LatentwatchSerdes serdes,
                              Topics topics, SaeSchedule sae, CircuitSchedule circuit, boolean reannounce, String healthHost,
                              int healthPort) {

    /**
     * An SAE refit every {@code every} when at least {@code minNew} records arrived.
     *
     * @param source   {@code examples} (LabeledExamples run through the model) or {@code hidden-states} (sampled traffic)
     * @param config   the SAE for the loaded model's d_model and id (its hook_name is the hook trained)
     * @param validationShare share of prompts held out for the metrics and the baseline
     */
    public record SaeSchedule(String source, SaeShape config, SaeTrainingOptions options, double validationShare, QualityGates gates,
                              Duration every, long minNew, long maxRecords) {
        public SaeSchedule {
            if (!source.equals("examples") && !source.equals("hidden-states")) {
                throw new IllegalArgumentException("SAE source must be examples or hidden-states, got '" + source + "'");
            }
        }
    }

    /** The SAE to train, once the model's width and id are known. */
    @FunctionalInterface
    public interface SaeShape {
        SaeConfig forModel(int dModel, String modelId);
    }

    /**
     * A circuit-signature refit of {@code task} every {@code every}, from at least {@code minPerLabel} positive and
     * negative examples of it, over the heads of attention layer {@code layer}.
     */
    public record CircuitSchedule(String task, int layer, QualityGates gates, Duration every, int minPerLabel, long maxRecords, long seed) {}
}
