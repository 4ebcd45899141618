package org.policyrouter.core.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class PrivilegeDropTest {
    private static final Optional<RunAs> NOBODY = Optional.of(RunAs.of(65534, 65534, List.of(65534, 8)));

    @Test
    void aRootServerPutsSetprivBeforeTheProgramNoShell() {
        PrivilegeDrop drop = new PrivilegeDrop(true, Optional.of(Path.of("/usr/bin/setpriv")));

        assertThat(drop.prefix(NOBODY)).containsExactly("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--groups=65534,8", "--");
        assertThat(new PrivilegeDrop(true, Optional.of(Path.of("/usr/bin/setpriv"))).prefix(Optional.of(RunAs.of(1, 1, List.of()))))
            .contains("--clear-groups");
    }

    @Test
    void aServerThatIsNotRootRunsProgramsAsItself() {
        assertThat(new PrivilegeDrop(false, Optional.of(Path.of("/usr/bin/setpriv"))).prefix(NOBODY)).isEmpty();
    }

    @Test
    void aRootServerWithoutSetprivRefusesToRunTheProgram() {
        assertThatThrownBy(() -> new PrivilegeDrop(true, Optional.empty()).prefix(NOBODY)).hasMessageContaining("refusing to run a program as root");
    }

    @Test
    void aProgramWithoutRunAsIsLeftAlone() {
        assertThat(new PrivilegeDrop(true, Optional.of(Path.of("/usr/bin/setpriv"))).prefix(Optional.empty())).isEmpty();
    }
}
