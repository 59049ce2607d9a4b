package io.latentwatch.monitor;

import io.latentwatch.monitor.audit.AuditKey;
import io.latentwatch.monitor.audit.ChainHead;
import io.latentwatch.monitor.audit.Checkpoints;
import io.latentwatch.schema.AuditCheckpoint;
import io.latentwatch.schema.Explanation;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Duration;
import java.time.Instant;

/**
 * Signs the chain head of its explanations partition every {@code interval} (wall clock, also
 * while no explanation arrives, so a missing recent checkpoint means something) and forwards it to
 * the audit-checkpoints topic. It runs in the same task as {@link ChainProcessor} (task p writes
 * explanations partition p) and reads the same head store: under exactly-once a checkpoint is
 * committed in the transaction of the records it covers, never ahead of them.
 */
final class CheckpointProcessor implements Processor<String, Explanation, String, AuditCheckpoint> {
    private final String store;
    private final String explanationsTopic;
    private final AuditKey key;
    private final Duration interval;
    private ProcessorContext<String, AuditCheckpoint> context;
    private KeyValueStore<String, String> heads;

    CheckpointProcessor(String store, String explanationsTopic, AuditKey key, Duration interval) {
        this.store = store;
        this.explanationsTopic = explanationsTopic;
        this.key = key;
        this.interval = interval;
    }

    @Override
    public void init(ProcessorContext<String, AuditCheckpoint> context) {
        this.context = context;
        this.heads = context.getStateStore(store);
        context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, this::sign);
    }

    @Override
    public void process(Record<String, Explanation> record) {
        // The head is read from the store at checkpoint time; nothing to do per record.
    }

    private void sign(long now) {
        int partition = context.taskId().partition();
        String head = heads.get(ChainProcessor.HEAD);
        // An empty chain (no explanation linked yet) is signed as sequence -1 without a hash.
        ChainHead h = head == null ? null : ChainHead.parse(head);
        AuditCheckpoint c = Checkpoints.sign(key, explanationsTopic, partition, h == null ? -1 : h.sequence(),
                h == null ? null : h.hash(), Instant.ofEpochMilli(now));
        context.forward(new Record<>(Integer.toString(partition), c, now));
    }
}
