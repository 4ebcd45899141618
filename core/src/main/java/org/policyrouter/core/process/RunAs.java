package org.policyrouter.core.process;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The unprivileged identity a program runs as: uid, gid and the complete group list. Never uid 0
 * nor gid 0 (nor group 0 among the groups): configurations and aliases that resolve to root are
 * refused where they are loaded; this refusal is the last line of defence behind those checks.
 */
public final class RunAs {
    private final int uid;
    private final int gid;
    private final List<Integer> groups;

    private RunAs(int uid, int gid, List<Integer> groups) {
        this.uid = uid;
        this.gid = gid;
        this.groups = List.copyOf(groups);
    }

    /**
     * @param groups every group the program has (setgroups); empty: none beyond {@code gid}
     * @throws IllegalArgumentException for uid 0, gid 0 or group 0: programs never run as root
     */
    public static RunAs of(int uid, int gid, List<Integer> groups) {
        if (uid == 0 || gid == 0 || groups.contains(0)) {
            throw new IllegalArgumentException("uid " + uid + ", gid " + gid + ", groups " + groups
                + ": programs run never as root (uid 0 or group 0)");
        }
        if (uid < 0 || gid < 0 || groups.stream().anyMatch(group -> group < 0)) {
            throw new IllegalArgumentException("negative id: uid " + uid + ", gid " + gid + ", groups " + groups + " (never as root)");
        }
        return new RunAs(uid, gid, groups);
    }

    /** The account's uid, primary gid and groups, as login (initgroups) would give them. */
    public static RunAs of(UnixAccount account) {
        return of(account.uid(), account.gid(), account.groups());
    }

    public int uid() {
        return uid;
    }

    public int gid() {
        return gid;
    }

    public List<Integer> groups() {
        return groups;
    }

    /** setpriv's options for this identity, without the {@code --} that ends them. */
    List<String> setprivOptions() {
        String groupOption = groups.isEmpty() ? "--clear-groups"
            : "--groups=" + groups.stream().map(String::valueOf).collect(Collectors.joining(","));
        return List.of("--reuid=" + uid, "--regid=" + gid, groupOption);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof RunAs)) {
            return false;
        }
        RunAs that = (RunAs) other;
        return uid == that.uid && gid == that.gid && groups.equals(that.groups);
    }

    @Override
    public int hashCode() {
        return Objects.hash(uid, gid, groups);
    }

    @Override
    public String toString() {
        return "uid " + uid + ", gid " + gid + ", groups " + groups;
    }
}
