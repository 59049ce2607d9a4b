package io.latentwatch.interp.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helper that makes use-after-free of DJL's Java-owned tensor memory deterministic. DJL PyTorch creates
 * arrays from Java values ({@code create(float[])}, and the 0-d tensor behind every {@code mul(Number)}) with
 * {@code torch::from_blob} over a direct ByteBuffer that only the Java NDArray keeps alive; once that NDArray is
 * closed or unreachable, the GC's cleaner frees the memory while PyTorch may still hold the tensor (an autograd
 * node's saved operand). Normally that shows up only when a GC happens to run at the wrong moment; call
 * {@link #clobber()} between forward and backward and it always does: it collects, lets the cleaner free
 * what is unreachable, and refills small freed blocks with 0x7a7a7a7a (3.2e35 as a float32).
 */
public final class FreedJavaBuffers {
    private FreedJavaBuffers() {}

    /** Returns the filler buffers: keep the list reachable until the backward pass has run. */
    public static List<ByteBuffer> clobber() throws InterruptedException {
        System.gc();
        Thread.sleep(50); // the JDK's Common-Cleaner thread frees the direct buffers
        System.gc();
        Thread.sleep(20);
        List<ByteBuffer> fill = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4 + 4 * (i % 4));
            while (b.remaining() >= 4) b.putInt(0x7a7a7a7a);
            fill.add(b);
        }
        return fill;
    }
}
