package io.latentwatch.interp.paths;

import io.latentwatch.interp.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node of the computational graph that path patching works on (Goldowsky-Dill et al. 2023, §2): the
 * token (and position) embedding, one attention head, one MLP, or the logits. Every component except
 * the logits writes additively into the residual stream; every component except the embedding reads
 * from it. Written as {@code embed}, {@code L1H3} (layer 1, head 3), {@code mlp0}, {@code logits}.
 */
public record Component(Kind kind, int layer, int head) implements Comparable<Component> {
    public enum Kind { EMBED, HEAD, MLP, LOGITS }

    public static final Component EMBED = new Component(Kind.EMBED, -1, -1);
    public static final Component LOGITS = new Component(Kind.LOGITS, Integer.MAX_VALUE, -1);

    private static final Pattern HEAD = Pattern.compile("(?i)L(\\d+)H(\\d+)");
    private static final Pattern MLP = Pattern.compile("(?i)mlp(\\d+)");

    public static Component head(int layer, int head) { return new Component(Kind.HEAD, layer, head); }

    public static Component mlp(int layer) { return new Component(Kind.MLP, layer, -1); }

    /** Parses {@code embed}, {@code LxHy}, {@code mlpX} or {@code logits}. */
    public static Component parse(String s) {
        String t = s.trim();
        if (t.equalsIgnoreCase("embed")) return EMBED;
        if (t.equalsIgnoreCase("logits")) return LOGITS;
        Matcher m = HEAD.matcher(t);
        if (m.matches()) return head(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        m = MLP.matcher(t);
        if (m.matches()) return mlp(Integer.parseInt(m.group(1)));
        throw new IllegalArgumentException("unknown component '" + s + "': expected embed, LxHy (e.g. L1H3), mlpX or logits");
    }

    /** Throws when the component does not exist in a model of this shape. */
    public void checkIn(ModelConfig c) {
        if (kind == Kind.HEAD && (layer >= c.nLayers() || head >= c.nHeads()))
            throw new IllegalArgumentException("component " + this + " does not exist: the model has " + c.nLayers()
                    + " layers of " + c.nHeads() + " heads");
        if (kind == Kind.MLP && layer >= c.nLayers())
            throw new IllegalArgumentException("component " + this + " does not exist: the model has " + c.nLayers() + " layers");
    }

    /**
     * Execution order: embed, then per layer its heads then its MLP, then the logits. A sender must
     * come strictly before its receiver (a head reads resid_pre of its layer, an MLP resid_mid).
     */
    private int rank() {
        return switch (kind) {
            case EMBED -> 0;
            case HEAD -> 1 + layer * 2;
            case MLP -> 2 + layer * 2;
            case LOGITS -> Integer.MAX_VALUE;
        };
    }

    /** Whether this component's output is part of {@code receiver}'s input residual stream. */
    public boolean feeds(Component receiver) {
        return kind != Kind.LOGITS && receiver.kind != Kind.EMBED && rank() < receiver.rank();
    }

    /** The ports through which a receiver reads the residual stream: q, k, v for heads, in otherwise. */
    public List<Port> inputPorts() {
        return switch (kind) {
            case EMBED -> List.of();
            case HEAD -> List.of(Port.Q, Port.K, Port.V);
            case MLP, LOGITS -> List.of(Port.IN);
        };
    }

    /** Every component of a model in execution order (embed first, logits last). */
    public static List<Component> all(ModelConfig c) {
        List<Component> out = new ArrayList<>();
        out.add(EMBED);
        for (int l = 0; l < c.nLayers(); l++) {
            for (int h = 0; h < c.nHeads(); h++) out.add(head(l, h));
            out.add(mlp(l));
        }
        out.add(LOGITS);
        return out;
    }

    /** Every component that writes to {@code receiver}'s input, in execution order. */
    public static List<Component> senders(ModelConfig c, Component receiver) {
        List<Component> out = new ArrayList<>();
        for (Component s : all(c)) if (s.feeds(receiver)) out.add(s);
        return out;
    }

    @Override
    public int compareTo(Component o) {
        int r = Integer.compare(rank(), o.rank());
        return r != 0 ? r : Integer.compare(head, o.head);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case EMBED -> "embed";
            case HEAD -> "L" + layer + "H" + head;
            case MLP -> "mlp" + layer;
            case LOGITS -> "logits";
        };
    }
}
