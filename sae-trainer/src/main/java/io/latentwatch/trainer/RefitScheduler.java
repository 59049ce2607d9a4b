package io.latentwatch.trainer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * {@code train schedule --every 6h --min-new-examples N}: every period, if at least N new examples
 * arrived since the last refit (a count supplied by the example source), run a refit. One refit at
 * a time (a single-threaded scheduler; a slow refit delays the next tick rather than overlapping).
 * A failing refit is logged and the current version stays in force.
 */
public final class RefitScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RefitScheduler.class);
    private final ScheduledExecutorService exec;
    private final Duration every;
    private final long minNewExamples;
    private final LongSupplier exampleCount;
    private final boolean cumulative;
    private final Callable<SaeRefit.Result> refit;
    private long countAtLastRefit;
    private volatile SaeRefit.Result last;
    private volatile Exception lastFailure;
    private volatile int runs;
    private ScheduledFuture<?> task;

    /** {@code exampleCount} is a running total of examples seen (e.g. lines of a file); new = total - total at the last refit. */
    public RefitScheduler(Duration every, long minNewExamples, LongSupplier exampleCount, Callable<SaeRefit.Result> refit) {
        this(every, minNewExamples, exampleCount, refit, true);
    }

    /**
     * A scheduler whose {@code newExamples} already counts only the examples not yet consumed (e.g.
     * a consumer group's lag on latentwatch.examples, which a successful refit commits).
     */
    public static RefitScheduler forFreshCount(Duration every, long minNewExamples, LongSupplier newExamples, Callable<SaeRefit.Result> refit) {
        return new RefitScheduler(every, minNewExamples, newExamples, refit, false);
    }

    private RefitScheduler(Duration every, long minNewExamples, LongSupplier exampleCount, Callable<SaeRefit.Result> refit, boolean cumulative) {
        this.cumulative = cumulative;
        if (every.isZero() || every.isNegative()) throw new IllegalArgumentException("--every must be positive, got " + every);
        this.exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sae-refit");
            t.setDaemon(true);
            return t;
        });
        this.every = every;
        this.minNewExamples = minNewExamples;
        this.exampleCount = exampleCount;
        this.refit = refit;
        this.countAtLastRefit = 0;
    }

    public RefitScheduler start(Duration initialDelay) {
        task = exec.scheduleWithFixedDelay(this::tick, initialDelay.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** One scheduled check (public for tests and for "run now"). */
    public synchronized void tick() {
        long count;
        try {
            count = exampleCount.getAsLong();
        } catch (RuntimeException e) {
            lastFailure = e;
            LOG.error("cannot count new examples; no refit this time", e);
            return;
        }
        long fresh = cumulative ? count - countAtLastRefit : count;
        if (fresh < minNewExamples) {
            LOG.info("refit skipped: {} new examples, need {}", fresh, minNewExamples);
            return;
        }
        try {
            runs++;
            SaeRefit.Result r = refit.call();
            last = r;
            countAtLastRefit = count;
            if (r.published()) LOG.info("refit published version {} ({})", r.version(), r.metrics());
            else LOG.info("refit candidate rejected: {}", r.reasons());
            lastFailure = null;
        } catch (Exception e) {
            lastFailure = e;
            LOG.error("refit failed; the current version stays in force", e);
        }
    }

    /** Parses "6h", "30m", "45s", "1d" or an ISO-8601 duration. */
    public static Duration parseDuration(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        if (t.startsWith("p")) return Duration.parse(s.toUpperCase(Locale.ROOT));
        if (t.length() < 2) throw new IllegalArgumentException("bad duration '" + s + "' (use e.g. 6h, 30m, 45s, 1d)");
        long n;
        try {
            n = Long.parseLong(t.substring(0, t.length() - 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad duration '" + s + "' (use e.g. 6h, 30m, 45s, 1d)");
        }
        return switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            case 'd' -> Duration.ofDays(n);
            default -> throw new IllegalArgumentException("bad duration '" + s + "' (use e.g. 6h, 30m, 45s, 1d)");
        };
    }

    public SaeRefit.Result lastResult() { return last; }

    public int runs() { return runs; }

    /** The error of the last refit attempt, or null when it completed (or none ran). */
    public Exception lastFailure() { return lastFailure; }

    @Override
    public void close() {
        if (task != null) task.cancel(false);
        exec.shutdownNow();
    }
}
