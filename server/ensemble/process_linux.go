package ensemble

import (
	"os"
	"syscall"
)

func processSupported() error { return nil }

// childAttr puts a child in its own process group (a Ctrl-C on serve's
// terminal reaches serve, which kills its children itself) and has the
// kernel SIGKILL it if serve dies without doing so (Pdeathsig; NB: it fires
// when the OS thread that started the child exits, and Go keeps its threads
// unless a goroutine locked to one exits, which serve never does).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalPause stops or continues a child.
func signalPause(p *os.Process, on bool) error {
	if on {
		return p.Signal(syscall.SIGSTOP)
	}
	return p.Signal(syscall.SIGCONT)
}
