package io.latentwatch.interp.paths;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.model.ModelConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Proportion explained by each single path sender -> receiver.port -> logits, per input port; for a conditional sweep
 * ({@code baseProportion[port] != 0}) the results include the port's base hypothesis and {@link #gain} subtracts it.
 */
public record SweepResult(Component receiver, List<Port> ports, List<Component> senders, PatchingResult[][] results,
                          double[] baseProportion, ModelConfig config) {

    /** Proportion explained by path (and base) minus the base's proportion. */
    public double gain(int portIndex, int senderIndex) {
        return results[portIndex][senderIndex].proportionExplained() - baseProportion[portIndex];
    }


    /** [layer][head] proportions explained through one port (NaN where the head does not feed the receiver). */
    public double[][] headMatrix(Port port) {
        int pi = ports.indexOf(port);
        double[][] m = new double[config.nLayers()][config.nHeads()];
        for (double[] row : m) Arrays.fill(row, Double.NaN);
        for (int si = 0; si < senders.size(); si++) {
            Component s = senders.get(si);
            if (s.kind() == Component.Kind.HEAD) m[s.layer()][s.head()] = gain(pi, si);
        }
        return m;
    }

    public record Entry(Component sender, Port port, PatchingResult result, double gain) {}

    /** Every (sender, port) ordered by |gain| (= |proportion explained| without a base), largest first. */
    public List<Entry> ranked() {
        List<Entry> out = new ArrayList<>();
        for (int pi = 0; pi < ports.size(); pi++)
            for (int si = 0; si < senders.size(); si++) out.add(new Entry(senders.get(si), ports.get(pi), results[pi][si], gain(pi, si)));
        out.sort(Comparator.comparingDouble((Entry e) -> -Math.abs(e.gain())));
        return out;
    }

    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        o.put("receiver", receiver.toString());
        ArrayNode b = o.putArray("base_proportion_per_port");
        for (double v : baseProportion) b.add(v);
        ArrayNode a = o.putArray("paths");
        for (Entry e : ranked()) {
            ObjectNode r = a.addObject();
            r.put("sender", e.sender().toString());
            r.put("port", e.port().label());
            r.put("path", e.result().hypothesis().name());
            r.put("proportion_explained", e.result().proportionExplained());
            r.put("gain_over_base", e.gain());
            r.put("ci95_low", e.result().ciLow());
            r.put("ci95_high", e.result().ciHigh());
            r.put("effect", e.result().effect());
        }
        return o;
    }
}
