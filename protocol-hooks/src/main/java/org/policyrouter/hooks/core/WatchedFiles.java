package org.policyrouter.hooks.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.WeakHashMap;

import javax.inject.Singleton;

/**
 * The watched files of one James server's SMTP handlers, for {@link ControlFilesHealthCheck}. One
 * per James server (a Guice singleton of its injector, which creates both the handlers and the
 * health checks), not per JVM. Files are held weakly: the checks of a replaced plugins file
 * go away with their files, without having to say so.
 */
@Singleton
public final class WatchedFiles {
    private final Map<WatchedFile, Object> files = new WeakHashMap<>();

    /** @param owner what registers it, to forget all of its files at once when it is destroyed */
    public synchronized void register(WatchedFile file, Object owner) {
        files.put(file, owner);
    }

    public synchronized void forget(Object owner) {
        files.values().removeIf(registeredBy -> registeredBy == owner);
    }

    /** The load errors of the registered files, each once (several checks may read one file), sorted. */
    public List<String> loadErrors() {
        List<WatchedFile> registered;
        synchronized (this) {
            registered = new ArrayList<>(files.keySet());
        }
        // outside the lock: loading a file may register others (the plugins file configures its checks)
        TreeSet<String> errors = new TreeSet<>();
        registered.forEach(file -> file.loadError().ifPresent(errors::add));
        return List.copyOf(errors);
    }
}
