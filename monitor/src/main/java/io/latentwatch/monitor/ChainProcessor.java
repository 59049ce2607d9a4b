package io.latentwatch.monitor;

import io.latentwatch.monitor.audit.ChainHead;
import io.latentwatch.monitor.audit.HashChain;
import io.latentwatch.schema.Explanation;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Appends explanations to their partition's hash chain. It runs on the explanations-chain
 * repartition topic, which has as many partitions as the explanations topic and the same
 * partitioner, so task p alone writes explanations partition p. The chain head (sequence and last
 * hash) is kept in a changelogged store: under exactly-once the head and the records it links are
 * committed in one transaction, so after a crash or a move to another instance the chain resumes
 * exactly where the committed log ends.
 */
final class ChainProcessor implements Processor<String, Explanation, String, Explanation> {
    static final String HEAD = "head";
    private final String store;
    private ProcessorContext<String, Explanation> context;
    private KeyValueStore<String, String> heads;

    ChainProcessor(String store) { this.store = store; }

    @Override
    public void init(ProcessorContext<String, Explanation> context) {
        this.context = context;
        this.heads = context.getStateStore(store);
    }

    @Override
    public void process(Record<String, Explanation> record) {
        String stored = heads.get(HEAD);
        ChainHead head = stored == null ? null : ChainHead.parse(stored);
        long seq = head == null ? 0 : head.sequence() + 1;
        Explanation linked = HashChain.link(record.value(), head == null ? null : head.hash(), seq);
        heads.put(HEAD, new ChainHead(seq, linked.getHash()).encode());
        context.forward(record.withValue(linked));
    }
}
