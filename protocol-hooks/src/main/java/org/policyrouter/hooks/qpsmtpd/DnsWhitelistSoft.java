package org.policyrouter.hooks.qpsmtpd;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.Deadline;
import org.policyrouter.hooks.core.Dns;
import org.policyrouter.hooks.core.DnsList;
import org.policyrouter.hooks.core.Immunity;
import org.policyrouter.hooks.core.IpAddresses;
import org.policyrouter.hooks.core.Notes;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.Verdict;

/**
 * qpsmtpd's {@code dns_whitelist_soft}: the client address is looked up in every zone of
 * {@code whitelist_zones} at connect, and a listed client gets the {@code whitelisthost}
 * connection note (the zone's TXT record, or "listed in <zone>"), which makes the other checks
 * leave it alone (qpsmtpd's is_immune). The note is pending until DNS answers; any check that
 * reads it waits at most what is left of the DNS timeout, so a check at HELO or MAIL sees the
 * answer too. qpsmtpd 0.94 only sets the note in its first RCPT hook, after the connect, HELO and
 * MAIL checks have run without it (qpsmtpd issue #203). The note never allows relaying.
 */
public class DnsWhitelistSoft extends QpsmtpdHandler {
    private ControlFile<List<DnsList>> zones;
    private CheckEnvironment environment;

    @Override
    public String pluginName() {
        return "dns_whitelist_soft";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        this.environment = environment;
        zones = environment.controlFiles().parsed("whitelist_zones", lines -> DnsList.parse(lines, "\\s+"));
    }

    @Override
    public Verdict connect(Connection connection) {
        List<DnsList> lists = zones.get();
        if (lists.isEmpty()) {
            return Verdict.DECLINED;
        }
        Dns dns = environment.dns();
        String key = IpAddresses.reversed(connection.remoteAddress());
        Deadline deadline = Deadline.after(dns.timeout());
        List<CompletableFuture<DnsList.Result>> results = new ArrayList<>();
        lists.forEach(list -> results.add(list.lookup(dns, key).result()));
        CompletableFuture<Optional<String>> listed = CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
            .thenApply(done -> firstListed(results));
        connection.connectionNotes().putPending(Immunity.WHITELIST_HOST, new Notes.Pending<>(listed, deadline));
        return Verdict.DECLINED;
    }

    private static Optional<String> firstListed(List<CompletableFuture<DnsList.Result>> results) {
        return results.stream().map(CompletableFuture::join)
            .filter(result -> result.kind() == DnsList.Result.Kind.LISTED)
            .findFirst()
            .map(result -> result.reason().orElse("listed in " + result.zone()));
    }
}
