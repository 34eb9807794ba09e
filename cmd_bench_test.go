package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBenchCommand runs every benchmark of `zabplay bench` small, so the
// code that measures the README's figures keeps working (the figures
// themselves are not asserted).
func TestBenchCommand(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"bench", "--txns", "2000", "--seeds", "2", "--writes", "20", "--catchup", "200", "--window", "200ms"}, os.Getenv, &out, io.Discard)
	require.NoError(t, err, out.String())
	for _, want := range []string{"commit:", "campaign:", "p50", "32 clients", "reads/s", "failover", "catch-up"} {
		assert.Contains(t, out.String(), want)
	}
}
