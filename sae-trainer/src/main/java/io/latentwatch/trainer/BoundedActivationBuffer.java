package io.latentwatch.trainer;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads a source on a background thread into a bounded queue: the producer (model forward passes)
 * runs ahead of training by at most {@code capacity} rows, so memory stays bounded however large the
 * corpus is, and activation extraction overlaps the optimiser. Errors in the producer surface on
 * the consumer's next call.
 */
public final class BoundedActivationBuffer implements ActivationSource {
    private static final ActivationRow END = new ActivationRow(new float[0], null);
    private final ActivationSource source;
    private final BlockingQueue<ActivationRow> queue;
    private final Thread producer;
    private volatile Throwable failure;
    private volatile boolean closed;
    private boolean ended;

    public BoundedActivationBuffer(ActivationSource source, int capacity) {
        this.source = source;
        this.queue = new ArrayBlockingQueue<>(Math.max(1, capacity));
        this.producer = new Thread(this::produce, "activation-producer");
        producer.setDaemon(true);
        producer.start();
    }

    private void produce() {
        try {
            ActivationRow r;
            while (!closed && (r = source.next()) != null) {
                while (!closed && !queue.offer(r, 100, TimeUnit.MILLISECONDS)) { /* back-pressure */ }
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            try {
                while (!closed && !queue.offer(END, 100, TimeUnit.MILLISECONDS)) { /* wait for room */ }
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public int dIn() { return source.dIn(); }

    @Override
    public ActivationRow next() throws IOException {
        if (ended) return null;
        try {
            ActivationRow r = queue.take();
            if (r == END) {
                ended = true;
                if (failure != null) throw new IOException("activation source failed: " + failure.getMessage(), failure);
                return null;
            }
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for activations", e);
        }
    }

    /** Rows currently waiting (for tests and progress). */
    public int buffered() { return queue.size(); }

    @Override
    public void close() throws IOException {
        closed = true;
        producer.interrupt();
        try {
            producer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        source.close();
    }
}
