package org.policyrouter.core.process;

import java.util.List;

/** One entry of the passwd database (through NSS), with the groups initgroups(3) would give it. */
public final class UnixAccount {
    private final String name;
    private final int uid;
    private final int gid;
    private final List<Integer> groups;
    private final String home;
    private final String shell;

    public UnixAccount(String name, int uid, int gid, List<Integer> groups, String home, String shell) {
        this.name = name;
        this.uid = uid;
        this.gid = gid;
        this.groups = List.copyOf(groups);
        this.home = home;
        this.shell = shell;
    }

    public String name() {
        return name;
    }

    public int uid() {
        return uid;
    }

    public int gid() {
        return gid;
    }

    /** Primary and supplementary group ids, as {@code id -G NAME} lists them. */
    public List<Integer> groups() {
        return groups;
    }

    public String home() {
        return home;
    }

    public String shell() {
        return shell;
    }

    /** Why a program must not run as this account (uid 0, gid 0, or group 0 among its groups); empty if it may. */
    public java.util.Optional<String> privilegeProblem() {
        if (uid == 0) {
            return java.util.Optional.of("unix user '" + name + "' has uid 0 (root's)");
        }
        if (gid == 0 || groups.contains(0)) {
            return java.util.Optional.of("unix user '" + name + "' is in group 0 (root's)");
        }
        return java.util.Optional.empty();
    }

    @Override
    public String toString() {
        return name + " (uid " + uid + ", gid " + gid + ")";
    }
}
