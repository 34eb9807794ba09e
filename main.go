// Command zabplay is one binary for the whole project: the web site (serve),
// the simulator (sim), a live ZAB server (node) and the benchmarks (bench).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if err != errQuiet {
			fmt.Fprintln(os.Stderr, "zabplay:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: zabplay COMMAND [flags]

commands:
  serve   serve the site (default http://localhost:8080)
  sim     run a scenario (--scenario FILE) or a random-fault campaign (--seeds N)
  bench   measure the core: commits/s through 3 voters, campaign events/s
  node    run one live ZAB server over TCP with its data on disk (zabplay node -h)

run "zabplay COMMAND -h" for the flags of a command.
`

// run is main without the process: tests call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errQuiet
	}
	switch args[0] {
	case "serve":
		return serveCmd(ctx, args[1:], getenv, stdout, stderr)
	case "sim":
		return simCmd(ctx, args[1:], stdout, stderr)
	case "bench":
		return benchCmd(args[1:], stdout, stderr)
	case "node":
		return nodeCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// errQuiet is an error whose message was already printed.
var errQuiet = fmt.Errorf("failed")
