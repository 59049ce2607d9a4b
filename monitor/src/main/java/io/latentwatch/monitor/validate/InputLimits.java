package io.latentwatch.monitor.validate;

import org.apache.avro.SystemLimitException;

import java.lang.reflect.Method;

/**
 * What the monitor accepts from producers before it spends memory or state on a record.
 *
 * <ul>
 *   <li>{@code maxRecordBytes}: a record value longer than this is dead-lettered as
 *       {@link DeadLetterReason#OVERSIZED} without being decoded. It also caps every length Avro
 *       reads from the bytes ({@link #installAvroLimits}): Avro allocates an array, string or
 *       byte buffer of the length a record <em>claims</em> before reading it, so without a cap
 *       twenty hostile bytes claiming 10^9 token ids allocate gigabytes. No field of a record can
 *       be longer than the record, so the cap never refuses a well-formed one.</li>
 *   <li>{@code maxSeries}: distinct (model, hook) series one stream task keeps state for
 *       (baselines, recent alerts, lens baselines); samples of further series are dead-lettered as
 *       {@link DeadLetterReason#SERIES_LIMIT}, so a flood of made-up model ids or hook names
 *       cannot grow the state stores without bound.</li>
 * </ul>
 */
public record InputLimits(int maxRecordBytes, int maxSeries) {
    /** 8 MiB: eight times Kafka's default {@code message.max.bytes}; real samples are kilobytes to a few hundred. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 8 << 20;
    /** 4096 series per task: e.g. 64 models x 64 hooks on one partition. */
    public static final int DEFAULT_MAX_SERIES = 4096;

    public InputLimits {
        if (maxRecordBytes <= 0) throw new IllegalArgumentException("max record bytes must be > 0, got " + maxRecordBytes);
        if (maxSeries <= 0) throw new IllegalArgumentException("max series must be > 0, got " + maxSeries);
    }

    public static InputLimits defaults() { return new InputLimits(DEFAULT_MAX_RECORD_BYTES, DEFAULT_MAX_SERIES); }

    /**
     * Caps Avro's length limits (bytes, strings, collection items) at {@code maxRecordBytes} for
     * this JVM. Avro reads the limits from system properties once, when its
     * {@link SystemLimitException} class initialises; when that has already happened, its
     * package-private {@code resetLimits()} re-reads them. A limit already set lower is kept.
     */
    public void installAvroLimits() {
        String[] props = {SystemLimitException.MAX_BYTES_LENGTH_PROPERTY, SystemLimitException.MAX_STRING_LENGTH_PROPERTY,
                SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY};
        synchronized (InputLimits.class) {
            for (String p : props) {
                String old = System.getProperty(p);
                if (old == null || parseOr(old, Integer.MAX_VALUE) > maxRecordBytes) System.setProperty(p, Integer.toString(maxRecordBytes));
            }
            if (avroAccepts(maxRecordBytes + 1L)) {
                try {
                    Method reset = SystemLimitException.class.getDeclaredMethod("resetLimits");
                    reset.setAccessible(true);
                    reset.invoke(null);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new IllegalStateException("cannot apply Avro's length limits (" + e + "); start the JVM with -D"
                            + SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY + "=" + maxRecordBytes + " and the same for "
                            + SystemLimitException.MAX_BYTES_LENGTH_PROPERTY + " and " + SystemLimitException.MAX_STRING_LENGTH_PROPERTY, e);
                }
            }
        }
    }

    /** Whether Avro would currently read a collection of {@code items} items. */
    static boolean avroAccepts(long items) {
        try {
            SystemLimitException.checkMaxCollectionLength(items);
            return true;
        } catch (SystemLimitException e) {
            return false;
        }
    }

    private static int parseOr(String s, int fallback) {
        try { return Integer.parseUnsignedInt(s.trim()); } catch (NumberFormatException e) { return fallback; }
    }
}
