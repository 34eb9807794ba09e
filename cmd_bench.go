package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/zabplay/zabplay/core/sim"
	"github.com/zabplay/zabplay/core/sim/campaign"
)

// benchCmd measures the core: committed txns per second through a 3-voter
// in-memory ensemble, and simulated events per second in a campaign.
func benchCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	txns := fs.Int("txns", 1000000, "txns to commit through 3 voters")
	seeds := fs.Int("seeds", 100, "campaign seeds (5 voters, 1 observer, all faults, 10s each)")
	live := fs.Bool("live", true, "also measure a live 3-server ensemble on loopback with fsync on")
	writes := fs.Int("writes", 500, "live: sequential writes for the latency figures")
	catchUp := fs.Int("catchup", 10000, "live: txns a follower misses before it comes back")
	window := fs.Duration("window", 3*time.Second, "live: how long each throughput run lasts")
	if err := fs.Parse(args); err != nil {
		return errQuiet
	}
	d, err := sim.NewDirect(3, 1)
	if err != nil {
		return err
	}
	start := time.Now()
	d.Commit(*txns, 64)
	el := time.Since(start)
	fmt.Fprintf(stdout, "commit: %d txns through 3 voters in %v: %.0f txns/s\n", *txns, el.Round(time.Millisecond), float64(*txns)/el.Seconds())
	res := campaign.Run(campaign.Options{Seeds: *seeds, FirstSeed: 1, Voters: 5, Observers: 1, Faults: sim.AllFaults, DurationMs: 10000})
	fmt.Fprintf(stdout, "campaign: %d seeds, %d events in %v: %.0f events/s (%.0f events/s per core), %d violations\n",
		res.Seeds, res.Steps, res.Elapsed.Round(time.Millisecond), res.EventsPerSecond(), res.SimEventsPerSecond(), res.Violations)
	if res.Violations > 0 {
		return fmt.Errorf("the campaign found violations")
	}
	if *live {
		return benchLive(stdout, *writes, *catchUp, *window)
	}
	return nil
}
