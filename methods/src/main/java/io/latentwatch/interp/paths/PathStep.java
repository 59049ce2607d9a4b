package io.latentwatch.interp.paths;

/** One element of a path: a component and the input it is entered through (null for the path's first component). */
public record PathStep(Component component, Port port) {
    @Override
    public String toString() {
        return port == null || port == Port.IN ? component.toString() : component + "." + port.label();
    }
}
