package org.policyrouter.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The router's tables from one policy directory ({@code variables}, {@code transport},
 * {@code relayhost}, {@code rewrite}, {@code aliases}), loaded together and immutable, so that a
 * reader never sees one file's new version with another's old one.
 */
public final class PolicyTables {
    public static final String TRANSPORT = "transport";
    public static final String RELAYHOST = "relayhost";
    public static final String VARIABLES = "variables";
    public static final String REWRITE = "rewrite";
    public static final String ALIASES = "aliases";
    /** Every file a policy directory may hold, in the order they are loaded. */
    public static final List<String> FILES = List.of(VARIABLES, TRANSPORT, RELAYHOST, REWRITE, ALIASES);

    private final TransportTable transport;
    private final Optional<NextHop> relayHost;
    private final VariableTable variables;
    private final RewriteTable rewrite;
    private final Optional<AliasTable> aliases;
    private List<PolicyError> warnings = List.of();

    public PolicyTables(TransportTable transport, Optional<NextHop> relayHost) {
        this(transport, relayHost, VariableTable.EMPTY, RewriteTable.EMPTY, Optional.empty());
    }

    public PolicyTables(TransportTable transport, Optional<NextHop> relayHost, VariableTable variables,
                        RewriteTable rewrite, Optional<AliasTable> aliases) {
        this.transport = transport;
        this.relayHost = relayHost;
        this.variables = variables;
        this.rewrite = rewrite;
        this.aliases = aliases;
    }

    /** {@link #load(Path, Optional, long)} with the default size limit per table. */
    public static PolicyTables load(Path directory, Optional<String> ownDomain) throws IOException, PolicyFileException {
        return load(directory, ownDomain, PolicyFileReader.DEFAULT_MAX_TABLE_BYTES);
    }

    /**
     * Loads every table present in {@code directory}; a missing file is an empty table. All errors
     * of all files are reported together, and nothing is returned unless every file is valid.
     *
     * @param ownDomain the server's own domain ("me"), appended to relay host names without a dot
     * @param maxTableBytes a table file bigger than this is an error, found before it is read
     * @throws NotDirectoryException when {@code directory} is missing: a misspelt path or a lost
     *     mount must not quietly become empty tables that send everything by MX
     */
    public static PolicyTables load(Path directory, Optional<String> ownDomain, long maxTableBytes) throws IOException, PolicyFileException {
        if (!Files.isDirectory(directory)) {
            throw new NotDirectoryException(directory + " (policy directory)");
        }
        PolicyErrors errors = new PolicyErrors();
        VariableTable variables = VariableTable.parse(PolicyFile.read(directory, VARIABLES, errors, maxTableBytes), errors);
        TransportTable transport = TransportTable.parse(PolicyFile.read(directory, TRANSPORT, errors, maxTableBytes), variables, ownDomain, errors);
        Optional<NextHop> relayHost = RelayHostFile.parse(PolicyFile.read(directory, RELAYHOST, errors, maxTableBytes), ownDomain, errors);
        RewriteTable rewrite = RewriteTable.parse(PolicyFile.read(directory, REWRITE, errors, maxTableBytes), errors);
        AliasTable aliasTable = AliasTable.parse(PolicyFile.read(directory, ALIASES, errors, maxTableBytes), errors);
        Optional<AliasTable> aliases = aliasTable.isEmpty() ? Optional.empty() : Optional.of(aliasTable);
        if (aliases.isEmpty()) {
            // the router spec: aliases is mandatory once local delivery through an MDA is used
            transport.rules().stream().filter(rule -> rule.nextHop().type() == NextHop.Type.MDA).findFirst()
                .ifPresent(rule -> errors.add(TRANSPORT, rule.line(),
                    "next hop '" + rule.nextHop() + "' is an MDA, which needs an aliases file with at least a root entry"));
        }
        errors.throwIfAny();
        PolicyTables tables = new PolicyTables(transport, relayHost, variables, rewrite, aliases);
        tables.warnings = errors.warnings();
        return tables;
    }

    /** Lines that load but are never used ({@code file:line: warning: …}), in the order found. */
    public List<PolicyError> warnings() {
        return warnings;
    }

    /**
     * Where {@code address} goes: the relay host when one is set (it has precedence over
     * transport, as the router spec says), else the first matching transport rule, else MX.
     * The address is taken as given: rewrite it first ({@link #rewriteRecipient}).
     */
    public Route resolve(String address) {
        if (relayHost.isPresent()) {
            return new Route(relayHost.get(), Route.RELAYHOST_RULE);
        }
        return transport.lookup(address)
            .map(rule -> new Route(rule.nextHop(), rule.ruleName()))
            .orElse(new Route(NextHop.MX, Route.DEFAULT_RULE));
    }

    /** The envelope sender after the {@code rewrite} table's from/both rules. */
    public String rewriteSender(String address) {
        return rewrite.rewriteSender(address);
    }

    /** A recipient after the {@code rewrite} table's to/both rules. */
    public String rewriteRecipient(String address) {
        return rewrite.rewriteRecipient(address);
    }

    /** The unix user for a local part, from {@code aliases}; a 4.3.5 failure when there is no such table. */
    public AliasResult alias(String localPart) {
        return aliases.map(table -> table.lookup(localPart)).orElseGet(AliasResult::notConfigured);
    }

    /**
     * Everything the router does with one recipient, in its order: rewrite, route, and for an
     * MDA next hop the alias of the rewritten local part. What {@code policy-router query} shows.
     *
     * @param sender the envelope sender, when its rewriting should be shown too
     */
    public RecipientDecision decide(String recipient, Optional<String> sender) {
        Optional<RewriteRule> rewriteRule = rewrite.recipientRule(recipient);
        String rewritten = rewriteRule.map(rule -> rule.apply(recipient)).orElse(recipient);
        Route route = resolve(rewritten);
        Optional<AliasResult> alias = route.nextHop().type() == NextHop.Type.MDA
            ? Optional.of(alias(localPart(rewritten)))
            : Optional.empty();
        return new RecipientDecision(recipient, rewritten, rewriteRule.map(RewriteRule::ruleName),
            sender, sender.map(this::rewriteSender), route, alias);
    }

    private static String localPart(String address) {
        int at = address.lastIndexOf('@');
        return at < 0 ? address : address.substring(0, at);
    }

    public TransportTable transport() {
        return transport;
    }

    public Optional<NextHop> relayHost() {
        return relayHost;
    }

    public VariableTable variables() {
        return variables;
    }

    public RewriteTable rewrite() {
        return rewrite;
    }

    /** Absent when the directory has no {@code aliases} file, or one without entries. */
    public Optional<AliasTable> aliases() {
        return aliases;
    }
}
