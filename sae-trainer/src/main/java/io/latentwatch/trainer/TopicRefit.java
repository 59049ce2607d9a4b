package io.latentwatch.trainer;

import io.latentwatch.common.ArtifactStore;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One refit cycle from a topic: take the {@link TopicSlice} of records the trainer's consumer group
 * has not consumed (at most {@code maxRecords}), train and judge a candidate on it
 * ({@link SaeRefit}: gates, atomic artifacts, SaeVersion), and only when that completed (published
 * or rejected) commit the slice. A crash or error leaves the offsets where they were, so the same
 * fresh examples feed the next attempt. An empty slice trains nothing.
 *
 * <p>The slice's activations are spilled to disk on the first epoch ({@link SpilledEpochs}).
 *
 * <p>The consumer group is the trainer's cursor: one group per model and hook
 * ({@link #groupId(String, String)}), so several SAEs learn from the same example stream.
 */
public final class TopicRefit implements Callable<SaeRefit.Result> {
    private static final Logger LOG = LoggerFactory.getLogger(TopicRefit.class);
    private final Map<String, ?> consumerConfig;
    private final String topic;
    private final String groupId;
    private final long maxRecords;
    private final Function<TopicSlice, ActivationSource> sources;
    private final Function<Supplier<ActivationSource>, Callable<SaeRefit.Result>> refits;
    private volatile TopicSlice lastSlice;
    private Path spillDir = Path.of(System.getProperty("java.io.tmpdir"));

    /**
     * @param sources opens one reader of the slice as activations (called once per epoch)
     * @param refits  builds the refit for those activations (e.g. {@code s -> new SaeRefit(id, SaeTrainJob.of(cfg, opt, s), ...)})
     */
    public TopicRefit(Map<String, ?> consumerConfig, String topic, String groupId, long maxRecords,
                      Function<TopicSlice, ActivationSource> sources, Function<Supplier<ActivationSource>, Callable<SaeRefit.Result>> refits) {
        this.consumerConfig = Map.copyOf(consumerConfig);
        this.topic = Objects.requireNonNull(topic, "topic");
        this.groupId = Objects.requireNonNull(groupId, "groupId");
        if (maxRecords < 1) throw new IllegalArgumentException("maxRecords must be >= 1, got " + maxRecords);
        this.maxRecords = maxRecords;
        this.sources = Objects.requireNonNull(sources, "sources");
        this.refits = Objects.requireNonNull(refits, "refits");
    }

    /** Where the activations of a refit are spilled for later epochs (default: java.io.tmpdir). */
    public TopicRefit withSpillDir(Path dir) {
        this.spillDir = dir;
        return this;
    }

    /** The trainer's consumer group for one model and hook. */
    public static String groupId(String modelId, String hook) {
        return "latentwatch-sae-trainer." + ArtifactStore.safe(modelId) + "." + ArtifactStore.safe(hook);
    }

    /** Records not yet consumed by the group (at most {@code cap}): the {@code --min-new-examples} count. */
    public long pending(long cap) {
        return TopicSlice.pending(consumerConfig, topic, groupId, cap);
    }

    @Override
    public SaeRefit.Result call() throws Exception {
        TopicSlice slice = TopicSlice.snapshot(consumerConfig, topic, groupId, maxRecords);
        lastSlice = slice;
        if (slice.isEmpty()) {
            return new SaeRefit.Result(false, null, List.of("no new records on " + topic + " for group " + groupId), Map.of());
        }
        LOG.info("refit from {}", slice);
        SaeRefit.Result r;
        // One read of the topic (and one forward pass per example) per refit; later epochs from disk.
        try (SpilledEpochs epochs = new SpilledEpochs(() -> sources.apply(slice), spillDir)) {
            r = refits.apply(epochs).call();
        }
        slice.commit();
        return r;
    }

    /** The slice the last cycle read (null before the first). */
    public TopicSlice lastSlice() { return lastSlice; }
}
