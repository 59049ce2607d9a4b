package io.latentwatch.interp.paths;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.model.ModelConfig;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Proportion explained by each single path sender -> receiver.port -> logits, per input port. */
public record SweepResult(Component receiver, List<Port> ports, List<Component> senders, PatchingResult[][] results,
                          ModelConfig config) {

    /** [layer][head] proportions explained through one port (NaN where the head does not feed the receiver). */
    public double[][] headMatrix(Port port) {
        int pi = ports.indexOf(port);
        double[][] m = new double[config.nLayers()][config.nHeads()];
        for (double[] row : m) java.util.Arrays.fill(row, Double.NaN);
        for (int si = 0; si < senders.size(); si++) {
            Component s = senders.get(si);
            if (s.kind() == Component.Kind.HEAD) m[s.layer()][s.head()] = results[pi][si].proportionExplained();
        }
        return m;
    }

    public record Entry(Component sender, Port port, PatchingResult result) {}

    /** Every (sender, port) ordered by |proportion explained|, largest first. */
    public List<Entry> ranked() {
        List<Entry> out = new ArrayList<>();
        for (int pi = 0; pi < ports.size(); pi++)
            for (int si = 0; si < senders.size(); si++) out.add(new Entry(senders.get(si), ports.get(pi), results[pi][si]));
        out.sort(Comparator.comparingDouble((Entry e) -> -Math.abs(e.result().proportionExplained())));
        return out;
    }

    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        o.put("receiver", receiver.toString());
        ArrayNode a = o.putArray("paths");
        for (Entry e : ranked()) {
            ObjectNode r = a.addObject();
            r.put("sender", e.sender().toString());
            r.put("port", e.port().label());
            r.put("path", e.result().hypothesis().name());
            r.put("proportion_explained", e.result().proportionExplained());
            r.put("ci95_low", e.result().ciLow());
            r.put("ci95_high", e.result().ciHigh());
            r.put("effect", e.result().effect());
        }
        return o;
    }
}
