package org.policyrouter.mailets;

import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.PolicyFileException;
import org.policyrouter.policy.PolicyFileReader;
import org.policyrouter.policy.PolicyTables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mailet that reads the policy tables. Parameters shared by all of them:
 * {@code policyDirectory} ({@code file://conf/policy}), {@code me} (the postmaster's domain:
 * appended to relay host names without a dot), {@code reloadInterval} ({@code 5s}; {@code 0}
 * turns hot reload off), {@code maxTableSize} ({@code 16m}: a bigger table file is refused
 * before it is read). A table with an error at start-up stops James from starting; a broken
 * edit, a vanished table or a failed reload later keeps the last good tables and logs an ERROR.
 */
abstract class PolicyMailet extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(PolicyMailet.class);

    private final FileSystem fileSystem;
    private final PolicyDirectories directories;
    private PolicyDirectories.Lease lease;

    PolicyMailet(FileSystem fileSystem, PolicyDirectories directories) {
        this.fileSystem = fileSystem;
        this.directories = directories;
    }

    @Override
    public void init() throws MessagingException {
        String directory = getInitParameter("policyDirectory", "file://conf/policy");
        Optional<String> me = getInitParameterAsOptional("me")
            .or(() -> Optional.ofNullable(getMailetContext().getPostmaster()).map(MailAddress::getDomain).map(Object::toString));
        Duration reloadInterval = MailetParameters.duration(this, "reloadInterval", Duration.ofSeconds(5));
        long maxTableBytes = MailetParameters.size(this, "maxTableSize", PolicyFileReader.DEFAULT_MAX_TABLE_BYTES);
        File policyDirectory;
        try {
            policyDirectory = fileSystem.getFile(directory);
        } catch (IOException e) {
            throw new MessagingException(getMailetName() + ": cannot resolve policyDirectory " + directory, e);
        }
        try {
            lease = directories.acquire(policyDirectory.toPath(), me, reloadInterval, maxTableBytes);
        } catch (PolicyFileException e) {
            // refuse to start rather than route mail with a half-understood policy
            LOGGER.error("invalid policy in {}:\n{}", policyDirectory, e.getMessage());
            throw new MessagingException("invalid policy in " + policyDirectory + ":\n" + e.getMessage(), e);
        } catch (IOException e) {
            throw new MessagingException(getMailetName() + ": cannot read " + policyDirectory, e);
        }
        initPolicyMailet();
    }

    /** Reads this mailet's own parameters, after the tables are loaded. */
    void initPolicyMailet() throws MessagingException {
    }

    FileSystem fileSystem() {
        return fileSystem;
    }

    /** The current tables: take it once per mail so a mail is handled by one version. */
    PolicyTables tables() {
        return lease.tables().current();
    }

    @Override
    public void destroy() {
        if (lease != null) {
            lease.close();
        }
    }
}
