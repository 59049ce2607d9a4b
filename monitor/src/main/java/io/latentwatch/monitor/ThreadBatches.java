package io.latentwatch.monitor;

import java.util.ArrayList;
import java.util.List;

/**
 * The projection processors (one per task) that run on the current stream thread, so one drain can
 * project every task's pending samples together: one encoder matmul per (model, hook) for the whole
 * thread instead of one per task. With several partitions per instance this matters most when
 * traffic is light: each drain reads all of W_enc (d_in·d_sae floats) whatever its row count, and
 * per-task drains of a few rows each would read it once per task.
 *
 * <p>Only the computation is shared: each processor forwards its own results and deletes its own
 * buffer references in its own task (see {@link ProjectionProcessor}), so what commits with which
 * task's offsets is unchanged. Membership is per thread (a task's processor is only ever called on
 * the thread that owns the task); closed processors are pruned.
 */
final class ThreadBatches {
    private static final ThreadLocal<List<ProjectionProcessor>> MEMBERS = ThreadLocal.withInitial(ArrayList::new);

    private ThreadBatches() {}

    /** The open processors of this thread, {@code self} included. */
    static List<ProjectionProcessor> members(ProjectionProcessor self) {
        List<ProjectionProcessor> m = MEMBERS.get();
        m.removeIf(ProjectionProcessor::closed);
        if (!m.contains(self)) m.add(self);
        return m;
    }
}
