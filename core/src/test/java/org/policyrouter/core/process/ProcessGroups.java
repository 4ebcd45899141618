package org.policyrouter.core.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** What /proc says about a process group: its live members (zombies waiting for a reaper are dead). */
final class ProcessGroups {
    private ProcessGroups() {
    }

    static List<Long> liveMembers(long processGroup) throws IOException {
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            return entries.filter(entry -> entry.getFileName().toString().matches("[0-9]+"))
                .filter(entry -> isLiveMemberOf(entry.resolve("stat"), processGroup))
                .map(entry -> Long.parseLong(entry.getFileName().toString()))
                .collect(Collectors.toList());
        }
    }

    /** The live members once they had up to two seconds to die (a SIGKILL is delivered asynchronously). */
    static List<Long> liveMembersAfterAWhile(long processGroup) throws Exception {
        long end = System.nanoTime() + 2_000_000_000L;
        List<Long> members = liveMembers(processGroup);
        while (!members.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(50);
            members = liveMembers(processGroup);
        }
        return members;
    }

    /** Running, not a zombie (a container's PID 1 may never reap an orphan). */
    static boolean isRunning(long pid) {
        Path stat = Path.of("/proc", String.valueOf(pid), "stat");
        try {
            String content = Files.readString(stat);
            return content.charAt(content.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isLiveMemberOf(Path stat, long processGroup) {
        try {
            String content = Files.readString(stat);
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
            String[] fields = content.substring(content.lastIndexOf(')') + 2).split(" ");
            return !fields[0].equals("Z") && Long.parseLong(fields[2]) == processGroup;
        } catch (IOException | RuntimeException e) {
            // the process ended while we looked
            return false;
        }
    }
}
