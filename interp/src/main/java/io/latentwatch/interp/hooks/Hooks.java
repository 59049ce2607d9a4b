package io.latentwatch.interp.hooks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A set of hook functions for ONE forward or generation call. Hooks are scoped to the call that receives
 * them, so nothing stays registered on the model afterwards, whether the call returns or throws.
 * Several functions on one hook run in the order added, each seeing the previous one's output.
 * <p>Builders for the usual interventions: {@link #read}, {@link #replace} (activation patching),
 * {@link #addVector} (steering), {@link #zeroAblate}; each optionally limited by a {@link Selection}
 * of absolute positions and heads.
 */
public final class Hooks {
    private final Map<String, List<HookFn>> fns = new LinkedHashMap<>();

    public static Hooks create() { return new Hooks(); }

    public static Hooks none() { return new Hooks(); }

    /** Adds a raw hook function. */
    public Hooks add(String name, HookFn fn) {
        fns.computeIfAbsent(name, k -> new ArrayList<>()).add(fn);
        return this;
    }

    /** Adds all of {@code other}'s functions after this set's. */
    public Hooks addAll(Hooks other) {
        other.fns.forEach((k, v) -> fns.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
        return this;
    }

    public boolean has(String name) { return fns.containsKey(name); }

    public Set<String> names() { return Collections.unmodifiableSet(fns.keySet()); }

    public boolean isEmpty() { return fns.isEmpty(); }

    /** Runs the functions registered on {@code name}; returns the (possibly replaced) activation. */
    public NDArray fire(String name, NDArray act, HookContext ctx) {
        List<HookFn> list = fns.get(name);
        if (list == null) return act;
        NDArray x = act;
        for (HookFn f : list) {
            NDArray y = f.apply(x, ctx);
            if (y == null) throw new IllegalStateException("hook on '" + name + "' returned null (return the activation to keep it)");
            if (!y.getShape().equals(x.getShape())) {
                throw new IllegalStateException("hook on '" + name + "' changed the shape " + x.getShape() + " -> " + y.getShape());
            }
            x = y;
        }
        return x;
    }

    /** Copies the activation out (batch axis dropped for single-prompt calls) and hands it to {@code consumer}. */
    public Hooks read(String name, BiConsumer<Tensor, HookContext> consumer) {
        return add(name, (act, ctx) -> {
            consumer.accept(toTensor(act, ctx.batched()), ctx);
            return act;
        });
    }

    /**
     * Activation patching: at the selected positions/heads the activation takes {@code value}'s entries.
     * {@code value} is shaped like the activation of one prompt ([pos, ...], e.g. from an
     * {@link ActivationCache}) or of the whole batch ([batch, pos, ...]); its position axis is indexed by
     * absolute position, so a value cached from a full forward also patches during generation. Positions
     * beyond the value's length are left alone.
     */
    public Hooks replace(String name, Tensor value, Selection sel) {
        return add(name, (act, ctx) -> {
            Aligned a = align(value, act, ctx);
            NDArray mask = mask(act, ctx, sel, a.validPositions);
            NDArray v = ctx.manager().create(a.data, act.getShape());
            return NDArrays.where(mask, v, act);
        });
    }

    public Hooks replace(String name, Tensor value) {
        return replace(name, value, Selection.ALL);
    }

    /**
     * Adds {@code delta} (shaped like one position's activation: [d_model], or [n_heads, d_head] for per-head
     * hooks) at the selected positions (and heads): steering vectors, feature edits.
     */
    public Hooks addVector(String name, Tensor delta, Selection sel) {
        if (HookName.isAttentionMap(name)) throw new IllegalArgumentException("addVector does not apply to attention maps (" + name + ")");
        return add(name, (act, ctx) -> {
            long[] s = act.getShape().getShape();
            long[] tail = Arrays.copyOfRange(s, 2, s.length);
            if (!Arrays.equals(tail, toLong(delta.shape()))) {
                throw new IllegalArgumentException("delta for '" + name + "' has shape " + Arrays.toString(delta.shape())
                        + " but one position of the activation is " + Arrays.toString(tail));
            }
            NDArray d = ctx.manager().create(delta.data(), new Shape(tail));
            NDArray mask = mask(act, ctx, sel, Integer.MAX_VALUE);
            return NDArrays.where(mask, act.add(d), act);
        });
    }

    /** Sets the selected positions/heads of the activation to zero. */
    public Hooks zeroAblate(String name, Selection sel) {
        return add(name, (act, ctx) -> {
            NDArray mask = mask(act, ctx, sel, Integer.MAX_VALUE);
            return NDArrays.where(mask, act.zerosLike(), act);
        });
    }

    public Hooks zeroAblate(String name) {
        return zeroAblate(name, Selection.ALL);
    }

    // ---------------------------------------------------------------------------------------------

    /** Copies an NDArray to a Tensor, dropping a batch axis of size 1 when the call was not batched. */
    public static Tensor toTensor(NDArray act, boolean batched) {
        long[] s = act.getShape().getShape();
        int from = batched ? 0 : 1;
        if (!batched && s[0] != 1) throw new IllegalStateException("unbatched activation with batch size " + s[0]);
        int[] shape = new int[s.length - from];
        for (int i = from; i < s.length; i++) shape[i - from] = Math.toIntExact(s[i]);
        return new Tensor(act.toType(DataType.FLOAT32, false).toFloatArray(), shape);
    }

    private static long[] toLong(int[] a) {
        long[] o = new long[a.length];
        for (int i = 0; i < a.length; i++) o[i] = a[i];
        return o;
    }

    /** Boolean mask broadcastable to {@code act}: true at selected (absolute) positions < limit and selected heads. */
    static NDArray mask(NDArray act, HookContext ctx, Selection sel, int limit) {
        long[] s = act.getShape().getShape();
        int pa = ctx.positionAxis(), ha = ctx.headAxis();
        int t = (int) s[pa];
        int h = ha >= 0 ? (int) s[ha] : 1;
        boolean[] m = new boolean[t * h];
        for (int i = 0; i < t; i++) {
            int p = ctx.absolutePosition(i);
            if (p >= limit || !sel.hasPosition(p)) continue;
            for (int j = 0; j < h; j++) {
                if (ha < 0 || sel.hasHead(j)) {
                    // layout of m follows the axis order: [h][t] when the head axis comes first
                    m[ha >= 0 && ha < pa ? j * t + i : i * h + j] = true;
                }
            }
        }
        long[] shape = new long[s.length];
        Arrays.fill(shape, 1);
        shape[pa] = t;
        if (ha >= 0) shape[ha] = h;
        return ctx.manager().create(m, new Shape(shape)).broadcast(act.getShape());
    }

    private record Aligned(float[] data, int validPositions) {}

    /**
     * Builds a float array shaped like {@code act} from {@code value} indexed by absolute position
     * (and, for attention maps, truncated/zero-padded along the key axis).
     */
    static Aligned align(Tensor value, NDArray act, HookContext ctx) {
        long[] s = act.getShape().getShape();
        int rank = s.length;
        int[] vs = value.shape();
        boolean perRow = vs.length == rank;
        if (!perRow && vs.length != rank - 1) {
            throw new IllegalArgumentException("patch value for '" + ctx.name() + "' has shape " + Arrays.toString(vs)
                    + " but the activation is " + Arrays.toString(s) + " (batch first)");
        }
        int batch = (int) s[0];
        if (perRow && vs[0] != batch) {
            throw new IllegalArgumentException("patch value for '" + ctx.name() + "' has batch " + vs[0] + " but the run has " + batch);
        }
        int off = perRow ? 1 : 0; // index of the value's first non-batch axis
        float[] out = new float[(int) Tensor.numel(toInt(s))];
        float[] src = value.data();
        if (HookName.isAttentionMap(ctx.name())) {
            int heads = (int) s[1], tq = (int) s[2], tk = (int) s[3];
            int vh = vs[off], vq = vs[off + 1], vk = vs[off + 2];
            if (vh != heads) throw new IllegalArgumentException("patch value for '" + ctx.name() + "' has " + vh + " heads, activation " + heads);
            int kk = Math.min(tk, vk);
            for (int b = 0; b < batch; b++) {
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < tq; i++) {
                        int p = ctx.absolutePosition(i);
                        if (p >= vq) continue;
                        int srcBase = (((perRow ? b : 0) * vh + h) * vq + p) * vk;
                        int dstBase = ((b * heads + h) * tq + i) * tk;
                        System.arraycopy(src, srcBase, out, dstBase, kk);
                    }
                }
            }
            return new Aligned(out, vq);
        }
        long inner = 1;
        for (int i = 2; i < rank; i++) {
            if (s[i] != vs[off + i - 1]) {
                throw new IllegalArgumentException("patch value for '" + ctx.name() + "' has shape " + Arrays.toString(vs)
                        + " but the activation is " + Arrays.toString(s) + " (batch first)");
            }
            inner *= s[i];
        }
        int t = (int) s[1], vt = vs[off];
        int w = (int) inner;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < t; i++) {
                int p = ctx.absolutePosition(i);
                if (p >= vt) continue;
                System.arraycopy(src, ((perRow ? b : 0) * vt + p) * w, out, (b * t + i) * w, w);
            }
        }
        return new Aligned(out, vt);
    }

    private static int[] toInt(long[] s) {
        int[] o = new int[s.length];
        for (int i = 0; i < s.length; i++) o[i] = Math.toIntExact(s[i]);
        return o;
    }
}
