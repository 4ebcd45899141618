package org.policyrouter.spool;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.mailrepository.api.Protocol;

/** A MailRepositoryStore for unit tests: every URL is a spool repository under one working directory. */
public final class SpoolRepositories implements MailRepositoryStore {
    private final Path workingDirectory;
    private final Map<MailRepositoryUrl, MailRepository> repositories = new ConcurrentHashMap<>();

    public SpoolRepositories(Path workingDirectory) {
        this.workingDirectory = workingDirectory;
    }

    @Override
    public MailRepository select(MailRepositoryUrl url) {
        return repositories.computeIfAbsent(url, u -> {
            try {
                return SpoolMailRepositoryContractTest.open(workingDirectory, u.asString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    public SpoolMailRepository spool(String url) {
        return (SpoolMailRepository) select(MailRepositoryUrl.from(url));
    }

    @Override
    public Optional<Protocol> defaultProtocol() {
        return Optional.of(new Protocol("spool"));
    }

    @Override
    public Optional<MailRepository> get(MailRepositoryUrl url) {
        return Optional.ofNullable(repositories.get(url));
    }

    @Override
    public Stream<MailRepository> getByPath(MailRepositoryPath path) {
        return repositories.entrySet().stream().filter(e -> e.getKey().getPath().equals(path)).map(Map.Entry::getValue);
    }

    @Override
    public Stream<MailRepositoryUrl> getUrls() {
        return repositories.keySet().stream();
    }
}
