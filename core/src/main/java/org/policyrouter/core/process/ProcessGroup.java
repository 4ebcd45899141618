package org.policyrouter.core.process;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Signals a started program and everything it started. With setsid the program leads its own
 * process group (pgid = pid), so one signal to the group reaches grandchildren that Java cannot
 * see (a double fork re-parents them to init). Java has no killpg: the shell's kill builtin takes
 * a negative pid as a group.
 */
final class ProcessGroup {
    private final Process process;
    private final boolean leader;

    ProcessGroup(Process process, boolean leader) {
        this.process = process;
        this.leader = leader;
    }

    /** SIGTERM: the program may clean up. */
    void terminate() {
        if (leader) {
            signal("TERM");
        }
        // without a group (or before setsid ran) the visible family is all we can reach
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
    }

    /** SIGKILL, which nothing can ignore. */
    void kill() {
        if (leader) {
            signal("KILL");
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -s " + name + " -- -" + process.pid() + " 2>/dev/null")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
            kill.waitFor(2, TimeUnit.SECONDS);
        } catch (IOException e) {
            // the per-process signals still go out
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
