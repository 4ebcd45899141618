package org.policyrouter.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What /proc says about a process the server started. */
public final class Processes {
    private Processes() {
    }

    /** Killed processes may linger as zombies until init reaps them (a container's may never): those do not run. */
    public static boolean isRunning(long pid) throws IOException {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(stat)) {
            return false;
        }
        try {
            String fields = Files.readString(stat);
            return fields.charAt(fields.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            // it ended between the two reads
            return false;
        }
    }
}
