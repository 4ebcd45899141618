package org.policyrouter.spool;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.mailrepository.MailRepositoryContract;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.server.core.JamesServerResourceLoader;
import org.apache.james.server.core.filesystem.FileSystemImpl;
import org.junit.jupiter.api.io.TempDir;

/** James's own MailRepository contract, against the spool repository on a real directory. */
class SpoolMailRepositoryContractTest implements MailRepositoryContract {
    @TempDir
    Path workingDirectory;
    final Map<MailRepositoryPath, SpoolMailRepository> repositories = new HashMap<>();

    @Override
    public MailRepository retrieveRepository() throws Exception {
        return retrieveRepository(MailRepositoryPath.from("var/spool/deferred"));
    }

    @Override
    public MailRepository retrieveRepository(MailRepositoryPath path) throws Exception {
        SpoolMailRepository existing = repositories.get(path);
        if (existing != null) {
            return existing;
        }
        SpoolMailRepository repository = open(workingDirectory, "spool://" + path.asString());
        repositories.put(path, repository);
        return repository;
    }

    static SpoolMailRepository open(Path workingDirectory, String url) throws Exception {
        SpoolMailRepository repository = new SpoolMailRepository(new FileSystemImpl(new JamesServerResourceLoader(workingDirectory.toString())));
        BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
        config.addProperty("[@destinationURL]", url);
        repository.configure(config);
        repository.init();
        return repository;
    }
}
