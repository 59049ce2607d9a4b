package io.latentwatch.interp.zoo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fixed fact table of the two-hop task (issue 5's multi-hop Patchscope): every person lives in
 * a city, every city lies in a country (CITIES[i] in COUNTRIES[i/2]). The corpus states both hops for
 * everyone, but the composed fact "person is from country" only for {@link #TRAINING_SHARE} of the
 * persons; the others test whether the model composes the hops itself. Fixed seed: part of the
 * corpus definition, not of a training run.
 */
public final class FactTable {
    public static final long TABLE_SEED = 20240611L;
    public static final double TRAINING_SHARE = 0.5;

    private final Map<String, String> cityOf = new LinkedHashMap<>();
    private final Set<String> twoHopTraining = new TreeSet<>();

    private FactTable() {
        Random r = new Random(TABLE_SEED);
        List<String> persons = ZooVocabulary.PERSONS, cities = ZooVocabulary.CITIES;
        for (int i = 0; i < persons.size(); i++) cityOf.put(persons.get(i), cities.get((i + r.nextInt(cities.size())) % cities.size()));
        List<String> shuffled = new ArrayList<>(persons);
        Collections.shuffle(shuffled, r);
        twoHopTraining.addAll(shuffled.subList(0, (int) Math.round(TRAINING_SHARE * persons.size())));
    }

    private static final FactTable INSTANCE = new FactTable();

    public static FactTable get() { return INSTANCE; }

    public String cityOf(String person) {
        String c = cityOf.get(person);
        if (c == null) throw new IllegalArgumentException("fact table: unknown person '" + person + "'");
        return c;
    }

    public String countryOf(String city) {
        int i = ZooVocabulary.CITIES.indexOf(city);
        if (i < 0) throw new IllegalArgumentException("fact table: unknown city '" + city + "'");
        return ZooVocabulary.COUNTRIES.get(i / 2);
    }

    public boolean isTwoHopTraining(String person) { return twoHopTraining.contains(person); }

    public Map<String, String> cities() { return Collections.unmodifiableMap(cityOf); }

    public Set<String> twoHopTrainingPersons() { return Collections.unmodifiableSet(twoHopTraining); }
}
