package org.policyrouter.spool.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.file.FileMailRepository;
import org.apache.james.server.core.JamesServerResourceLoader;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.filesystem.FileSystemImpl;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.Test;
import org.policyrouter.spool.SpoolMailRepository;

/**
 * Store, retrieve and remove of 5 KB mails with 10 threads: the spool repository (fsync on)
 * against James's FileMailRepository (no fsync, not atomic), in the same run. Not part of the
 * test suite (the name does not end in Test); run it with
 * {@code mvn -o -pl mailets -am test -Dtest=SpoolRepositoryBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class SpoolRepositoryBenchmark {
    static final int THREADS = 10;
    static final int MAILS = Integer.getInteger("benchmark.mails", 5000);
    static final int ROUNDS = Integer.getInteger("benchmark.rounds", 3);

    @Test
    void storeRetrieveRemoveOfFiveKilobyteMails() throws Exception {
        Path work = Files.createTempDirectory("spool-benchmark");
        List<Mail> mails = fiveKilobyteMails();
        System.out.printf(Locale.ROOT, "%d mails of %d bytes, %d threads, best of %d rounds (ops/s)%n", MAILS, mails.get(0).getMessageSize(), THREADS, ROUNDS);
        double[] spool = new double[3];
        double[] file = new double[3];
        double[] unsynced = new double[3];
        for (int round = 0; round < ROUNDS; round++) {
            max(spool, run(spool(work.resolve("spool-" + round), true), mails));
            max(unsynced, run(spool(work.resolve("unsynced-" + round), false), mails));
            max(file, run(fileRepository(work.resolve("file-" + round)), mails));
        }
        System.out.printf(Locale.ROOT, "%-34s %10s %10s %10s%n", "repository", "store", "retrieve", "remove");
        System.out.printf(Locale.ROOT, "%-34s %10.0f %10.0f %10.0f%n", "spool:// (fsync, atomic rename)", spool[0], spool[1], spool[2]);
        System.out.printf(Locale.ROOT, "%-34s %10.0f %10.0f %10.0f%n", "spool:// with fsync=\"false\"", unsynced[0], unsynced[1], unsynced[2]);
        System.out.printf(Locale.ROOT, "%-34s %10.0f %10.0f %10.0f%n", "James file:// (FileMailRepository)", file[0], file[1], file[2]);
        System.out.printf(Locale.ROOT, "%-34s %10.2f %10.2f %10.2f%n", "spool / file", spool[0] / file[0], spool[1] / file[1], spool[2] / file[2]);
    }

    static void max(double[] best, double[] round) {
        for (int i = 0; i < best.length; i++) {
            best[i] = Math.max(best[i], round[i]);
        }
    }

    static List<Mail> fiveKilobyteMails() throws Exception {
        String body = ("benchmark body line " + "x".repeat(50) + "\r\n").repeat(70);
        List<Mail> mails = new ArrayList<>();
        for (int i = 0; i < MAILS; i++) {
            mails.add(MailImpl.builder().name("bench-" + i).sender("sender@client.example").addRecipient("user@routed.example")
                .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("benchmark " + i).setText(body)).build());
        }
        return mails;
    }

    static double[] run(MailRepository repository, List<Mail> mails) throws Exception {
        double store = timed(mails, mail -> repository.store(mail));
        double retrieve = timed(mails, mail -> {
            if (repository.retrieve(new MailKey(mail.getName())) == null) {
                throw new IllegalStateException("lost " + mail.getName());
            }
        });
        double remove = timed(mails, mail -> repository.remove(new MailKey(mail.getName())));
        return new double[] {store, retrieve, remove};
    }

    interface Operation {
        void apply(Mail mail) throws Exception;
    }

    static double timed(List<Mail> mails, Operation operation) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            workers.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < mails.size(); i = next.getAndIncrement()) {
                    operation.apply(mails.get(i));
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        return mails.size() / seconds;
    }

    static SpoolMailRepository spool(Path work, boolean fsync) throws Exception {
        SpoolMailRepository repository = new SpoolMailRepository(new FileSystemImpl(new JamesServerResourceLoader(work.toString())));
        BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
        config.addProperty("[@destinationURL]", "spool://var/spool/deferred");
        config.addProperty("[@fsync]", fsync);
        repository.configure(config);
        repository.init();
        return repository;
    }

    static FileMailRepository fileRepository(Path work) throws Exception {
        FileMailRepository repository = new FileMailRepository();
        repository.setFileSystem(new FileSystemImpl(new JamesServerResourceLoader(work.toString())));
        BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
        config.addProperty("[@destinationURL]", "file://var/mail/deferred/");
        config.addProperty("[@FIFO]", false);
        config.addProperty("[@CACHEKEYS]", true);
        repository.configure(config);
        repository.init();
        return repository;
    }
}
