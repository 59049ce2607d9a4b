package io.latentwatch.monitor.explain;

import io.latentwatch.schema.Alert;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded pool for {@link RepresentationReader} calls: {@code workers} threads and a queue of
 * {@code queue} tasks. {@link #submit} never blocks: when the queue is full it returns null and the
 * explanation says "saturated" — the stream never waits for the model.
 */
public final class ExplanationWorker implements AutoCloseable {
    private final RepresentationReader reader;
    private final ThreadPoolExecutor pool;

    public ExplanationWorker(RepresentationReader reader, int workers, int queue) {
        this.reader = reader;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue), r -> {
            Thread t = new Thread(r, "latentwatch-explain-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    }

    /** The reading's future, or null when the worker is saturated. */
    public Future<RepresentationReader.Reading> submit(Alert alert) {
        try {
            return pool.submit(() -> reader.read(alert));
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
