//go:build !linux

package ensemble

import (
	"errors"
	"os"
	"syscall"
)

// processSupported: process mode relies on Linux's Pdeathsig so that a
// crashed serve leaves no orphan servers behind.
func processSupported() error {
	return errors.New("ensemble mode process needs Linux (children die with serve through Pdeathsig): use inprocess")
}

func childAttr() *syscall.SysProcAttr { return nil }

func signalPause(p *os.Process, on bool) error { return errors.ErrUnsupported }
