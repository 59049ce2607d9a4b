package io.latentwatch.serde;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;

import io.apicurio.registry.resolver.client.RegistryArtifactReference;
import io.apicurio.registry.resolver.client.RegistryClientFacade;
import io.apicurio.registry.resolver.client.RegistryVersionCoordinates;
import io.apicurio.registry.resolver.strategy.ArtifactReference;

/**
 * An in-memory schema registry shared by the whole JVM, behind Apicurio's
 * {@link RegistryClientFacade}: the seam through which Apicurio's {@code DefaultSchemaResolver}
 * talks to a registry server. Plugging this store in there (instead of the HTTP client) keeps
 * every other part of Apicurio's serde — schema extraction, auto-registration, caching, the
 * Confluent wire format written by {@code Default4ByteIdHandler} — exactly as it runs against a
 * real registry; only the transport is replaced.
 *
 * <p>The model follows Apicurio 3: artifacts (group + artifact id; with Apicurio's
 * {@code TopicIdStrategy} the artifact id is the Confluent subject {@code <topic>-value}) have
 * versions "1", "2", ...; each version has a {@code globalId} and points to a {@code contentId}.
 * The same schema text always gets the same contentId, in any subject, as in Apicurio and
 * Confluent — contentId is the id the Confluent-compatible API serves and the one written into
 * the record bytes. Ids start at 1 and only grow; nothing is ever deleted.
 *
 * <p>Thread-safe: every method synchronises on the store (registrations are rare, lookups are
 * cached by the resolver).
 */
public final class EmbeddedSchemaRegistry implements RegistryClientFacade {

    /** Apicurio's name for the group used when a strategy gives none. */
    public static final String DEFAULT_GROUP = "default";

    private static final EmbeddedSchemaRegistry SHARED = new EmbeddedSchemaRegistry();

    /** One registered version of one artifact. */
    public record Version(long globalId, long contentId, String groupId, String artifactId, String version) {
        RegistryVersionCoordinates coordinates() {
            return RegistryVersionCoordinates.create(globalId, contentId, groupId, artifactId, version);
        }
    }

    private final Map<String, Long> contentIdByText = new HashMap<>();
    private final Map<Long, String> textByContentId = new HashMap<>();
    private final Map<String, Long> contentIdByHash = new HashMap<>();
    private final Map<Long, List<RegistryArtifactReference>> referencesByContentId = new HashMap<>();
    private final Map<String, List<Version>> versionsByArtifact = new LinkedHashMap<>();
    private final Map<Long, Version> versionByGlobalId = new HashMap<>();
    private long nextContentId = 1;
    private long nextGlobalId = 1;

    /** A fresh, empty store (tests that need isolation); most code wants {@link #shared()}. */
    public EmbeddedSchemaRegistry() {
    }

    /** The JVM-wide store that {@code LatentwatchSerdes.forRegistry("embedded")} uses. */
    public static EmbeddedSchemaRegistry shared() {
        return SHARED;
    }

    // ---- registration -------------------------------------------------------------------

    @Override
    public synchronized RegistryVersionCoordinates createSchema(String artifactType, String groupId, String artifactId,
            String version, String autoCreateBehavior, boolean canonical, String schemaString,
            Set<RegistryArtifactReference> references) {
        if (artifactId == null || artifactId.isBlank()) {
            throw new IllegalArgumentException("Cannot register a schema without an artifact id (subject)");
        }
        if (schemaString == null) {
            throw new IllegalArgumentException("Cannot register a null schema under " + artifactId);
        }
        String group = group(groupId);
        String key = key(group, artifactId);
        long contentId = contentIdFor(schemaString, references);
        List<Version> versions = versionsByArtifact.get(key);
        if (versions != null) {
            String behaviour = autoCreateBehavior == null ? "FIND_OR_CREATE_VERSION" : autoCreateBehavior;
            switch (behaviour) {
                case "FAIL" -> throw new IllegalStateException("Artifact " + key + " already exists (if-exists=FAIL)");
                case "FIND_OR_CREATE_VERSION" -> {
                    Optional<Version> same = versions.stream().filter(v -> v.contentId() == contentId)
                            .max(Comparator.comparingLong(Version::globalId));
                    if (same.isPresent()) {
                        return same.get().coordinates();
                    }
                }
                case "CREATE_VERSION" -> { }
                default -> throw new IllegalArgumentException("Unknown if-exists behaviour '" + behaviour
                        + "' (expected FAIL, CREATE_VERSION or FIND_OR_CREATE_VERSION)");
            }
        }
        List<Version> list = versionsByArtifact.computeIfAbsent(key, k -> new ArrayList<>());
        String v = version != null ? version : Integer.toString(list.size() + 1);
        if (list.stream().anyMatch(x -> x.version().equals(v))) {
            throw new IllegalStateException("Version " + v + " of " + key + " already exists");
        }
        Version created = new Version(nextGlobalId++, contentId, group, artifactId, v);
        list.add(created);
        versionByGlobalId.put(created.globalId(), created);
        return created.coordinates();
    }

    private long contentIdFor(String text, Set<RegistryArtifactReference> references) {
        Long id = contentIdByText.get(text);
        if (id == null) {
            id = nextContentId++;
            contentIdByText.put(text, id);
            textByContentId.put(id, text);
            contentIdByHash.put(sha256(text), id);
            referencesByContentId.put(id, references == null ? List.of() : List.copyOf(references));
        }
        return id;
    }

    // ---- lookups ------------------------------------------------------------------------

    @Override
    public synchronized String getSchemaByContentId(Long contentId) {
        String text = contentId == null ? null : textByContentId.get(contentId);
        if (text == null) {
            throw new NoSuchElementException("No schema with contentId " + contentId + " in the embedded registry");
        }
        return text;
    }

    @Override
    public synchronized String getSchemaByGlobalId(long globalId, boolean dereferenced) {
        return getSchemaByContentId(byGlobalId(globalId).contentId());
    }

    @Override
    public synchronized String getSchemaByGAV(String groupId, String artifactId, String version) {
        return getSchemaByContentId(byGav(groupId, artifactId, version).contentId());
    }

    @Override
    public synchronized String getSchemaByContentHash(String contentHash) {
        Long id = contentIdByHash.get(contentHash);
        if (id == null) {
            throw new NoSuchElementException("No schema with content hash " + contentHash + " in the embedded registry");
        }
        return textByContentId.get(id);
    }

    @Override
    public synchronized List<RegistryArtifactReference> getReferencesByContentId(long contentId) {
        getSchemaByContentId(contentId);
        return referencesByContentId.get(contentId);
    }

    @Override
    public synchronized List<RegistryArtifactReference> getReferencesByGlobalId(long globalId) {
        return referencesByContentId.get(byGlobalId(globalId).contentId());
    }

    @Override
    public synchronized List<RegistryArtifactReference> getReferencesByGAV(String groupId, String artifactId, String version) {
        return referencesByContentId.get(byGav(groupId, artifactId, version).contentId());
    }

    @Override
    public synchronized List<RegistryArtifactReference> getReferencesByContentHash(String contentHash) {
        Long id = contentIdByHash.get(contentHash);
        if (id == null) {
            throw new NoSuchElementException("No schema with content hash " + contentHash + " in the embedded registry");
        }
        return referencesByContentId.get(id);
    }

    @Override
    public synchronized List<RegistryVersionCoordinates> searchVersionsByContent(String schemaString, String artifactType,
            ArtifactReference reference, boolean canonical) {
        Long contentId = contentIdByText.get(schemaString);
        List<Version> versions = versionsByArtifact.getOrDefault(key(group(reference.getGroupId()), reference.getArtifactId()), List.of());
        return versions.stream()
                .filter(v -> contentId != null && v.contentId() == contentId)
                .sorted(Comparator.comparingLong(Version::globalId).reversed())
                .map(Version::coordinates)
                .toList();
    }

    @Override
    public synchronized RegistryVersionCoordinates getVersionCoordinatesByGAV(String groupId, String artifactId, String version) {
        return byGav(groupId, artifactId, version).coordinates();
    }

    /** There is no HTTP client behind this facade. */
    @Override
    public Object getClient() {
        return this;
    }

    // ---- convenience for tests and tools ------------------------------------------------

    /** The latest version registered under a subject (artifact id in the default group), if any. */
    public synchronized Optional<Version> latest(String subject) {
        List<Version> versions = versionsByArtifact.get(key(DEFAULT_GROUP, subject));
        return versions == null || versions.isEmpty() ? Optional.empty() : Optional.of(versions.get(versions.size() - 1));
    }

    /** Every subject (artifact id) registered so far, in registration order. */
    public synchronized List<String> subjects() {
        return versionsByArtifact.values().stream().map(l -> l.get(0).artifactId()).toList();
    }

    // ---- helpers ------------------------------------------------------------------------

    private Version byGlobalId(long globalId) {
        Version v = versionByGlobalId.get(globalId);
        if (v == null) {
            throw new NoSuchElementException("No schema version with globalId " + globalId + " in the embedded registry");
        }
        return v;
    }

    private Version byGav(String groupId, String artifactId, String version) {
        String key = key(group(groupId), artifactId);
        List<Version> versions = versionsByArtifact.get(key);
        if (versions == null || versions.isEmpty()) {
            throw new NoSuchElementException("No artifact " + key + " in the embedded registry");
        }
        // Apicurio 3 accepts version expressions; "latest" and "branch=latest" name the newest version.
        if (version == null || version.equals("latest") || version.equals("branch=latest")) {
            return versions.get(versions.size() - 1);
        }
        return versions.stream().filter(v -> v.version().equals(version)).findFirst()
                .orElseThrow(() -> new NoSuchElementException("No version " + version + " of " + key + " in the embedded registry"));
    }

    private static String group(String groupId) {
        return groupId == null || groupId.isBlank() ? DEFAULT_GROUP : groupId;
    }

    private static String key(String group, String artifactId) {
        return group + "/" + artifactId;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
